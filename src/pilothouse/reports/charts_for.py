"""The chart of each metric movement, for the page (SVG) and the e-mail (PNG)."""

from __future__ import annotations

from markupsafe import Markup

from pilothouse.reports.charts import Bar, bars, png_chart, svg_chart
from pilothouse.reports.metric_moves import MetricMove
from pilothouse.reports.review import WeeklyReview

__all__ = ["move_bars", "png_charts", "svg_charts"]


def move_bars(review: WeeklyReview, move: MetricMove) -> list[Bar]:
    outside = {day for day, _ in move.outside_days}
    return bars(move.days, move.values, review.week.start, outside)


def svg_charts(review: WeeklyReview) -> dict[str, Markup]:
    """``{metric: <svg>}`` for every metric with daily values."""
    return {
        m.metric: svg_chart(move_bars(review, m), f"Daily {m.label}, last week and this week")
        for m in review.metrics
        if m.values
    }


def png_charts(review: WeeklyReview) -> dict[str, bytes]:
    """``{metric: PNG bytes}`` for every metric with daily values."""
    return {m.metric: png_chart(move_bars(review, m)) for m in review.metrics if m.values}
