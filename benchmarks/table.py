"""One result row per measured figure, and the table they print as."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One figure: what was measured, what it is compared with, and whether it meets its target.

    `ok` is None when the figure could not be measured at all (say why in `note`).
    """

    name: str
    figure: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool | None
    note: str = ""


def verdict(row: Row) -> str:
    """PASS, MISS, or n/a for a figure that was not measured."""
    if row.ok is None:
        return "n/a"
    return "PASS" if row.ok else "MISS"


def _cells(row: Row) -> list[str]:
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
    return [row.name, row.figure, row.baseline, ratio, row.target, verdict(row), row.note]


HEADER = ["benchmark", "measured", "baseline / limit", "ratio", "target", "ok", "note"]


def render_text(rows: Sequence[Row]) -> str:
    """A fixed-width table for the terminal."""
    grid = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in grid]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[Row]) -> str:
    """The same table in Markdown, for RESULTS.md."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in _cells(r)) + " |" for r in rows]
    return "\n".join(lines)
