"""Every sentence a person reads goes through here, in the reader's language.

`t(locale, message, **values)` translates `message`, then fills in `values` (interpolation comes
after translation, so a translation may move the placeholders); `tn` does the same for a sentence
whose form depends on a number `n`. `locale` is a BCP 47 tag as the platforms give it ("de",
"pt-BR", "en-US") or None when unknown, which means English. The message catalogs are extracted
from calls to these two functions, so the message must be a literal string at the call site.
"""

from __future__ import annotations


def t(locale: str | None, message: str, /, **values: object) -> str:
    """`message` in the language of `locale`, with `values` filled in."""
    return message.format(**values) if values else message


def tn(locale: str | None, singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural form for `n` in the language of `locale`, with `n` and `values` filled in."""
    return (singular if n == 1 else plural).format(n=n, **values)
