"""Key-result progress bars: SVG for the page, PNG (Pillow) for the leadership e-mail.

One geometry (:func:`progress_rows`) feeds both renderers, like :mod:`.charts`. Each
row is one key result: a grey track, a bar filled to its progress coloured by its
track (on track, achieved, off track, no data) and a tick where the time elapsed in
its objective's period says it should be. The SVG uses attributes and classes only
(the page's CSP forbids inline styles); the PNG draws each label with Pillow's bundled
font, since mail clients show neither SVG nor web fonts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from markupsafe import Markup, escape
from PIL import Image, ImageDraw, ImageFont

from pilothouse.reports.okr_progress import ObjectiveEntry

__all__ = ["ROW", "WIDTH", "ProgressRow", "png_progress", "progress_rows", "svg_progress"]

WIDTH, ROW, LABEL = 560, 22, 250
_BAR_WIDTH = WIDTH - LABEL - 50
_COLOURS = {
    "on_track": "#2e8540",
    "achieved": "#2f6fb3",
    "off_track": "#c0392b",
    "no_data": "#b8c2cc",
    "not_judged": "#7b8794",
}
_TRACK = "#e5e9ed"


@dataclass(frozen=True)
class ProgressRow:
    """One key result's bar; ``expected`` is the tick (None: not judged)."""

    label: str
    progress: float | None
    expected: float | None
    track: str
    y: float


def _short(text: str, size: int = 38) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def progress_rows(objectives: list[ObjectiveEntry]) -> list[ProgressRow]:
    """A row per key result of every objective, top to bottom."""
    rows = []
    for objective in objectives:
        for kr in objective.key_results:
            y = len(rows) * ROW
            rows.append(ProgressRow(_short(kr.title), kr.progress, objective.expected, kr.track, y))
    return rows


def _height(rows: list[ProgressRow]) -> int:
    return max(len(rows), 1) * ROW


def svg_progress(rows: list[ProgressRow], label: str) -> Markup:
    """An inline ``<svg>`` with a ``<title>`` per row (progress in words on hover)."""
    height = _height(rows)
    parts = [
        f'<svg class="kr-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="{escape(label)}">'
    ]
    for row in rows:
        filled = (row.progress or 0.0) * _BAR_WIDTH
        share = "no value" if row.progress is None else f"{row.progress:.0%}"
        parts.append(
            f'<g class="kr-row kr-{row.track}"><title>{escape(row.label)}: {share}</title>'
            f'<text x="0" y="{row.y + 15:.0f}" font-size="12" fill="#1f2933">'
            f"{escape(row.label)}</text>"
            f'<rect x="{LABEL}" y="{row.y + 4:.0f}" width="{_BAR_WIDTH}" height="14" '
            f'fill="{_TRACK}"></rect>'
            f'<rect x="{LABEL}" y="{row.y + 4:.0f}" width="{filled:.1f}" height="14" '
            f'fill="{_COLOURS[row.track]}"></rect>'
        )
        if row.expected is not None:
            x = LABEL + row.expected * _BAR_WIDTH
            parts.append(
                f'<rect x="{x - 1:.1f}" y="{row.y + 1:.0f}" width="2" height="20" '
                'fill="#1f2933"></rect>'
            )
        parts.append(
            f'<text x="{LABEL + _BAR_WIDTH + 6}" y="{row.y + 15:.0f}" font-size="12" '
            f'fill="#52606d">{share}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped or numeric


def png_progress(rows: list[ProgressRow], scale: int = 2) -> bytes:
    """The same bars as a PNG (``scale`` × for high-density screens)."""
    image = Image.new("RGB", (WIDTH * scale, _height(rows) * scale), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12 * scale)
    for row in rows:
        top = round((row.y + 4) * scale)
        bottom = round((row.y + 18) * scale) - 1
        draw.text((0, round((row.y + 4) * scale)), row.label, fill="#1f2933", font=font)
        left = LABEL * scale
        draw.rectangle((left, top, left + _BAR_WIDTH * scale - 1, bottom), fill=_TRACK)
        filled = round((row.progress or 0.0) * _BAR_WIDTH * scale)
        if filled > 0:
            draw.rectangle((left, top, left + filled - 1, bottom), fill=_COLOURS[row.track])
        if row.expected is not None:
            x = left + round(row.expected * _BAR_WIDTH * scale)
            draw.rectangle((x - scale, top - 3 * scale, x + scale - 1, bottom + 3 * scale),
                           fill="#1f2933")  # fmt: skip
        share = "—" if row.progress is None else f"{row.progress:.0%}"
        draw.text(((LABEL + _BAR_WIDTH + 6) * scale, top), share, fill="#52606d", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
