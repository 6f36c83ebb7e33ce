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
from pilothouse.metrics.explorer_options import (
    Option,
    breakdown_options,
    first_available,
    grain_options,
)
from pilothouse.metrics.query_text import parse_where

__all__ = ["NOT_SET", "ExplorerView", "build_explorer"]

MAX_SERIES = 8
#: How a breakdown value that is missing on some events is labelled (never "None").
NOT_SET = "(not set)"
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
    grain_options: list[Option] = field(default_factory=list)
    breakdown_options: list[Option] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

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


def _breakdown_datasets(view: ExplorerView, labels: list[str]) -> list[dict[str, Any]]:
    """One line per breakdown value (largest first, at most ``MAX_SERIES``); missing
    values are grouped as ``(not set)``, never drawn as a series called "None"."""
    groups: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in view.rows:
        group = row.get(view.by)
        name = NOT_SET if group is None else str(group)
        groups[name][_label(row["period_start"])] = row["value"]
    ranked = sorted(groups, key=lambda g: -sum(v or 0 for v in groups[g].values()))
    return [
        {
            "label": group,
            "data": [groups[group].get(x) for x in labels],
            "borderColor": PALETTE[index],
            "backgroundColor": PALETTE[index],
            "tension": 0.2,
        }
        for index, group in enumerate(ranked[:MAX_SERIES])
    ]


def _chart(view: ExplorerView, previous: list[dict[str, Any]]) -> dict[str, Any]:
    periods = sorted({r["period_start"] for r in view.rows}, key=_label)
    labels = [_label(p) for p in periods]
    datasets = []
    if view.by:
        datasets = _breakdown_datasets(view, labels)
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


def _choose(view: ExplorerView, runtime: Runtime, grain: str | None, stop: dt.date) -> None:
    """Offer only grains and breakdowns that work; a link asking for another is told why."""
    metric = view.metric
    view.grain_options = grain_options(runtime, metric, view.start, stop)
    default = presenting.default_grain(metric)
    wanted = grain or default
    view.grain = first_available(view.grain_options, wanted, default)
    reasons = {o.value: o.reason for o in view.grain_options}
    if view.grain != wanted:
        view.notices.append(f"Grain {wanted} is not available ({reasons.get(wanted)}).")
    view.breakdown_options = breakdown_options(runtime, metric, view.start, stop)
    offered = {o.value: o for o in view.breakdown_options}
    view.dimensions = [o.value for o in view.breakdown_options if o.available]
    if view.by and view.by not in view.dimensions:
        known = offered.get(view.by)
        why = known.reason if known else "no such dimension in the catalog"
        view.notices.append(f"Breakdown by {view.by} is not available ({why}).")
        view.by = ""
    if view.compare and view.by:
        view.notices.append("The previous period is compared without a breakdown.")


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
    first, stop = presenting.date_range(start, end, dt.date.today())
    view = ExplorerView(
        metric,
        first,
        stop - dt.timedelta(days=1),
        presenting.default_grain(metric),
        by,
        where,
        compare,
        [],
        definition=presenting.definition_source(runtime.metrics, metric),
    )
    try:
        _choose(view, runtime, grain, stop)
        _query(view, runtime, first, stop)
    except PilothouseError as exc:
        view.error = exc.detail
    return view


def _query(view: ExplorerView, runtime: Runtime, first: dt.date, stop: dt.date) -> None:
    """Run the chosen series (and the previous period when asked) into ``view``."""
    name, metric, by = view.metric.name, view.metric, view.by
    filters = tuple(parse_where(text) for text in view.where if text.strip())
    grain = presenting.parse_grain(view.grain, metric)
    request = service.SeriesRequest(name, first, stop, grain, (by,) if by else (), filters)
    view.sql = service.compile_metric(runtime, request).sql
    view.rows = service.run_series(runtime, request).as_dicts()
    if by:
        for row in view.rows:
            row[by] = NOT_SET if row.get(by) is None else row[by]
    previous: list[dict[str, Any]] = []
    if view.compare and not by:
        old_start, old_end = presenting.previous_range(first, stop)
        old = service.SeriesRequest(name, old_start, old_end, request.grain, (), filters)
        previous = service.run_series(runtime, old).as_dicts()
        if request.grain is not None and metric.type.value not in ("rolling", "cumulative"):
            view.current_total = _total(runtime, request)
            view.previous_total = _total(runtime, old)
    view.chart = _chart(view, previous)
