"""The voice-of-customer digest's chart: the week's top themes by feedback items, as a
PNG for the e-mail (mail clients show neither SVG nor web fonts).

One bar per theme (at most :data:`MAX_THEMES`), longest for the theme with most items,
red when the theme is spiking, blue otherwise, with the count after the bar. Drawn
with Pillow, like the review's and the leadership digest's charts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

__all__ = ["CID", "MAX_THEMES", "ThemeBar", "chart_html", "png_themes", "theme_bars"]

#: The Content-ID the digest's HTML shows the chart by.
CID = "voc-themes@pilothouse"
MAX_THEMES = 8
WIDTH, ROW, LABEL = 560, 22, 230
_BAR_WIDTH = WIDTH - LABEL - 50
SPIKE, STEADY = (0xC0, 0x39, 0x2B), (0x2F, 0x6F, 0xB3)


@dataclass(frozen=True)
class ThemeBar:
    """One theme's bar: ``length`` is its share of the longest bar (0–1)."""

    label: str
    count: int
    length: float
    spiking: bool
    y: int


def _short(text: str, size: int = 34) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def theme_bars(report: Any) -> list[ThemeBar]:
    """The top themes of a VoC report (``feedback.reports.VocReport``), top to bottom."""
    top = list(report.themes)[:MAX_THEMES]
    most = max((s.item_count for s in top), default=0) or 1
    return [
        ThemeBar(_short(s.label), s.item_count, s.item_count / most, s.spike is not None, i * ROW)
        for i, s in enumerate(top)
    ]


def png_themes(rows: list[ThemeBar], scale: int = 2) -> bytes:
    """The bars as a PNG (``scale`` × for high-density screens)."""
    image = Image.new("RGB", (WIDTH * scale, max(len(rows), 1) * ROW * scale), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12 * scale)
    for row in rows:
        top, bottom = (row.y + 4) * scale, (row.y + 18) * scale - 1
        draw.text((0, top), row.label, fill="#1f2933", font=font)
        filled = round(row.length * _BAR_WIDTH * scale)
        if filled > 0:
            left = LABEL * scale
            draw.rectangle(
                (left, top, left + filled - 1, bottom), fill=SPIKE if row.spiking else STEADY
            )
        draw.text(
            ((LABEL + _BAR_WIDTH + 6) * scale, top), str(row.count), fill="#52606d", font=font
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def chart_html(rows: list[ThemeBar]) -> str:
    """The ``<img>`` the e-mail's HTML shows the chart with (empty without themes)."""
    if not rows:
        return ""
    height = len(rows) * ROW
    return (
        f'<p><img src="cid:{CID}" width="{WIDTH}" height="{height}" '
        'alt="Top themes by feedback items (red: spiking)"></p>'
    )
