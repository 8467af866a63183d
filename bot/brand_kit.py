"""A workspace's brand kit: the looks its people may ask for, so that everyone's headshots match.

A kit lists, per option (style, background, attire, aspect ratio), the values allowed in the
workspace; an option it does not list allows everything. A *locked* kit allows exactly one value
of each: one look for everyone. The intake fits a request to the kit (a saved default outside it
gives way to the kit's first value) and refuses what a person asked for explicitly outside it,
with one sentence naming what is allowed; forms show only the kit's values (`narrow`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields, replace

from bot.errors import UserError
from bot.i18n import t
from bot.labels import label, label_phrase
from bot.options import Attire, Background, Options, Style, choices
from bot.request import Field, Problem

# The options a kit speaks about, in the order people read them.
KIT_OPTIONS = ("style", "background", "attire", "aspect_ratio")

# Each value of the options a kit speaks about, as its option's member (its label comes from `bot.labels`).
_MEMBERS = {member.value: member for kind in (Style, Background, Attire) for member in kind}


def value_label(locale: str | None, value: str) -> str:
    """A value as people read it, in their language (aspect ratios read as they are: "3:4")."""
    member = _MEMBERS.get(value)
    return label(locale, member) if member is not None else value


def labels(locale: str | None, values: Iterable[str]) -> str:
    """Values as a readable list: "Executive, Professional"."""
    return ", ".join(value_label(locale, value) for value in values)


class KitError(UserError):
    """A kit an admin described that cannot be one (an unknown value, a lock with two styles)."""


@dataclass(frozen=True)
class BrandKit:
    """The values allowed per option; an empty tuple allows every value of that option."""

    style: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    attire: tuple[str, ...] = ()
    aspect_ratio: tuple[str, ...] = ()

    @classmethod
    def build(cls, allowed: Mapping[str, Iterable[str]], *, lock: bool = False, locale: str | None = None) -> BrandKit:
        """A kit from values per option, kept in the options' own order; `lock` wants one value of each.

        Raises `KitError` with one sentence for an unknown value or a lock that is not one look.
        """
        kept: dict[str, tuple[str, ...]] = {}
        for name in KIT_OPTIONS:
            wanted = {str(v).strip().lower() for v in allowed.get(name, ()) if str(v).strip()}
            unknown = sorted(wanted - set(choices(name)))
            if unknown:
                raise KitError(
                    t(
                        locale,
                        "“{value}” is not one of the choices; pick from: {allowed}.",
                        value=unknown[0],
                        allowed=labels(locale, choices(name)),
                    )
                )
            if lock and len(wanted) != 1:
                raise KitError(
                    t(
                        locale,
                        "To lock one look, pick exactly one value of each: style, background, attire and aspect ratio.",
                    )
                )
            ordered = tuple(v for v in choices(name) if v in wanted)
            kept[name] = () if len(ordered) == len(choices(name)) else ordered
        return cls(**kept)

    @classmethod
    def one_look(cls, options: Options) -> BrandKit:
        """The kit that locks everyone to the look of `options`."""
        values = options.to_dict()
        return cls(**{name: (str(values[name]),) for name in KIT_OPTIONS})

    def allows(self, name: str) -> list[str]:
        """The values of option `name` this kit allows, in order."""
        listed: tuple[str, ...] = getattr(self, name) if name in KIT_OPTIONS else ()
        return list(listed) or choices(name)

    @property
    def is_open(self) -> bool:
        """Whether the kit allows everything (no kit at all)."""
        return not any(getattr(self, name) for name in KIT_OPTIONS)

    @property
    def is_locked(self) -> bool:
        """Whether the kit is one look for everyone."""
        return all(len(getattr(self, name)) == 1 for name in KIT_OPTIONS)

    def narrow(self, name: str, values: Iterable[str]) -> list[str]:
        """The given values of option `name` that a form should offer (all for options the kit leaves free)."""
        allowed = set(self.allows(name)) if name in KIT_OPTIONS else None
        return [v for v in values if allowed is None or v in allowed]

    def styles(self, values: Collection[str] | None = None) -> list[str]:
        """The allowed styles (of `values`, when given)."""
        return self.narrow("style", values if values is not None else choices("style"))

    def fit(self, options: Options, explicit: Collection[str]) -> Options:
        """`options` with every value nobody asked for explicitly (a saved default, the bot's default)
        moved into the kit: the kit's first value replaces one it does not allow."""
        current = options.to_dict()
        changes = {
            name: self.allows(name)[0]
            for name in KIT_OPTIONS
            if name not in explicit and str(current[name]) not in self.allows(name)
        }
        return Options.from_dict(changes, base=options) if changes else options

    def check(self, options: Options, locale: str | None = None) -> Problem | None:
        """The first option outside the kit, as a problem naming what is allowed; None when it fits."""
        current = options.to_dict()
        for name in KIT_OPTIONS:
            if str(current[name]) in self.allows(name):
                continue
            if self.is_locked:
                sentence = t(locale, "This workspace uses one look for everyone: {look}.", look=self.describe(locale))
            else:
                sentence = _outside(locale, name, labels(locale, self.allows(name)))
            return Problem(Field(name), sentence)
        return None

    def describe(self, locale: str | None = None) -> str:
        """The kit in words: "Executive, Office, Business formal, 3:4" for a locked look, else per option."""
        if self.is_locked:
            return labels(locale, [getattr(self, name)[0] for name in KIT_OPTIONS])
        if self.is_open:
            return t(locale, "every style, background, attire and aspect ratio")
        parts = [
            f"{_option_name(locale, name)}: {labels(locale, getattr(self, name))}"
            for name in KIT_OPTIONS
            if getattr(self, name)
        ]
        return "; ".join(parts)

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps({f.name: list(getattr(self, f.name)) for f in fields(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> BrandKit:
        """Read back the stored form; values no longer known are dropped (an option then allows all)."""
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        kit = cls()
        for name in KIT_OPTIONS:
            known = [v for v in choices(name) if v in set(data.get(name) or ())]
            kit = replace(kit, **{name: tuple(known)})
        return kit


ANY_WORDS = frozenset({"any", "all", "every", "*"})


def parse_kit_words(name: str, text: str, locale: str | None = None) -> list[str]:
    """The values of option `name` written as words ("executive, professional", "Studio white",
    "any" for every value); raises `KitError` naming the first word that is none of them."""
    if text.strip().lower() in ANY_WORDS:
        return []
    by_word = {_word(value): value for value in choices(name)}
    for known in choices(name):  # a label reads as its value too, in English and in the admin's language
        if (member := _MEMBERS.get(known)) is not None:
            by_word.setdefault(_word(str(label_phrase(member))), known)
            by_word.setdefault(_word(label(locale, member)), known)
    found: list[str] = []
    for part in (piece for piece in text.split(",") if piece.strip()):
        words = [part] if _word(part) in by_word else part.split()
        for word in words:
            value = by_word.get(_word(word))
            if value is None:
                raise KitError(
                    t(
                        locale,
                        "“{value}” is not one of the choices; pick from: {allowed}.",
                        value=word.strip()[:40],
                        allowed=labels(locale, choices(name)),
                    )
                )
            found.append(value)
    return found


def _word(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _option_name(locale: str | None, name: str) -> str:
    names = {
        "style": t(locale, "Styles"),
        "background": t(locale, "Backgrounds"),
        "attire": t(locale, "Attire"),
        "aspect_ratio": t(locale, "Aspect ratios"),
    }
    return names[name]


def _outside(locale: str | None, name: str, allowed: str) -> str:
    if name == "style":
        return t(locale, "This workspace's brand kit allows these styles: {allowed}.", allowed=allowed)
    if name == "background":
        return t(locale, "This workspace's brand kit allows these backgrounds: {allowed}.", allowed=allowed)
    if name == "attire":
        return t(locale, "This workspace's brand kit allows this attire: {allowed}.", allowed=allowed)
    return t(locale, "This workspace's brand kit allows these aspect ratios: {allowed}.", allowed=allowed)
