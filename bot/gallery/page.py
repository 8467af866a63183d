"""The gallery's HTML: Jinja2 templates (autoescaped) with their stylesheet inlined under a CSP hash."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.gallery.manifest import GalleryManifest
from bot.jobs import Job
from bot.request import Capabilities

MAX_PROMPT_SHOWN = 120


@dataclass(frozen=True)
class PageItem:
    """One tile of the grid."""

    number: int
    href: str
    thumb_href: str
    filename: str


@dataclass(frozen=True)
class GalleryPage:
    """Everything the gallery template shows, already in words."""

    title: str
    asked: str
    kept_until: str
    kept_until_iso: str
    zip_href: str
    zip_label: str
    thumb_width: int
    thumb_height: int
    items: list[PageItem]


def megabytes(size: int) -> str:
    """A size for people: 92 MB, 4.5 MB, 0.3 MB."""
    value = size / 1_000_000
    return f"{value:.0f} MB" if value >= 10 else f"{value:.1f} MB"


def day(moment: float) -> str:
    """A UTC date and time in words: 3 March 2026, 14:05 UTC."""
    when = datetime.fromtimestamp(moment, UTC)
    return f"{when.day} {when:%B %Y, %H:%M} UTC"


def asked_line(job: Job, capabilities: Capabilities | None) -> str:
    """What was asked for: provider, the options it honours, how many photos, and when."""
    label = capabilities.label if capabilities else job.provider
    honours = capabilities.honours if capabilities else frozenset()
    options = job.options
    attire = "original attire" if options.attire.value == "keep_original" else f"{options.attire.value} attire"
    chosen = [
        words.replace("_", " ")
        for name, words in (
            ("style", options.style.value),
            ("background", f"{options.background.value} background"),
            ("attire", attire),
            ("aspect_ratio", options.aspect_ratio.value),
        )
        if name in honours
    ]
    if "quality" in honours:
        chosen.append(f"{options.quality.value} quality")
    if "prompt" in honours and options.prompt:
        prompt = options.prompt if len(options.prompt) <= MAX_PROMPT_SHOWN else options.prompt[:MAX_PROMPT_SHOWN] + "…"
        chosen.append(f"“{prompt}”")
    photos = "1 photo" if job.photo_count == 1 else f"{job.photo_count} photos"
    parts = [f"{label}, from {photos}", *([", ".join(chosen)] if chosen else []), f"asked {day(job.created_at)}"]
    return " · ".join(parts)


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
        self, token: str, job: Job, manifest: GalleryManifest, capabilities: Capabilities | None, kept_until: float
    ) -> str:
        """The page of one gallery. Links are relative, so a path prefix in front of `/g/` still works."""
        count = len(manifest.images)
        items = [
            PageItem(number, f"{token}/{number}", f"{token}/{number}/thumbnail", image.filename(number))
            for number, image in enumerate(manifest.images, start=1)
        ]
        page = GalleryPage(
            title=f"Your {count} headshot" if count == 1 else f"Your {count} headshots",
            asked=asked_line(job, capabilities),
            kept_until=day(kept_until),
            kept_until_iso=datetime.fromtimestamp(kept_until, UTC).isoformat(timespec="seconds"),
            zip_href=f"{token}/headshots.zip",
            zip_label=f"zip, {megabytes(manifest.total_bytes)}",
            thumb_width=manifest.thumb_width,
            thumb_height=manifest.thumb_height,
            items=items,
        )
        return self._env.get_template("gallery.html").render(page=page, css=self._css)

    def not_found(self, retention_days: float) -> str:
        """The short page every refusal answers with."""
        return self._env.get_template("not_found.html").render(css=self._css, days=f"{retention_days:g}")

    def notice(self, title: str, paragraphs: list[str]) -> str:
        """A short page of its own (another route's refusal), in the gallery's look."""
        return self._env.get_template("notice.html").render(css=self._css, title=title, paragraphs=paragraphs)
