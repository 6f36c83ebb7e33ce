"""What each kind of tile needs (its ``config``) and what it shows under the filters.

Every kind reads its data through the owning domain's service: metric charts through
the metric explorer (the same series and Chart.js config as ``/metrics/<name>``),
experiment scorecards from the experiment's latest analysis, roadmap views through
``roadmap.views``, theme rankings through the feedback insights and health figures
through ``ops.health``. A tile that fails shows its error; it never breaks the page.

Which filters each kind honours (:data:`FILTERS`): the date range narrows metric charts
and theme rankings; the area narrows roadmap views, theme rankings and health figures.
A metric series has no product area and an experiment has its own run window, so
those tiles say that the filters do not apply to them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.errors import FieldError, PilothouseError, ValidationFailed
from pilothouse.core.links import ObjectRef
from pilothouse.core.references import resolve
from pilothouse.core.runtime import Runtime

__all__ = [
    "FILTERS",
    "KINDS",
    "DashboardFilter",
    "TileView",
    "check_config",
    "render_tile",
]

#: Tile kinds and their labels, in the order the add-tile form offers them.
KINDS: dict[str, str] = {
    "metric_chart": "Metric chart",
    "experiment_scorecard": "Experiment scorecard",
    "roadmap_view": "Roadmap view",
    "theme_ranking": "Theme ranking",
    "health_figure": "Process-health figure",
}
#: Which of the dashboard's filters each kind applies.
FILTERS: dict[str, tuple[str, ...]] = {
    "metric_chart": ("date range",),
    "experiment_scorecard": (),
    "roadmap_view": ("area",),
    "theme_ranking": ("date range", "area"),
    "health_figure": ("area",),
}
#: Roadmap items a roadmap-view tile lists (the count says how many match in all).
MAX_ROWS = 8
GRAINS = ("day", "week", "month", "quarter", "total")
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,120}$")


@dataclass(frozen=True)
class DashboardFilter:
    """The page's filters: days ``start``..``end`` inclusive and an optional area."""

    start: dt.date
    end: dt.date
    area_slug: str | None = None
    area_id: int | None = None


@dataclass
class TileView:
    """What a tile's template shows; ``empty`` means it ran but found nothing."""

    kind: str
    link: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    empty: bool = False


def _bad(name: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"config.{name}: {why}", errors=[FieldError(f"config.{name}", why)])


def _text(config: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = config.get(name)
    if value is None or value == "":
        if required:
            raise _bad(name, "required")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or not _NAME.match(str(value)):
        raise _bad(name, "a name of letters, digits, '_', '-', '.' or ':'")
    return str(value)


def _metric_config(config: Mapping[str, Any], runtime: Runtime | None) -> dict[str, Any]:
    metric = _text(config, "metric")
    grain, by = _text(config, "grain", required=False), _text(config, "by", required=False)
    if grain and grain not in GRAINS:
        raise _bad("grain", f"one of {', '.join(GRAINS)}")
    if runtime is not None and metric not in runtime.metrics.catalog():
        raise _bad("metric", f"no metric named {metric!r} in the catalog")
    return {"metric": metric} | ({"grain": grain} if grain else {}) | ({"by": by} if by else {})


def _top(config: Mapping[str, Any]) -> int:
    top = config.get("top", 5)
    if isinstance(top, str) and top.strip().isdigit():
        top = int(top)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 20:
        raise _bad("top", "a whole number from 1 to 20")
    return top


def check_config(kind: str, config: Any, runtime: Runtime | None = None) -> dict[str, Any]:
    """The cleaned config of a ``kind`` tile, or ``ValidationFailed`` naming the field."""
    if kind not in KINDS:
        raise ValidationFailed(
            f"kind: one of {', '.join(KINDS)}", errors=[FieldError("kind", "unknown tile kind")]
        )
    if not isinstance(config, Mapping):
        raise _bad("", "an object")
    if kind == "metric_chart":
        return _metric_config(config, runtime)
    if kind == "experiment_scorecard":
        return {"experiment": _text(config, "experiment").upper()}
    if kind == "roadmap_view":
        view = _text(config, "view")
        if not view.isdigit() or int(view) >= 2**31:
            raise _bad("view", "a saved roadmap view's id")
        return {"view": int(view)}
    if kind == "theme_ranking":
        return {"top": _top(config)}
    return {"figure": _text(config, "figure")}


# --- rendering ------------------------------------------------------------------------------


def _metric_chart(runtime: Runtime, config: dict[str, Any], where: DashboardFilter) -> TileView:
    from pilothouse.metrics.explorer import build_explorer

    view = build_explorer(
        runtime,
        config["metric"],
        start=where.start,
        end=where.end,
        grain=config.get("grain"),
        by=config.get("by", ""),
        where=[],
        compare=False,
    )
    query = f"from={where.start}&to={where.end}&grain={view.grain}" + (
        f"&by={view.by}" if view.by else ""
    )
    out = TileView("metric_chart", f"/metrics/{view.metric.name}?{query}")
    out.data = {
        "label": view.metric.label or view.metric.name,
        "grain": view.grain,
        "by": view.by,
        "notices": view.notices,
        "chart_json": json.dumps(view.chart, default=str) if view.chart else "",
        "points": len(view.rows),
    }
    out.error, out.empty = view.error, not view.rows and view.error is None
    return out


def _primary(results: dict[str, Any], experiment: Any) -> dict[str, Any] | None:
    from pilothouse.experiments.models import MetricRole

    name = next((m.metric for m in experiment.metrics if m.role is MetricRole.primary), None)
    return next((m for m in results.get("metrics", []) if m.get("metric") == name), None)


def _scorecard(session: Session, config: dict[str, Any]) -> TileView:
    from pilothouse.experiments import registry
    from pilothouse.experiments.analysis import service as analysis

    experiment = registry.find_experiment(session, config["experiment"])
    out = TileView("experiment_scorecard", f"/experiments/{experiment.key}")
    snapshot = analysis.latest_results(session, experiment)
    results = snapshot.results or {}
    entry = _primary(results, experiment)
    if entry is None:
        out.empty = True
        return out
    out.data = {
        "key": experiment.key,
        "name": experiment.name,
        "status": experiment.status.value,
        "metric": entry["metric"],
        "variations": entry.get("variations", []),
        "srm": results.get("srm") or {},
        "computed_at": snapshot.computed_at,
        "relative": results.get("settings", {}).get("difference", "relative") == "relative",
    }
    return out


def _roadmap_view(
    session: Session, actor: Any, config: dict[str, Any], where: DashboardFilter
) -> TileView:
    from dataclasses import replace

    from pilothouse.roadmap import views
    from pilothouse.roadmap.listing import filtered_items

    view = views.get_view(session, actor, config["view"])
    item_filter = views.to_item_filter(view.filters)
    if where.area_slug:
        item_filter = replace(item_filter, product_area=where.area_slug)
    items = filtered_items(session, item_filter)
    refs = resolve(session, [ObjectRef("roadmap_item", str(i.id)) for i in items[:MAX_ROWS]])
    statuses = {i.id: i.status.name if i.status else "" for i in items[:MAX_ROWS]}
    out = TileView("roadmap_view", f"/roadmap/{view.kind.value}?view={view.id}")
    out.data = {
        "name": view.name,
        "kind": view.kind.value,
        "rows": [(refs[ObjectRef("roadmap_item", str(i))], s, i) for i, s in statuses.items()],
        "count": len(items),
    }
    out.empty = not items
    return out


def _themes(session: Session, config: dict[str, Any], where: DashboardFilter) -> TileView:
    from pilothouse.feedback.insights_queries import InsightFilter, theme_insights

    since = dt.datetime(where.start.year, where.start.month, where.start.day, tzinfo=dt.UTC)
    until = dt.datetime(where.end.year, where.end.month, where.end.day, tzinfo=dt.UTC)
    scope = InsightFilter(
        product_area=where.area_slug, since=since, until=until + dt.timedelta(days=1)
    )
    ranked = [s for s in theme_insights(session, scope) if s.item_count][: config["top"]]
    area = f"&product_area={where.area_slug}" if where.area_slug else ""
    out = TileView("theme_ranking", f"/feedback/themes?start={where.start}&end={where.end}{area}")
    refs = resolve(session, [ObjectRef("feedback_theme", str(t.theme_id)) for t in ranked])
    out.data = {
        "rows": [(refs[ObjectRef("feedback_theme", str(t.theme_id))], t) for t in ranked],
        "top": config["top"],
    }
    out.empty = not ranked
    return out


def _figure_text(kind: str, value: float | None, unit: str) -> str:
    """A figure's number for people, as the process-health page writes it."""
    if value is None:
        return "–"
    if kind == "duration":
        return f"{value:.1f} days"
    if kind == "rate":
        return f"{value * 100:.0f}%"
    if kind == "count":
        return f"{value:.0f}"
    return f"{value:.1f} {unit}"


def _health(
    session: Session, runtime: Runtime, config: dict[str, Any], where: DashboardFilter
) -> TileView:
    from pilothouse.ops.health.service import HealthFilter, health_report

    chosen = HealthFilter(None, where.area_id, where.area_slug)
    report = health_report(session, runtime.settings.timezone, chosen).find(config["figure"])
    area = f"?area={where.area_slug}" if where.area_slug else ""
    out = TileView("health_figure", f"/ops/health/{report.figure.key}{area}")
    out.data = {
        "title": report.figure.title,
        "value": _figure_text(report.figure.kind.value, report.summary.value, report.figure.unit),
        "n": report.summary.n,
        "trend": [
            (p.period, _figure_text(report.figure.kind.value, p.value, report.figure.unit))
            for p in report.trend[-4:]
        ],
    }
    out.empty = report.summary.value is None
    return out


def render_tile(
    session: Session, runtime: Runtime, actor: Any, tile: Any, where: DashboardFilter
) -> TileView:
    """The tile's view under ``where``; a domain's refusal becomes the tile's error."""
    renderers: dict[str, Callable[[], TileView]] = {
        "metric_chart": lambda: _metric_chart(runtime, tile.config, where),
        "experiment_scorecard": lambda: _scorecard(session, tile.config),
        "roadmap_view": lambda: _roadmap_view(session, actor, tile.config, where),
        "theme_ranking": lambda: _themes(session, tile.config, where),
        "health_figure": lambda: _health(session, runtime, tile.config, where),
    }
    renderer = renderers.get(tile.kind)
    if renderer is None:
        return TileView(tile.kind, error=f"unknown tile kind {tile.kind!r}")
    try:
        return renderer()
    except PilothouseError as exc:
        return TileView(tile.kind, error=exc.detail)
