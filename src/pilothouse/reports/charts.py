"""Small daily bar charts of a metric's two weeks: SVG for the page, PNG for e-mail.

One geometry (:func:`bars`) feeds both renderers, so the page and the e-mail show the
same picture. The SVG uses presentation attributes and classes only (the page's CSP
forbids inline styles). The PNG is drawn with Pillow: mail clients do not show SVG,
and Pillow ships as wheels with no system library (CairoSVG would need libcairo).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from PIL import Image, ImageDraw

__all__ = ["HEIGHT", "WIDTH", "Bar", "bars", "png_chart", "svg_chart"]

WIDTH, HEIGHT = 280, 72
_GAP = 2
_COLOURS = {"last": "#b8c2cc", "this": "#2f6fb3", "outside": "#c0392b", "none": "#e5e9ed"}


@dataclass(frozen=True)
class Bar:
    """One day's bar: ``kind`` is ``last`` (last week), ``this``, ``outside`` (this week,
    outside normal variation) or ``none`` (no value: a short grey stub)."""

    day: date
    value: float | None
    x: float
    y: float
    width: float
    height: float
    kind: str


def bars(
    days: list[date], values: list[float | None], this_week_from: date, outside: set[date]
) -> list[Bar]:
    """Bar geometry in a ``WIDTH`` × ``HEIGHT`` box, zero at the bottom."""
    known = [v for v in values if v is not None]
    top = max([abs(v) for v in known], default=0.0) or 1.0
    width = (WIDTH - _GAP * (len(days) - 1)) / max(len(days), 1)
    out = []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        kind = "last" if day < this_week_from else "outside" if day in outside else "this"
        height = 2.0 if value is None else max(1.0, abs(value) / top * (HEIGHT - 2))
        x = index * (width + _GAP)
        out.append(Bar(day, value, x, HEIGHT - height, width, height, kind if value else "none"))
    return out


def svg_chart(chart: list[Bar], label: str) -> Markup:
    """An inline ``<svg>`` with a ``<title>`` per bar (the day and value on hover)."""
    parts = [
        f'<svg class="review-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(label)}">'
    ]
    for bar in chart:
        value = "no value" if bar.value is None else f"{bar.value:,.4g}"
        parts.append(
            f'<rect class="review-bar review-bar-{bar.kind}" x="{bar.x:.1f}" y="{bar.y:.1f}" '
            f'width="{bar.width:.1f}" height="{bar.height:.1f}" fill="{_COLOURS[bar.kind]}">'
            f"<title>{bar.day:%a %d %b}: {value}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped or numeric


def png_chart(chart: list[Bar], scale: int = 2) -> bytes:
    """The same bars as a PNG (``scale`` × for sharp rendering on high-density screens)."""
    image = Image.new("RGB", (WIDTH * scale, HEIGHT * scale), "white")
    draw = ImageDraw.Draw(image)
    for bar in chart:
        box = (
            round(bar.x * scale),
            round(bar.y * scale),
            round((bar.x + bar.width) * scale) - 1,
            HEIGHT * scale - 1,
        )
        draw.rectangle(box, fill=_COLOURS[bar.kind])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
