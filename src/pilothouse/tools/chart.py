"""The spend chart: horizontal bars drawn on the server as SVG (no script, no CDN).

One bar per category (annual cost) and one per year, each group in one currency:
amounts in different currencies are never put on one scale. Presentation attributes
only, since the page's CSP forbids inline styles.
"""

from __future__ import annotations

from markupsafe import Markup, escape

__all__ = ["WIDTH", "money", "spend_svg"]

WIDTH = 560
_LABEL = 150
_VALUE = 110
_ROW = 22
_COLOUR = "#2f6fb3"


def money(cents: int, currency: str) -> str:
    """``1234550, "EUR"`` → ``EUR 12,346``: whole units rounded half up (a summary)."""
    return f"{currency} {(cents + 50) // 100:,}"


def spend_svg(rows: list[tuple[str, int]], currency: str, label: str) -> Markup:
    """Bars for ``(name, cents)`` rows in ``currency``; an empty list draws nothing."""
    if not rows:
        return Markup("")
    top = max(c for _, c in rows) or 1
    span = WIDTH - _LABEL - _VALUE
    height = _ROW * len(rows) + 4
    parts = [
        f'<svg class="tools-chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{escape(label)}">'
    ]
    for index, (name, cents) in enumerate(rows):
        y = index * _ROW + 2
        width = max(1.0, cents / top * span)
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="currentColor">{escape(name)}</text>'
            f'<rect x="{_LABEL}" y="{y + 3}" width="{width:.1f}" height="{_ROW - 6}" '
            f'fill="{_COLOUR}"><title>{escape(name)}: {escape(money(cents, currency))}</title>'
            f'</rect><text x="{_LABEL + width + 6:.1f}" y="{y + 15}" font-size="12" '
            f'fill="currentColor">{escape(money(cents, currency))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped or numeric
