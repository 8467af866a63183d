"""The headshot options shared by every surface and provider (the agent.ai enums)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.errors import UserError
from bot.i18n import Phrase, phrase


class Style(StrEnum):
    PROFESSIONAL = "professional"
    CASUAL = "casual"
    CREATIVE = "creative"
    EXECUTIVE = "executive"
    FRIENDLY = "friendly"
    EDITORIAL = "editorial"


class Background(StrEnum):
    STUDIO_WHITE = "studio_white"
    STUDIO_GRAY = "studio_gray"
    OFFICE = "office"
    OUTDOOR = "outdoor"
    GRADIENT = "gradient"
    ABSTRACT = "abstract"


class Attire(StrEnum):
    BUSINESS_FORMAL = "business_formal"
    BUSINESS_CASUAL = "business_casual"
    SMART_CASUAL = "smart_casual"
    CASUAL = "casual"
    SCRUBS = "scrubs"
    KEEP_ORIGINAL = "keep_original"


class Quality(StrEnum):
    STANDARD = "standard"
    HIGH = "high"


class AspectRatio(StrEnum):
    SQUARE = "1:1"
    PORTRAIT_3_4 = "3:4"
    LANDSCAPE_4_3 = "4:3"
    PORTRAIT_2_3 = "2:3"
    LANDSCAPE_3_2 = "3:2"
    PORTRAIT_9_16 = "9:16"
    LANDSCAPE_16_9 = "16:9"

    @property
    def ratio(self) -> float:
        """Width divided by height."""
        w, h = self.value.split(":")
        return int(w) / int(h)


MIN_COUNT = 1
MAX_COUNT = 4
MAX_PROMPT_CHARS = 1000


class OptionError(UserError):
    """An option value a user gave that is not one of the allowed ones; `option` names it."""

    def __init__(self, message: str | Phrase, option: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Options:
    """What the user asked for, independent of any provider: the look, and whether the results are
    delivered privately (to the person's direct messages instead of where they asked)."""

    style: Style = Style.PROFESSIONAL
    background: Background = Background.STUDIO_WHITE
    attire: Attire = Attire.KEEP_ORIGINAL
    count: int = 1
    quality: Quality = Quality.STANDARD
    aspect_ratio: AspectRatio = AspectRatio.SQUARE
    prompt: str = field(default="")
    private: bool = False

    def __post_init__(self) -> None:
        if not MIN_COUNT <= self.count <= MAX_COUNT:
            raise OptionError(phrase(
                "The number of headshots must be between {low} and {high}; you asked for {count}.",
                low=MIN_COUNT, high=MAX_COUNT, count=self.count,
            ), "count")
        if len(self.prompt) > MAX_PROMPT_CHARS:
            raise OptionError(phrase("The prompt is limited to {limit} characters.", limit=MAX_PROMPT_CHARS), "prompt")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, the shape stored in job records and user settings."""
        return {
            "style": self.style.value,
            "background": self.background.value,
            "attire": self.attire.value,
            "count": self.count,
            "quality": self.quality.value,
            "aspect_ratio": self.aspect_ratio.value,
            "prompt": self.prompt,
            "private": self.private,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], base: Options | None = None) -> Options:
        """Build options from loose values (strings from forms or storage); unknown keys are ignored."""
        result = base or cls()
        changes: dict[str, Any] = {}
        for name, kind in _ENUMS.items():
            value = data.get(name)
            if value not in (None, ""):
                changes[name] = _parse_enum(kind, name, str(value))
        if data.get("count") not in (None, ""):
            try:
                changes["count"] = int(str(data["count"]))
            except ValueError:
                raise OptionError(phrase(
                    "The number of headshots must be a number from {low} to {high}.", low=MIN_COUNT, high=MAX_COUNT
                ), "count") from None
        if data.get("prompt") is not None:
            changes["prompt"] = str(data["prompt"]).strip()
        if data.get("private") not in (None, ""):
            changes["private"] = _parse_flag(data["private"])
        return replace(result, **changes)


_ENUMS: dict[str, type[StrEnum]] = {
    "style": Style,
    "background": Background,
    "attire": Attire,
    "quality": Quality,
    "aspect_ratio": AspectRatio,
}


def _parse_enum(kind: type[StrEnum], name: str, value: str) -> Any:
    try:
        return kind(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        refusals = {
            "style": phrase("“{value}” is not a style; choose one of: {allowed}.", value=value, allowed=allowed),
            "background": phrase(
                "“{value}” is not a background; choose one of: {allowed}.", value=value, allowed=allowed
            ),
            "attire": phrase("“{value}” is not an attire; choose one of: {allowed}.", value=value, allowed=allowed),
            "quality": phrase("“{value}” is not a quality; choose one of: {allowed}.", value=value, allowed=allowed),
        }
        refused = refusals.get(name) or phrase(
            "“{value}” is not an aspect ratio; choose one of: {allowed}.", value=value, allowed=allowed
        )
        raise OptionError(refused, name) from None


_YES = frozenset({"true", "1", "yes", "on", "private"})
_NO = frozenset({"false", "0", "no", "off", "public"})


def _parse_flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _YES or word in _NO:
        return word in _YES
    raise OptionError(phrase("“{value}” is neither yes nor no for private delivery.", value=value), "private")


def choices(name: str) -> list[str]:
    """The allowed values of one enum option, in order."""
    return [member.value for member in _ENUMS[name]]


def members(name: str) -> list[StrEnum]:
    """The allowed values of one enum option as members (whose labels people read), in order."""
    return list(_ENUMS[name])


_COUNT_WORD = re.compile(r"^(?:x|×)?([0-9]+)(?:x|×)?$", re.IGNORECASE)
# Inside a word: letters and digits, and what option values are written with ("3:4", "studio-gray", "x2").
_JOINERS = frozenset(":×_-'’")


def option_words(text: str) -> list[str]:
    """The words of a sentence as people write it, for `parse_option_words`.

    Full-width forms are read as their plain ones ("ｘ２" is "x2"); punctuation, emoji and every
    script without spaces between words (Japanese, Chinese) separate words, so an option written
    inside a Japanese sentence still stands alone.
    """
    words, current = [], []
    for ch in unicodedata.normalize("NFKC", text):
        if ch in _JOINERS or (ch.isalnum() and (ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"))):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    words.append("".join(current))
    return [stripped for word in words if (stripped := word.strip(":_-'’")) and any(c.isalnum() for c in stripped)]


def typo_distance(a: str, b: str) -> int:
    """How many letters to add, drop, change or swap with a neighbour to make `a` into `b`."""
    before, row = list(range(len(b) + 1)), list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        earlier, before, row = before, row, [i]
        for j, y in enumerate(b, 1):
            best = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                best = min(best, earlier[j - 2] + 1)
            row.append(best)
    return row[-1]


def looks_misspelt(word: str, option: str) -> bool:
    """Whether `word` reads as `option` with a slip of the keyboard: the same first letter and about the
    same length, one slip in a word of five to nine letters, two in a longer one. Shorter words are
    never guessed (too many ordinary words are one letter away from "high"), nor words that only share
    a stem ("creation", "professionally")."""
    if len(word) < 5 or word[0] != option[0] or abs(len(word) - len(option)) > 1:
        return False
    return typo_distance(word, option) <= (1 if len(word) < 10 else 2)


@dataclass(frozen=True)
class ParsedWords:
    """Options read from free words (a chat mention), and the words that look like a misspelt option,
    each with the option it probably meant (left out: a guess is not an answer)."""

    values: dict[str, str]
    provider: str | None
    guessed: list[tuple[str, str]] = field(default_factory=list)


def parse_option_words(words: list[str], providers: list[str]) -> ParsedWords:
    """Read options from the words of a sentence: `make me look executive, office background 3:4 x4`.

    Each word is matched against every enum; `xN`/`Nx` sets the count; a provider name picks
    the provider; `private` (or `public`) says where the results go. Every other word is passed
    over (people write sentences), except one that looks like a misspelt option (`execuitve`),
    which is returned with its guess.
    """
    values: dict[str, str] = {}
    provider: str | None = None
    guessed: list[tuple[str, str]] = []
    vocabulary = [*providers, *(member.value for kind in _ENUMS.values() for member in kind), "private", "public"]
    for raw in words:
        word = raw.strip().lower().strip(",.;:!?()\"'").replace("-", "_")
        if not word or not any(ch.isalnum() for ch in word):
            continue
        if word in providers:
            provider = word
            continue
        if word in ("private", "privately", "public"):
            values["private"] = "public" if word == "public" else "private"
            continue
        count = _COUNT_WORD.match(word)
        if count and ("x" in word or "×" in word):
            values["count"] = count.group(1)
            continue
        name = next((name for name, kind in _ENUMS.items() if word in {m.value for m in kind}), None)
        if name is not None:
            values[name] = word
            continue
        close = [option for option in vocabulary if looks_misspelt(word, option)]
        if close:
            guessed.append((raw, min(close, key=lambda option: typo_distance(word, option))))
    return ParsedWords(values=values, provider=provider, guessed=guessed)
