"""Trend charts for process health: small server-rendered SVG bar charts.

No script and no inline style (the page's CSP allows neither): presentation attributes
and classes only, a ``<title>`` per bar for the value on hover, and the period labels
under the first and last bars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from pilothouse.ops.health.figures import TrendPoint

__all__ = ["HEIGHT", "WIDTH", "trend_svg"]

WIDTH, HEIGHT = 240, 64
_LABEL = 12
_GAP = 3
_BAR = "#2f6fb3"


def trend_svg(points: Sequence[TrendPoint], label: str, text: Callable[[float], str]) -> Markup:
    """Bars of ``points`` (zero at the bottom), or an empty ``Markup`` without any."""
    known = [p for p in points if p.value is not None]
    if not known:
        return Markup("")
    top = max(abs(p.value or 0.0) for p in known) or 1.0
    plot = HEIGHT - _LABEL
    width = min(36.0, (WIDTH - _GAP * (len(points) - 1)) / len(points))
    parts = [
        f'<svg class="health-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(label)}">'
    ]
    for index, point in enumerate(points):
        value = point.value or 0.0
        height = max(1.0, abs(value) / top * (plot - 2))
        x = index * (width + _GAP)
        shown = "no value" if point.value is None else text(point.value)
        parts.append(
            f'<rect class="health-bar" x="{x:.1f}" y="{plot - height:.1f}" width="{width:.1f}" '
            f'height="{height:.1f}" fill="{_BAR}"><title>{escape(point.period)}: '
            f"{escape(shown)} ({point.n})</title></rect>"
        )
    for index in sorted({0, len(points) - 1}):
        x = index * (width + _GAP)
        anchor = "start" if index == 0 else "end"
        x_text = x if index == 0 else x + width
        parts.append(
            f'<text x="{x_text:.1f}" y="{HEIGHT - 1}" font-size="10" text-anchor="{anchor}" '
            f'fill="#5d6b78">{escape(points[index].period)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped or numeric
