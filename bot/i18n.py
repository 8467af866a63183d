"""Every sentence a person reads goes through here, in the reader's language.

`t(locale, message, **values)` translates `message`, then fills in `values` (interpolation comes
after translation, so a translation may move the placeholders); `tn` does the same for a sentence
whose form depends on a number `n`. `locale` is a BCP 47 tag as the platforms give it ("de",
"pt-BR", "en-US") or None when unknown, which means English. The message catalogs are extracted
from calls to these functions, so the message must be a literal string at the call site.

A sentence made where the reader is not known yet (an error raised deep in the core) is a
`Phrase`: `phrase(message, **values)` / `phrase_n(singular, plural, n, **values)` keep the literal
and its values, and `Phrase.say(locale)` translates it where it is shown. `str()` of a phrase is
its English text.

The catalogs are gettext `.mo` files compiled from `bot/locales/<language>/LC_MESSAGES/messages.po`
when the package is built; a source checkout (or an editable install) without them, or with `.mo`
files older than their `.po`, compiles the `.po` in memory the first time a language is needed.
`python -m bot.i18n update` extracts the messages and updates every catalog (`bot.translations`).
"""

from __future__ import annotations

import gettext
import io
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

LOCALES_DIR: Path = Path(__file__).parent / "locales"
DOMAIN: str = "messages"
# The catalogs shipped; English is the source language and has none.
LANGUAGES: tuple[str, ...] = ("de", "es", "fr", "ja", "pt_BR")

_loaded: dict[str, gettext.NullTranslations] = {}
_loading = threading.Lock()


@lru_cache(maxsize=512)
def language(locale: str | None) -> str | None:
    """The catalog that speaks to a reader of `locale`, or None for English (the source, and the
    fallback for every language without a catalog): "pt-BR" → pt_BR, "es-419" → es, "en-US" → None."""
    if not locale:
        return None
    parts = locale.strip().replace("_", "-").split("-")
    lang = parts[0].lower()
    regions = [p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()]
    for region in regions:
        if f"{lang}_{region}" in LANGUAGES:
            return f"{lang}_{region}"
    if lang in LANGUAGES:
        return lang
    # A regional catalog serves its whole language ("pt-PT" reads Brazilian Portuguese before English).
    return next((name for name in LANGUAGES if name.split("_")[0] == lang), None)


def catalog(name: str) -> gettext.NullTranslations:
    """The translations of one shipped language, loaded once."""
    found = _loaded.get(name)
    if found is None:
        with _loading:
            found = _loaded.get(name)
            if found is None:
                found = _loaded[name] = _load(name)
    return found


def _load(name: str) -> gettext.NullTranslations:
    folder = LOCALES_DIR / name / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    if po.is_file():
        return _compile(po)
    log.warning("no message catalog for %s; it reads English", name)
    return gettext.NullTranslations()


def _compile(po: Path) -> gettext.GNUTranslations:
    """A catalog compiled from its `.po` in memory (a checkout where the build did not compile it)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        messages = read_po(source)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Sayable(Protocol):
    """A value that is put in words only when the reader is known (a `Phrase`, a date)."""

    def say(self, locale: str | None) -> str:
        """The value in the language of `locale`."""
        ...


def _shown(value: object, locale: str | None) -> object:
    if isinstance(value, str | int | float):
        return value
    say = getattr(value, "say", None)
    return say(locale) if callable(say) else value


def _fill(text: str, source: str, values: Mapping[str, object], locale: str | None) -> str:
    shown = {key: _shown(value, locale) for key, value in values.items()}
    try:
        return text.format(**shown)
    except (KeyError, IndexError, ValueError):  # a broken translation must not cost the sentence
        log.warning("a translation does not fit its placeholders: %r", source)
        return source.format(**shown)


def t(locale: str | None, message: str, /, **values: object) -> str:
    """`message` in the language of `locale`, with `values` filled in (a `Sayable` value in the same language)."""
    name = language(locale)
    text = message if name is None else catalog(name).gettext(message)
    return _fill(text, message, values, locale) if values else text


def tn(locale: str | None, singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural form for `n` in the language of `locale`, with `n` and `values` filled in."""
    name = language(locale)
    source = singular if n == 1 else plural
    text = source if name is None else catalog(name).ngettext(singular, plural, n)
    return _fill(text, source, {"n": n, **values}, locale)


@dataclass(frozen=True)
class Phrase:
    """A sentence to be said later, in the language of whoever reads it (see the module's docstring)."""

    message: str
    plural: str | None = None
    n: int = 0
    values: Mapping[str, object] = field(default_factory=dict)

    def say(self, locale: str | None) -> str:
        """The sentence in the language of `locale`."""
        name = language(locale)
        if self.plural is None:
            text = self.message if name is None else catalog(name).gettext(self.message)
            return _fill(text, self.message, self.values, locale) if self.values else text
        source = self.message if self.n == 1 else self.plural
        text = source if name is None else catalog(name).ngettext(self.message, self.plural, self.n)
        return _fill(text, source, {"n": self.n, **self.values}, locale)

    def __str__(self) -> str:
        return self.say(None)


def phrase(message: str, /, **values: object) -> Phrase:
    """`message` with `values`, to be translated when it is shown (`Phrase.say`)."""
    return Phrase(message, values=values)


def phrase_n(singular: str, plural: str, n: int, /, **values: object) -> Phrase:
    """The singular or plural sentence for `n`, to be translated when it is shown."""
    return Phrase(singular, plural, n, values)


def from_accept_language(header: str | None) -> str | None:
    """The reader's language from a browser's `Accept-Language` ("de-DE,de;q=0.9,en;q=0.8" → "de-DE"):
    the most wanted tag that has a catalog or is English; None when none does."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            wanted.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(wanted):
        if language(tag) is not None or tag.lower().split("-")[0] == "en":
            return tag
    return None


def say(locale: str | None, text: str | Sayable) -> str:
    """A phrase in the language of `locale`; plain text (already in words, or someone else's) as it is."""
    return text if isinstance(text, str) else text.say(locale)


if __name__ == "__main__":  # python -m bot.i18n update|check
    from bot.translations import main

    raise SystemExit(main())
