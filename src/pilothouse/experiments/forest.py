"""A forest plot of effects and intervals, drawn as SVG on the server.

Server-side SVG needs no script and no inline styles (the Content-Security-Policy
allows neither), prints and reads well at any width, and is testable as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["ForestRow", "forest_rows", "forest_svg"]

ROW_HEIGHT = 30
LABEL_WIDTH = 220
PLOT_WIDTH = 420
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


def forest_svg(rows: list[ForestRow], *, relative: bool) -> str:
    """The plot as an SVG string (labels escaped), or "" when there is nothing to draw."""
    from markupsafe import escape

    if not rows:
        return ""
    low, high = _scale(rows)

    def x(value: float) -> float:
        return LABEL_WIDTH + (value - low) / (high - low) * PLOT_WIDTH

    height = ROW_HEIGHT * len(rows) + 30
    width = LABEL_WIDTH + PLOT_WIDTH + 80
    parts = [
        f'<svg class="forest" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Effect and interval per metric" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{x(0):.1f}" y1="0" x2="{x(0):.1f}" y2="{height - 24}" '
        'stroke="#9ca3af" stroke-dasharray="4 3"/>',
    ]
    for i, row in enumerate(rows):
        y = ROW_HEIGHT * i + ROW_HEIGHT / 2
        colour = COLOURS[row.tone]
        shown = f"{row.effect * 100:+.2f}%" if relative else f"{row.effect:+.4g}"
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="currentColor">{escape(row.label)}</text>',
            f'<line x1="{x(row.lower):.1f}" y1="{y:.1f}" x2="{x(row.upper):.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="3" data-tone="{row.tone}"/>',
            f'<circle cx="{x(row.effect):.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>',
            f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 8}" y="{y + 4:.1f}" font-size="12" '
            f'fill="{colour}">{shown}</text>',
        ]
    for value in (low, 0.0, high):
        label = f"{value * 100:.1f}%" if relative else f"{value:.3g}"
        parts.append(
            f'<text x="{x(value):.1f}" y="{height - 8}" font-size="11" '
            f'text-anchor="middle" fill="#6b7280">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
