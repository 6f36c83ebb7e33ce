"""A forest plot of effects and intervals, drawn as SVG on the server.

Server-side SVG needs no script and no inline styles (the Content-Security-Policy
allows neither), prints and reads well at any width, and is testable as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["ForestRow", "forest_rows", "forest_svg", "nice_ticks"]

ROW_HEIGHT = 30
PLOT_WIDTH = 420
VALUE_WIDTH = 84  # the effect printed right of the plot ("+117.56%")
AXIS_HEIGHT = 30
FONT_SIZE = 12
#: Average advance of a sans-serif character at FONT_SIZE, in px (DejaVu/Helvetica ~0.55 em):
#: enough to size the label column so that no label is cut at the SVG's left edge.
CHAR_WIDTH = 6.8
MIN_LABEL_WIDTH, MAX_LABEL_WIDTH = 120, 320
COLOURS = {"better": "#059669", "worse": "#dc2626", "breach": "#dc2626", "inconclusive": "#6b7280"}


@dataclass(frozen=True)
class ForestRow:
    label: str
    effect: float
    lower: float
    upper: float
    tone: str  # better, worse, breach or inconclusive (the scorecard's statuses)


def _bound(value: Any, fallback: float) -> float:
    if value in (None, "inf", "-inf"):
        return fallback
    number = float(value)
    return number if math.isfinite(number) else fallback


def forest_rows(results: dict[str, Any]) -> list[ForestRow]:
    """One row per metric × treatment with an effect; errors and baselines are left out."""
    rows = []
    for metric in results.get("metrics", []):
        for variation in metric.get("variations", [])[1:]:
            effect = variation.get("effect")
            ci = variation.get("ci")
            if effect is None or not ci or variation.get("error"):
                continue
            effect = float(effect)
            tone = (
                "breach"
                if variation.get("guardrail_breached")
                else (
                    variation.get("status")
                    if variation.get("status") in ("better", "worse")
                    else "inconclusive"
                )
            )
            rows.append(
                ForestRow(
                    f"{metric.get('label') or metric['metric']} · "
                    f"{variation.get('name') or variation['key']}",
                    effect,
                    _bound(ci[0], effect),
                    _bound(ci[1], effect),
                    tone,
                )
            )
    return rows


def _scale(rows: list[ForestRow]) -> tuple[float, float]:
    low = min([0.0, *(r.lower for r in rows)])
    high = max([0.0, *(r.upper for r in rows)])
    pad = (high - low) * 0.08 or 0.01
    return low - pad, high + pad


def nice_ticks(low: float, high: float, target: int = 6) -> list[float]:
    """Round axis values (1, 2 or 5 × 10^k apart) inside ``[low, high]``, zero among them
    when it is in range: evenly spaced labels never overlap, unlike the raw ends."""
    raw = (high - low) / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step)
    ticks = [round(k * step, 12) for k in range(first, math.floor(high / step) + 1)]
    return [0.0 if abs(t) < step / 1e6 else t for t in ticks]


def _label_width(rows: list[ForestRow]) -> int:
    longest = max(len(r.label) for r in rows)
    return math.ceil(min(MAX_LABEL_WIDTH, max(MIN_LABEL_WIDTH, longest * CHAR_WIDTH + 16)))


def _fit(label: str, width: int) -> str:
    """The label shortened with an ellipsis to fit ``width`` px (the full text is the
    row's tooltip)."""
    if len(label) * CHAR_WIDTH + 16 <= width:
        return label
    room = int((width - 16) / CHAR_WIDTH)
    return label[: max(room - 1, 1)].rstrip() + "…"


def _axis(x: Any, low: float, high: float, top: float, relative: bool) -> list[str]:
    parts = []
    for value in nice_ticks(low, high):
        label = f"{value * 100:g}%" if relative else f"{value:g}"
        parts += [
            f'<line x1="{x(value):.1f}" y1="0" x2="{x(value):.1f}" y2="{top:.1f}" '
            'stroke="#e5e7eb"/>',
            f'<text x="{x(value):.1f}" y="{top + 16:.1f}" font-size="11" '
            f'text-anchor="middle" fill="#6b7280">{label}</text>',
        ]
    return parts


def _row(row: ForestRow, i: int, x: Any, label_width: int, relative: bool) -> list[str]:
    from markupsafe import escape

    y = ROW_HEIGHT * i + ROW_HEIGHT / 2
    colour = COLOURS[row.tone]
    shown = f"{row.effect * 100:+.2f}%" if relative else f"{row.effect:+.4g}"
    return [
        f"<g><title>{escape(row.label)}: {shown}</title>",
        f'<text x="{label_width - 10}" y="{y + 4:.1f}" text-anchor="end" '
        f'font-size="{FONT_SIZE}" fill="currentColor">'
        f"{escape(_fit(row.label, label_width))}</text>",
        f'<line x1="{x(row.lower):.1f}" y1="{y:.1f}" x2="{x(row.upper):.1f}" y2="{y:.1f}" '
        f'stroke="{colour}" stroke-width="3" data-tone="{row.tone}"/>',
        f'<circle cx="{x(row.effect):.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>',
        f'<text x="{label_width + PLOT_WIDTH + 10}" y="{y + 4:.1f}" font-size="{FONT_SIZE}" '
        f'fill="{colour}">{shown}</text></g>',
    ]


def forest_svg(rows: list[ForestRow], *, relative: bool) -> str:
    """The plot as an SVG string (labels escaped), or "" when there is nothing to draw.

    The label column is as wide as the longest label needs (capped; longer ones end in
    an ellipsis and show whole on hover), the axis has round, evenly spaced values.
    """
    if not rows:
        return ""
    low, high = _scale(rows)
    label_width = _label_width(rows)

    def x(value: float) -> float:
        return label_width + (value - low) / (high - low) * PLOT_WIDTH

    top = ROW_HEIGHT * len(rows)
    height = top + AXIS_HEIGHT
    width = label_width + PLOT_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg class="forest" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-label="Effect and interval per metric" '
        'xmlns="http://www.w3.org/2000/svg">',
        *_axis(x, low, high, top, relative),
        f'<line x1="{x(0):.1f}" y1="0" x2="{x(0):.1f}" y2="{top:.1f}" '
        'stroke="#6b7280" stroke-dasharray="4 3"/>',
    ]
    for i, row in enumerate(rows):
        parts += _row(row, i, x, label_width, relative)
    parts.append("</svg>")
    return "".join(parts)
