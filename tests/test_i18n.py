"""The catalogs against the code, the lookup by the reader's language, plurals, labels, dates."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.dates import day_and_month, long_date_time
from bot.i18n import LANGUAGES, from_accept_language, language, phrase, phrase_n, t, tn
from bot.labels import defaults_line, label
from bot.options import Attire, Background, Options, Style
from bot.translations import KEYWORDS, SOURCES, extract, placeholders, po_path, problems, read, write
from bot.usage import in_words

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template():  # type: ignore[no-untyped-def]
    return extract()


def test_every_catalog_has_every_message_of_the_code_and_nothing_stale(template) -> None:  # type: ignore[no-untyped-def]
    """Extraction runs here, on the code as it is: a message added, changed or removed without
    `python -m bot.i18n update` and a translation fails this test."""
    assert len(template) > 250
    found = [line for name in LANGUAGES for line in problems(name, template)]
    assert found == []


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id in KEYWORDS]


def test_every_message_is_a_literal_the_extraction_sees(template) -> None:  # type: ignore[no-untyped-def]
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    unseen, not_literal = [], []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for call in _calls(ast.parse(path.read_text("utf-8"))):
                assert isinstance(call.func, ast.Name)
                for index in KEYWORDS[call.func.id]:
                    if len(call.args) < index:
                        continue
                    arg = call.args[index - 1]
                    where = f"{path.relative_to(ROOT)}:{call.lineno}"
                    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                        if path.name != "i18n.py":  # its own functions pass messages along
                            not_literal.append(where)
                    elif index == KEYWORDS[call.func.id][0] and arg.value not in extracted:
                        unseen.append(f"{where} {arg.value!r}")  # inside an f-string, say
    assert not_literal == [] and unseen == []


def _copy_catalog(tmp_path: Path, name: str) -> Path:
    target = po_path(name, tmp_path)
    target.parent.mkdir(parents=True)
    target.write_bytes(po_path(name).read_bytes())
    return target


def test_a_missing_message_a_changed_placeholder_and_a_stale_one_are_each_caught(template, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy_catalog(tmp_path, "de")
    catalog = read(path)
    del catalog["Open gallery"]
    catalog["Headshot {number} of {total}"].string = "Porträt {nummer} von {total}"
    catalog.add("A sentence the code no longer says", "Ein Satz, den der Code nicht mehr sagt")
    write(path, catalog)
    found = problems("de", template, tmp_path)
    assert any("missing 'Open gallery'" in line for line in found)
    assert any("placeholders ['nummer', 'total']" in line for line in found)
    assert any("stale" in line and "no longer says" in line for line in found)


def test_a_plural_form_for_many_must_carry_the_number(template, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy_catalog(tmp_path, "ja")
    catalog = read(path)
    catalog["1 headshot"].string = ("ヘッドショット",)
    write(path, catalog)
    assert any("'1 headshot'" in line and "placeholders" in line for line in problems("ja", template, tmp_path))


@pytest.mark.parametrize(("tag", "catalog"), [
    ("pt-BR", "pt_BR"), ("pt-PT", "pt_BR"), ("en-US", None), ("en-GB", None), ("es-419", "es"), ("es-ES", "es"),
    ("ja", "ja"), ("de-AT", "de"), ("fr", "fr"), ("zh-CN", None), ("", None), (None, None), ("x-klingon", None),
])
def test_a_reader_gets_the_catalog_of_their_language_and_english_when_there_is_none(
    tag: str | None, catalog: str | None
) -> None:
    assert language(tag) == catalog


def test_translation_comes_before_the_values_so_a_language_may_move_them() -> None:
    assert t("de", "Headshots for {name}", name="Ada") == "Porträts für Ada"
    assert t("ja", "Headshots for {name}", name="Ada") == "Ada さんのヘッドショット"
    assert t(None, "Headshots for {name}", name="Ada") == "Headshots for Ada"
    assert t("zh-CN", "Headshots for {name}", name="Ada") == "Headshots for Ada"


@pytest.mark.parametrize(("tag", "counts"), [
    ("en", {0: "0 headshots", 1: "1 headshot", 2: "2 headshots"}),
    ("de", {0: "0 Porträts", 1: "1 Porträt", 2: "2 Porträts"}),
    ("fr", {0: "0 portrait", 1: "1 portrait", 2: "2 portraits"}),  # French takes the singular for 0 too
    ("pt-BR", {0: "0 retrato", 1: "1 retrato", 2: "2 retratos"}),
    ("ja", {0: "0枚", 1: "1枚", 2: "2枚"}),  # one form
])
def test_plurals_follow_each_language(tag: str, counts: dict[int, str]) -> None:
    assert {n: tn(tag, "1 headshot", "{n} headshots", n) for n in counts} == counts


def test_a_phrase_is_said_in_the_language_of_whoever_reads_it_nested_values_too() -> None:
    wait = in_words(3 * 86400 + 600)
    said = phrase("on {day} at 00:00 UTC, in {wait}", day="1", wait=wait)
    assert str(said) == "on 1 at 00:00 UTC, in 3 days"
    assert said.say("de") == "am 1 um 00:00 UTC, in 3 Tagen"
    assert phrase_n("1 day", "{n} days", 3).say("ja") == "3日"


def test_a_broken_translation_falls_back_to_english_instead_of_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import i18n

    class Broken:
        def gettext(self, message: str) -> str:
            return "Porträts für {nom}"

    monkeypatch.setitem(i18n._loaded, "de", Broken())  # type: ignore[arg-type]
    assert t("de", "Headshots for {name}", name="Ada") == "Headshots for Ada"


def test_people_read_labels_never_values() -> None:
    assert label(None, Background.STUDIO_WHITE) == "Studio white"
    assert label("de", Background.STUDIO_WHITE) == "Studio weiß"
    assert label("ja", Style.EXECUTIVE) == "エグゼクティブ"
    assert label(None, Attire.KEEP_ORIGINAL) == "Own clothes"
    line = defaults_line(None, Options(), "agent.ai")
    assert line.startswith("agent.ai, Professional, Studio white, Own clothes, 1 headshot, Standard quality, 1:1")
    for raw in ("professional", "studio_white", "keep_original", "standard"):
        assert raw not in line
    assert "Studio weiß" in defaults_line("de", Options(), "agent.ai")


def test_dates_are_written_the_readers_way() -> None:
    moment = 1764547200.0 + 14 * 3600 + 300  # 1 December 2025, 14:05 UTC
    assert day_and_month(None, moment) == "1 December"
    assert day_and_month("de", moment) == "1. Dezember"
    assert day_and_month("ja", moment) == "12月1日"
    assert long_date_time("pt-BR", moment).startswith("1 de dezembro de 2025")
    assert long_date_time(None, moment) == "1 December 2025, 14:05 UTC"


def test_a_browsers_accept_language_picks_the_first_language_with_a_catalog() -> None:
    assert from_accept_language("de-DE,de;q=0.9,en;q=0.8") == "de-DE"
    assert from_accept_language("zh-CN,zh;q=0.9,fr;q=0.5") == "fr"
    assert from_accept_language("ja;q=0.2,es-419;q=0.8") == "es-419"
    assert from_accept_language("zh-CN") is None
    assert from_accept_language(None) is None
    assert from_accept_language("en-US,de;q=0.5") == "en-US"


def test_the_placeholders_of_a_message_are_its_names() -> None:
    assert placeholders("{n} of {total}, {{literal}}") == {"n", "total"}
