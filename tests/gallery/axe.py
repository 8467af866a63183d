"""axe-core, the accessibility checker browsers' developer tools use, fetched once from npm for the page tests.

It lands in `tests/gallery/.axe/` (not committed). Without npm, or without the registry, the tests that
want it check colour contrast with `contrast_ratio` alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

AXE_VERSION = "4.11.4"
HOME = Path(__file__).resolve().parent / ".axe"
SCRIPT = HOME / "node_modules" / "axe-core" / "axe.min.js"


def axe_script() -> Path | None:
    """The path of axe.min.js, installed now if need be; None when it cannot be had."""
    if SCRIPT.exists():
        return SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        return None
    command = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(HOME), f"axe-core@{AXE_VERSION}"]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return SCRIPT if SCRIPT.exists() else None


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[float, float, float]) -> float:
    red, green, blue = (_channel(c) for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def parse_colour(css: str) -> tuple[float, float, float, float]:
    """`rgb(r, g, b)` or `rgba(r, g, b, a)` as a browser computes it, as (r, g, b, alpha)."""
    found = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", css.strip())
    assert found is not None, f"not a computed colour: {css}"
    red, green, blue, alpha = found.groups()
    return float(red), float(green), float(blue), float(alpha) if alpha is not None else 1.0


def over(top: tuple[float, float, float, float], under: tuple[float, float, float]) -> tuple[float, float, float]:
    """`top`, with its alpha, laid over an opaque `under`."""
    alpha = top[3]
    return (
        top[0] * alpha + under[0] * (1 - alpha),
        top[1] * alpha + under[1] * (1 - alpha),
        top[2] * alpha + under[2] * (1 - alpha),
    )


def contrast_ratio(ink: tuple[float, float, float], paper: tuple[float, float, float]) -> float:
    """WCAG 2's contrast ratio of two opaque colours (1 to 21)."""
    lighter, darker = sorted((_luminance(ink), _luminance(paper)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
