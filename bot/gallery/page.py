"""The gallery's HTML: Jinja2 templates (autoescaped) with their stylesheet inlined under a CSP hash."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.dates import long_date_time
from bot.gallery.manifest import GalleryManifest
from bot.i18n import t, tn
from bot.jobs import Job
from bot.labels import label
from bot.request import Capabilities

MAX_PROMPT_SHOWN = 120


@dataclass(frozen=True)
class PageItem:
    """One tile of the grid."""

    number: int
    href: str
    thumb_href: str
    filename: str
    favourite: bool = False


@dataclass(frozen=True)
class GalleryPage:
    """Everything the gallery template shows, already in words (in the reader's language, `lang`)."""

    lang: str
    title: str
    asked: str
    kept_until: str
    kept_until_iso: str
    zip_href: str
    zip_label: str
    thumb_width: int
    thumb_height: int
    items: list[PageItem]
    kept_line: str
    anyone: str
    download_all: str
    footer: str
    favourites_note: str = ""

    def full_size(self, number: int) -> str:
        """The title of picture `number`'s link."""
        return t(self.lang, "Headshot {number}, full size", number=number)

    def alt(self, number: int, favourite: bool = False) -> str:
        """The alternative text of picture `number`."""
        if favourite:
            return t(self.lang, "Headshot {number}, a favourite", number=number)
        return t(self.lang, "Headshot {number}", number=number)

    def favourite_mark(self) -> str:
        """What a screen reader reads before a favourite's number."""
        return t(self.lang, "Favourite, headshot")

    def download(self, number: int) -> tuple[str, str]:
        """The download link's text, and its part only screen readers read."""
        return t(self.lang, "Download"), t(self.lang, "headshot {number}", number=number)


def megabytes(size: int) -> str:
    """A size for people: 92 MB, 4.5 MB, 0.3 MB."""
    value = size / 1_000_000
    return f"{value:.0f} MB" if value >= 10 else f"{value:.1f} MB"


def asked_line(job: Job, capabilities: Capabilities | None, locale: str | None = None) -> str:
    """What was asked for: provider, the options it honours, how many photos, and when."""
    name = capabilities.label if capabilities else job.provider
    honours = capabilities.honours if capabilities else frozenset()
    options = job.options
    chosen = [
        words
        for option, words in (
            ("style", label(locale, options.style)),
            ("background", label(locale, options.background)),
            ("attire", label(locale, options.attire)),
            ("aspect_ratio", options.aspect_ratio.value),
            ("quality", label(locale, options.quality)),
        )
        if option in honours
    ]
    if "prompt" in honours and options.prompt:
        prompt = options.prompt if len(options.prompt) <= MAX_PROMPT_SHOWN else options.prompt[:MAX_PROMPT_SHOWN] + "…"
        chosen.append(f"“{prompt}”")
    source = tn(locale, "{provider}, from 1 photo", "{provider}, from {n} photos", job.photo_count, provider=name)
    asked = t(locale, "asked {when}", when=long_date_time(locale, job.created_at))
    return " · ".join([source, *([", ".join(chosen)] if chosen else []), asked])


class PageRenderer:
    """Renders the gallery and its not-found page; `csp` allows exactly their inline stylesheet."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("bot.gallery", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        css = files("bot.gallery").joinpath("templates/gallery.css").read_text("utf-8")
        self._css = Markup(css)  # noqa: S704 (our own file, inlined verbatim so that its hash below holds)
        digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
        self.csp = (
            f"default-src 'none'; img-src 'self' data:; style-src 'sha256-{digest}'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )

    def gallery(
        self, token: str, job: Job, manifest: GalleryManifest, capabilities: Capabilities | None, kept_until: float,
        favourites: frozenset[int] = frozenset(),
        locale: str | None = None,
    ) -> str:
        """The page of one gallery in `locale` (else the job's language), its owner's favourites first and
        marked. Links are relative, so a path prefix in front of `/g/` still works."""
        locale = locale or job.locale
        count = len(manifest.images)
        items = [
            PageItem(number, f"{token}/{number}", f"{token}/{number}/thumbnail", image.filename(number),
                     number in favourites)
            for number, image in enumerate(manifest.images, start=1)
        ]
        items.sort(key=lambda item: not item.favourite)  # stable: each group keeps its numbers' order
        marked = sum(item.favourite for item in items)
        kept = long_date_time(locale, kept_until)
        page = GalleryPage(
            lang=(locale or "en").replace("_", "-"),
            title=tn(locale, "Your headshot", "Your {n} headshots", count),
            asked=asked_line(job, capabilities, locale),
            kept_until=kept,
            kept_until_iso=datetime.fromtimestamp(kept_until, UTC).isoformat(timespec="seconds"),
            zip_href=f"{token}/headshots.zip",
            zip_label=f"zip, {megabytes(manifest.total_bytes)}",
            thumb_width=manifest.thumb_width,
            thumb_height=manifest.thumb_height,
            items=items,
            kept_line=t(locale, "Kept until"),
            anyone=t(locale, "Anyone who has this link can see these pictures."),
            download_all=t(locale, "Download all"),
            footer=t(
                locale, "Select a picture to open it full size. This page and its pictures are deleted on {when}, "
                "or at once when you ask the bot to forget what it stores about you.", when=kept,
            ),
            favourites_note=tn(locale, "Your favourite comes first.", "Your {n} favourites come first.", marked)
            if marked else "",
        )
        return self._env.get_template("gallery.html").render(page=page, css=self._css)

    def not_found(self, retention_days: float, locale: str | None = None) -> str:
        """The short page every refusal answers with, in the reader's language."""
        words = {
            "lang": (locale or "en").replace("_", "-"),
            "title": t(locale, "No gallery here"),
            "why": t(
                locale, "This link is mistyped, or its pictures are no longer kept: a gallery lasts {days} days after "
                "its headshots are delivered, and ends at once when their owner asks the bot to forget them.",
                days=f"{retention_days:g}",
            ),
            "again": t(locale, "Ask the bot for new headshots any time."),
        }
        return self._env.get_template("not_found.html").render(css=self._css, words=words)

    def notice(self, title: str, paragraphs: list[str], locale: str | None = None) -> str:
        """A short page of its own (another route's refusal), in the gallery's look."""
        return self._env.get_template("notice.html").render(
            css=self._css, title=title, paragraphs=paragraphs, lang=(locale or "en").replace("_", "-")
        )
