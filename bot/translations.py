"""The message catalogs kept in step with the code: extract, update, check, compile.

    python -m bot.i18n update        # extract every message from bot/ and adapters/, update each catalog
    python -m bot.i18n check         # what is missing, fuzzy, stale or has other placeholders (exit 1 if any)
    python -m bot.i18n compile       # .po -> .mo beside it (the build does this too)
    python -m bot.i18n init LANG     # start a catalog for a new language

After `update`, new messages stand untranslated (and near-misses of old ones marked fuzzy) in
`bot/locales/<language>/LC_MESSAGES/messages.po` until someone translates them; `check` lists them.
"""

from __future__ import annotations

import io
import string
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR

PROJECT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "adapters")
# The functions whose literal arguments are messages: argument positions, 1-based.
KEYWORDS: dict[str, tuple[int, ...]] = {"t": (2,), "tn": (2, 3), "phrase": (1,), "phrase_n": (1, 2)}
WIDTH = 100


def extract(project: Path = PROJECT) -> Catalog:
    """Every message of the code, as a template catalog (msgids and where they are used), by `babel.cfg`."""
    with (project / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call, unused-ignore]
    template = Catalog(project="headshot-bot", fuzzy=False)
    for folder in SOURCES:
        found = extract_from_dir(
            project / folder, method_map=method_map, options_map=options_map, keywords=KEYWORDS,
            comment_tags=("Translators:",), strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            template.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def po_path(language: str, root: Path = LOCALES_DIR) -> Path:
    """Where a language's catalog lives."""
    return root / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path) -> Catalog:
    """A `.po` file."""
    with path.open("rb") as source:
        return read_po(source)


def write(path: Path, catalog: Catalog) -> None:
    """A `.po` file, written whole (no obsolete entries kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    write_po(out, catalog, width=WIDTH, no_location=True, ignore_obsolete=True, include_previous=False)
    path.write_bytes(out.getvalue())


def update(languages: Iterable[str] = LANGUAGES, root: Path = LOCALES_DIR) -> None:
    """Bring every catalog in step with the code: new messages added untranslated, gone ones dropped."""
    template = extract()
    for language in languages:
        path = po_path(language, root)
        catalog = read(path) if path.exists() else _new(language)
        catalog.update(template, update_header_comment=False, update_creation_date=False)
        write(path, catalog)


def _new(language: str) -> Catalog:
    """An empty catalog for a language, its plural rule from CLDR."""
    catalog = Catalog(locale=language, project="headshot-bot", version="", copyright_holder="", fuzzy=False,
                      msgid_bugs_address="")
    catalog.header_comment = f"# {catalog.locale_identifier} messages of headshot-bot (bot/, adapters/)."
    return catalog


def compile_catalogs(root: Path = LOCALES_DIR, out: Path | None = None) -> list[Path]:
    """Compile each `<language>/LC_MESSAGES/messages.po` under `root` to a `.mo` (under `out`, default
    beside it); returns the files written."""
    written = []
    for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        target = (out / po.relative_to(root) if out else po).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as mo:
            write_mo(mo, read(po))
        written.append(target)
    return written


def placeholders(text: str) -> set[str]:
    """The names a message fills in: `{name}`, `{n}` (literal `{{` braces are not placeholders)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (str(message.id),)


def _strings(message: Message) -> tuple[str, ...]:
    found = message.string
    return tuple(str(s or "") for s in found) if isinstance(found, list | tuple) else (str(found or ""),)


def problems(language: str, template: Catalog, root: Path = LOCALES_DIR) -> list[str]:
    """Everything wrong with one catalog against the code's messages, one line each (empty: all is well)."""
    path = po_path(language, root)
    if not path.exists():
        return [f"{language}: no catalog at {path}"]
    catalog = read(path)
    found = []
    wanted = {message.id if isinstance(message.id, str) else message.id[0] for message in template if message.id}
    have = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}
    found += [f"{language}: missing {msgid!r}" for msgid in sorted(wanted - have)]
    found += [f"{language}: stale (no longer in the code) {msgid!r}" for msgid in sorted(have - wanted)]
    for message in catalog:
        if not message.id:
            continue
        ids, strings = _ids(message), _strings(message)
        if message.fuzzy or not all(strings):
            found.append(f"{language}: untranslated {ids[0]!r}")
            continue
        expected = set().union(*(placeholders(text) for text in ids))
        for number, text in enumerate(strings):
            # A form before the last (the one for many) may leave out `n`, as "1 headshot" does in English.
            fits = placeholders(text) == expected or (
                number < len(strings) - 1 and placeholders(text) | {"n"} == expected | {"n"}
            )
            if not fits:
                found.append(f"{language}: placeholders {sorted(placeholders(text))} instead of "
                             f"{sorted(expected)} in {text!r} (for {ids[0]!r})")
        template_entry = template.get(message.id if isinstance(message.id, str) else message.id[0])
        if template_entry is not None and _ids(template_entry) != ids:
            found.append(f"{language}: the plural of {ids[0]!r} changed in the code")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.i18n update|check|compile|init LANG`."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command == "update":
        update()
    elif command == "compile":
        for path in compile_catalogs():
            print(path)
    elif command == "init" and len(args) == 2:
        update([args[1]])
    elif command == "check":
        template = extract()
        lines = [line for language in LANGUAGES for line in problems(language, template)]
        print("\n".join(lines) if lines else f"{len(template)} messages, every catalog complete")
        return 1 if lines else 0
    else:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    return 0
