"""Preparing the metric explorer page: series, breakdown, previous period, chart data.

Kept apart from the route so that the page handler stays thin and so that this
shaping can be tested without HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pilothouse.core.errors import PilothouseError
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import presenting, service
from pilothouse.metrics.definitions.model import Metric
from pilothouse.metrics.query_text import parse_where

__all__ = ["ExplorerView", "build_explorer"]

MAX_SERIES = 8
PALETTE = [
    "#1d4ed8",
    "#dc2626",
    "#059669",
    "#d97706",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#6b7280",
]


@dataclass
class ExplorerView:
    metric: Metric
    start: dt.date
    end: dt.date
    grain: str
    by: str
    where: list[str]
    compare: bool
    dimensions: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    previous_total: float | None = None
    current_total: float | None = None
    chart: dict[str, Any] | None = None
    sql: str = ""
    error: str | None = None
    definition: str = ""

    @property
    def change(self) -> float | None:
        if self.previous_total in (None, 0) or self.current_total is None:
            return None
        return (self.current_total - self.previous_total) / abs(self.previous_total)  # type: ignore[operator]


def _label(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _total(runtime: Runtime, request: service.SeriesRequest) -> float | None:
    """One number for the whole range (grain total), for the period comparison."""
    total_request = service.SeriesRequest(
        request.metric, request.start, request.end, None, (), request.filters, request.source
    )
    rows = service.run_series(runtime, total_request).as_dicts()
    return float(rows[0]["value"]) if rows and rows[0]["value"] is not None else None


def _chart(view: ExplorerView, previous: list[dict[str, Any]]) -> dict[str, Any]:
    periods = sorted({r["period_start"] for r in view.rows}, key=_label)
    labels = [_label(p) for p in periods]
    datasets = []
    if view.by:
        groups: dict[str, dict[str, Any]] = defaultdict(dict)
        for row in view.rows:
            groups[str(row.get(view.by))][_label(row["period_start"])] = row["value"]
        ranked = sorted(groups, key=lambda g: -sum(v or 0 for v in groups[g].values()))
        for index, group in enumerate(ranked[:MAX_SERIES]):
            datasets.append(
                {
                    "label": group,
                    "data": [groups[group].get(x) for x in labels],
                    "borderColor": PALETTE[index],
                    "backgroundColor": PALETTE[index],
                    "tension": 0.2,
                }
            )
    else:
        values = {_label(r["period_start"]): r["value"] for r in view.rows}
        datasets.append(
            {
                "label": view.metric.label or view.metric.name,
                "data": [values.get(x) for x in labels],
                "borderColor": PALETTE[0],
                "backgroundColor": PALETTE[0],
                "tension": 0.2,
            }
        )
        if previous:
            old = [r["value"] for r in sorted(previous, key=lambda r: _label(r["period_start"]))]
            datasets.append(
                {
                    "label": "previous period",
                    "data": old[: len(labels)],
                    "borderColor": PALETTE[-1],
                    "backgroundColor": PALETTE[-1],
                    "borderDash": [6, 4],
                    "tension": 0.2,
                }
            )
    return {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


def build_explorer(
    runtime: Runtime,
    name: str,
    *,
    start: dt.date | None,
    end: dt.date | None,
    grain: str | None,
    by: str,
    where: list[str],
    compare: bool,
) -> ExplorerView:
    """Everything the metric page shows; a failing query becomes ``error``, not an exception."""
    metric = runtime.metrics.metric(name)
    catalog = runtime.metrics.catalog()
    first, stop = presenting.date_range(start, end, dt.date.today())
    chosen_grain = grain or presenting.default_grain(metric)
    view = ExplorerView(
        metric,
        first,
        stop - dt.timedelta(days=1),
        chosen_grain,
        by,
        where,
        compare,
        [d.name for d in catalog.dimensions_for(metric)],
        definition=presenting.definition_source(runtime.metrics, metric),
    )
    try:
        filters = tuple(parse_where(text) for text in where if text.strip())
        request = service.SeriesRequest(
            name, first, stop, presenting.parse_grain(grain, metric), (by,) if by else (), filters
        )
        view.sql = service.compile_metric(runtime, request).sql
        view.rows = service.run_series(runtime, request).as_dicts()
        previous: list[dict[str, Any]] = []
        if compare and not by:
            old_start, old_end = presenting.previous_range(first, stop)
            old = service.SeriesRequest(name, old_start, old_end, request.grain, (), filters)
            previous = service.run_series(runtime, old).as_dicts()
            if request.grain is not None and metric.type.value not in ("rolling", "cumulative"):
                view.current_total = _total(runtime, request)
                view.previous_total = _total(runtime, old)
        view.chart = _chart(view, previous)
    except PilothouseError as exc:
        view.error = exc.detail
    return view
