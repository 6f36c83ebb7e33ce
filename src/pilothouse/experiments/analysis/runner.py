"""Running an analysis plan on a warehouse: SQL, then the stats engine, then a document.

No database session here: :func:`run_analysis` takes a plan and a warehouse
:class:`Target` and returns an :class:`AnalysisOutcome`; the service stores it as
a snapshot. The order of work:

1. the exposure query counts units per variation; variations the experiment does
   not have, or no exposures at all, fail the run;
2. the statistics query returns the sufficient statistics of every metric at once;
   if the warehouse refuses it, each metric is run on its own, so one failing
   metric gets a ``WAREHOUSE_ERROR`` (or ``QUERY_ERROR``) and the others are still
   produced; the run fails only when every metric fails;
3. the stats engine analyses the metrics (overall, then per dimension) and the
   scorecard document is assembled.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pilothouse.core.errors import BadRequest
from pilothouse.experiments.analysis.plan import (
    QUERY_ERROR,
    WAREHOUSE_ERROR,
    AnalysisPlan,
    EventExposure,
    MetricPlan,
)
from pilothouse.experiments.analysis.scorecard import (
    MetricOutcome,
    dimension_srm,
    metric_entry,
    srm_entry,
)
from pilothouse.experiments.analysis.sql import (
    CompiledAnalysis,
    compile_exposures,
    compile_statistics,
    metric_fields,
    overall_from_slices,
)
from pilothouse.experiments.stats.config import MetricSpec
from pilothouse.experiments.stats.engine import MetricData, analyze
from pilothouse.experiments.stats.results import MetricResult
from pilothouse.experiments.stats.statistics import SufficientStatistics
from pilothouse.metrics.compiler.schema import WarehouseSchema
from pilothouse.metrics.warehouses.base import WarehouseAdapter
from pilothouse.metrics.warehouses.errors import (
    UnsupportedError,
    WarehouseError,
    WarehouseUnreachable,
)

__all__ = [
    "AnalysisFailed",
    "AnalysisOutcome",
    "ExposureCounts",
    "StatisticsTable",
    "analyse",
    "Target",
    "count_exposures",
    "fetch_statistics",
    "run_analysis",
]

#: (dimension name or None, dimension value or None, variation key)
RowKey = tuple[str | None, str | None, str]


class AnalysisFailed(Exception):
    """The run as a whole cannot produce results; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where the plan's SQL runs."""

    adapter: WarehouseAdapter
    schema: WarehouseSchema
    timeout_s: float = 120.0

    @property
    def dialect(self) -> str:
        return self.adapter.dialect


@dataclass(frozen=True)
class ExposureCounts:
    """Exposed units per variation key, and units excluded for seeing several variations."""

    units: dict[str, int]
    multiple: int


@dataclass
class StatisticsTable:
    """Rows of the statistics queries: units and per-metric sums per row key."""

    users: dict[RowKey, float] = field(default_factory=dict)
    sums: dict[str, dict[RowKey, dict[str, float]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(
        self, compiled: CompiledAnalysis, plan: AnalysisPlan, rows: list[dict[str, Any]]
    ) -> None:
        metrics = {m.name: m for m in plan.metrics}
        for row in [*rows, *overall_from_slices(plan, rows)]:
            key: RowKey = (row["dimension"], row["dimension_value"], str(row["variation"]))
            self.users[key] = float(row["users"])
            for index, name in enumerate(compiled.metrics):
                fields = metric_fields(metrics[name])
                self.sums[name][key] = {f: float(row[f"m{index}_{f}"] or 0.0) for f in fields}


@dataclass(frozen=True)
class AnalysisOutcome:
    """What a run produced: the results document, or the error that stopped it."""

    succeeded: bool
    results: dict[str, Any]
    error: str | None = None


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _execute(target: Target, sql: str) -> list[dict[str, Any]]:
    return target.adapter.execute(sql, timeout_s=target.timeout_s).as_dicts()


def count_exposures(plan: AnalysisPlan, target: Target, sql: dict[str, Any]) -> ExposureCounts:
    """Run the exposure query and check its variations against the experiment's.

    Raises:
        AnalysisFailed: The warehouse failed, there are no exposures, or some
            exposures name variations the experiment does not have.
    """
    text = compile_exposures(plan, target.schema, target.dialect)
    sql["exposures"] = text
    try:
        rows = _execute(target, text)
    except (WarehouseError, UnsupportedError) as exc:
        raise AnalysisFailed(f"the exposure query failed: {exc.detail}") from None
    units = {str(r["variation"]): int(r["units"]) for r in rows if r["variation"] is not None}
    multiple = sum(int(r["units"]) for r in rows if r["variation"] is None)
    unknown = sorted(set(units) - set(plan.variations))
    if unknown:
        found = ", ".join(repr(v) for v in unknown)
        known = ", ".join(plan.variations)
        raise AnalysisFailed(
            f"the exposures name variations {plan.experiment} does not have: {found} "
            f"({sum(units[v] for v in unknown)} units); its variations are {known}"
        )
    if not units and not multiple:
        where = (
            f"event {plan.exposure.event!r}"
            if isinstance(plan.exposure, EventExposure)
            else "table " + ".".join(plan.exposure.table)
        )
        raise AnalysisFailed(
            f"no exposures of {plan.exposure.tracking_key!r} in {where} "
            f"from {_iso(plan.start) or 'the beginning'} to {_iso(plan.end)}"
        )
    return ExposureCounts(units, multiple)


def _run_one(
    plan: AnalysisPlan, metric: MetricPlan, target: Target, table: StatisticsTable
) -> str | None:
    """Run one metric alone; record its rows or its error. Returns its SQL."""
    single = plan.with_metrics([metric])
    try:
        compiled = compile_statistics(single, target.schema, target.dialect)
    except BadRequest as exc:
        table.errors[metric.name] = (QUERY_ERROR, exc.detail)
        return None
    try:
        table.add(compiled, single, _execute(target, compiled.sql))
    except WarehouseError as exc:
        table.errors[metric.name] = (WAREHOUSE_ERROR, exc.detail)
    return compiled.sql


def fetch_statistics(plan: AnalysisPlan, target: Target, sql: dict[str, Any]) -> StatisticsTable:
    """Sufficient statistics of every runnable metric, isolating metrics that fail.

    Raises:
        AnalysisFailed: The warehouse is unreachable, cannot run queries, or failed
            every metric.
    """
    table = StatisticsTable()
    runnable = [m for m in plan.metrics if m.runnable]
    try:
        compiled = compile_statistics(plan, target.schema, target.dialect)
        sql["statistics"] = compiled.sql
        table.add(compiled, plan, _execute(target, compiled.sql))
        return table
    except (WarehouseUnreachable, UnsupportedError) as exc:
        raise AnalysisFailed(f"the statistics query failed: {exc.detail}") from None
    except (WarehouseError, BadRequest) as exc:
        sql["statistics_error"] = exc.detail
        if not runnable:
            raise AnalysisFailed(f"the statistics query failed: {exc.detail}") from None
    per_metric = {}
    for metric in runnable:
        text = _run_one(plan, metric, target, table)
        if text is not None:
            per_metric[metric.name] = text
    sql["per_metric"] = per_metric
    if len(table.errors) == len(runnable):
        first = table.errors[runnable[0].name][1]
        raise AnalysisFailed(f"every metric failed; the first: {first}")
    return table


def _zero(metric: MetricPlan, users: float) -> SufficientStatistics:
    return SufficientStatistics(users=users, **dict.fromkeys(metric_fields(metric), 0.0))


def _statistics(
    plan: AnalysisPlan,
    metric: MetricPlan,
    table: StatisticsTable,
    dimension: str | None,
    value: str | None,
) -> tuple[SufficientStatistics, ...]:
    out = []
    sums = table.sums.get(metric.name, {})
    for variation in plan.variations:
        key = (dimension, value, variation)
        users = table.users.get(key, 0.0)
        row = sums.get(key)
        out.append(
            _zero(metric, users) if row is None else SufficientStatistics(users=users, **row)
        )
    return tuple(out)


def _slices(
    plan: AnalysisPlan, table: StatisticsTable, metric: MetricPlan, dimension: str
) -> tuple[Any, ...]:
    values = sorted({v for d, v, _ in table.users if d == dimension and v is not None})
    return tuple((v, _statistics(plan, metric, table, dimension, v)) for v in values)


def _spec(metric: MetricPlan) -> MetricSpec:
    return MetricSpec(
        metric.name,
        kind=metric.kind,  # type: ignore[arg-type]
        cuped=metric.cuped,
        inverse=metric.inverse,
        test=metric.test,  # type: ignore[arg-type]
        quantile_level=metric.quantile.level if metric.quantile else None,
    )


def analyse(plan: AnalysisPlan, table: StatisticsTable) -> list[MetricOutcome]:
    """Feed the stats engine: every metric overall, then each dimension's slices."""
    names = plan.variations
    ready = [m for m in plan.metrics if m.runnable and m.name not in table.errors]
    overall = [MetricData(_spec(m), names, _statistics(plan, m, table, None, None)) for m in ready]
    results: list[MetricResult] = analyze(overall, plan.stats) if overall else []
    sliced: dict[str, list[tuple[str, MetricResult]]] = defaultdict(list)
    for dimension in plan.dimensions:
        data = [
            MetricData(d.spec, names, d.statistics, _slices(plan, table, m, dimension.name))
            for d, m in zip(overall, ready, strict=True)
        ]
        for metric, result in zip(ready, analyze(data, plan.stats), strict=True):
            sliced[metric.name] += [(dimension.name, s) for s in result.dimensions]
    by_name = {m.name: (r, d.statistics) for m, r, d in zip(ready, results, overall, strict=True)}
    outcomes = []
    for metric in plan.metrics:
        if metric.name in by_name:
            result, statistics = by_name[metric.name]
            dims = tuple(sliced[metric.name])
            outcomes.append(MetricOutcome(metric, result, dims, statistics))
        else:
            code, message = table.errors.get(metric.name, (metric.error, metric.message))
            outcomes.append(MetricOutcome(metric, error=code, message=message))
    return outcomes


def _header(plan: AnalysisPlan, target: Target) -> dict[str, Any]:
    stats = plan.stats
    return {
        "experiment": plan.experiment,
        "tracking_key": plan.exposure.tracking_key,
        "source": plan.source,
        "dialect": target.dialect,
        "unit": plan.unit,
        "window": {"start": _iso(plan.start), "end": _iso(plan.end)},
        "settings": {
            "engine": stats.engine,
            "difference": stats.difference,
            "alpha": stats.alpha,
            "sequential": stats.sequential,
            "sequential_tuning": stats.sequential_tuning,
            "correction": stats.correction,
            "max_dimensions": stats.max_dimensions,
            "cuped_days": plan.cuped_days,
            "srm_threshold": plan.srm_threshold,
        },
    }


def _dimension_users(
    plan: AnalysisPlan, table: StatisticsTable, name: str
) -> dict[str, list[float]]:
    values = sorted({v for d, v, _ in table.users if d == name and v is not None})
    return {v: [table.users.get((name, v, k), 0.0) for k in plan.variations] for v in values}


def _document(
    plan: AnalysisPlan,
    target: Target,
    counts: ExposureCounts,
    table: StatisticsTable,
    outcomes: Sequence[MetricOutcome],
) -> dict[str, Any]:
    users = [float(counts.units.get(v, 0)) for v in plan.variations]
    return _header(plan, target) | {
        "variations": [
            {"key": key, "name": name, "weight": weight, "users": int(n)}
            for key, name, weight, n in zip(
                plan.variations, plan.variation_names, plan.weights, users, strict=True
            )
        ],
        "exposures": {"units": int(sum(users)), "multiple_variations": counts.multiple},
        "srm": srm_entry(users, plan.weights, plan.srm_threshold),
        "dimensions": [
            {
                "name": d.name,
                "srm": dimension_srm(
                    _dimension_users(plan, table, d.name),
                    plan.weights,
                    plan.srm_threshold,
                    plan.stats.max_dimensions,
                ),
            }
            for d in plan.dimensions
        ],
        "metrics": [metric_entry(o, plan) for o in outcomes],
    }


def run_analysis(plan: AnalysisPlan, target: Target) -> AnalysisOutcome:
    """Run ``plan`` on ``target`` and build the results document.

    Args:
        plan: What to compute (:func:`~pilothouse.experiments.analysis.plan.build_plan`).
        target: The warehouse adapter, its schema and the query timeout.

    Returns:
        A succeeded outcome with the document, or a failed one with the reason and
        the SQL that was run (a failure never raises).
    """
    sql: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        counts = count_exposures(plan, target, sql)
        table = fetch_statistics(plan, target, sql)
    except AnalysisFailed as exc:
        return AnalysisOutcome(False, _header(plan, target) | {"sql": sql}, str(exc))
    queried = time.perf_counter()
    outcomes = analyse(plan, table)
    document = _document(plan, target, counts, table, outcomes)
    finished = time.perf_counter()
    document["sql"] = sql
    document["timings"] = {
        "sql_s": round(queried - started, 4),
        "stats_s": round(finished - queried, 4),
    }
    return AnalysisOutcome(True, document)
