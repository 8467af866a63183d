"""What people read for each option value: "Studio white" for `studio_white`, in their language.

Option values stay the same in every language (they are what forms send back, what is stored and
what a mention may say); only their labels are translated. Every place a person reads an option
shows `label(locale, value)`.
"""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import Phrase, phrase, t, tn
from bot.options import Attire, Background, Options, Quality, Style

_LABELS: dict[StrEnum, Phrase] = {
    Style.PROFESSIONAL: phrase("Professional"),
    Style.CASUAL: phrase("Casual"),
    Style.CREATIVE: phrase("Creative"),
    Style.EXECUTIVE: phrase("Executive"),
    Style.FRIENDLY: phrase("Friendly"),
    Style.EDITORIAL: phrase("Editorial"),
    Background.STUDIO_WHITE: phrase("Studio white"),
    Background.STUDIO_GRAY: phrase("Studio grey"),
    Background.OFFICE: phrase("Office"),
    Background.OUTDOOR: phrase("Outdoors"),
    Background.GRADIENT: phrase("Gradient"),
    Background.ABSTRACT: phrase("Abstract"),
    Attire.BUSINESS_FORMAL: phrase("Business formal"),
    Attire.BUSINESS_CASUAL: phrase("Business casual"),
    Attire.SMART_CASUAL: phrase("Smart casual"),
    Attire.CASUAL: phrase("Casual clothes"),
    Attire.SCRUBS: phrase("Scrubs"),
    Attire.KEEP_ORIGINAL: phrase("Own clothes"),
    Quality.STANDARD: phrase("Standard quality"),
    Quality.HIGH: phrase("High quality"),
}
# What each option is called, for form labels and sentences naming one.
_OPTION_NAMES: dict[str, Phrase] = {
    "style": phrase("Style"),
    "background": phrase("Background"),
    "attire": phrase("Attire"),
    "count": phrase("How many"),
    "quality": phrase("Quality"),
    "aspect_ratio": phrase("Aspect ratio"),
    "prompt": phrase("Prompt"),
    "private": phrase("Delivery"),
    "provider": phrase("Provider"),
}


def label_phrase(value: StrEnum) -> Phrase:
    """An option value's label, to be said later (aspect ratios are their own label: "3:4")."""
    found = _LABELS.get(value)
    return found if found is not None else Phrase("{value}", values={"value": value.value})


def label(locale: str | None, value: StrEnum) -> str:
    """An option value's label in the reader's language: "Studio white", "Studioweiß"."""
    found = _LABELS.get(value)
    return found.say(locale) if found is not None else str(value.value)


def option_name(locale: str | None, option: str) -> str:
    """What an option is called ("Aspect ratio"), in the reader's language."""
    found = _OPTION_NAMES.get(option)
    return found.say(locale) if found is not None else option.replace("_", " ")



def defaults_line(locale: str | None, options: Options, provider_label: str) -> str:
    """A person's defaults as they read them: "agent.ai, Professional, Studio white, Own clothes, 1 headshot,
    Standard quality, 1:1; results posted where you ask"."""
    shown = [
        provider_label,
        label(locale, options.style),
        label(locale, options.background),
        label(locale, options.attire),
        tn(locale, "1 headshot", "{n} headshots", options.count),
        label(locale, options.quality),
        options.aspect_ratio.value,
    ]
    if options.prompt:
        shown.append(t(locale, "prompt “{prompt}”", prompt=options.prompt))
    where = t(locale, "results sent to you privately") if options.private else t(locale, "results posted where you ask")
    return f"{', '.join(shown)}; {where}"
