"""The metrics service: the catalog as it is on disk, and queries against a source.

The catalog is reloaded when the metrics folder changes; a file that stops
validating keeps its previous version in use, and the problems are reported
(``problems``) rather than dropping a metric that worked. Queries compile through
the SQL compiler for the source's dialect and run read-only; only aggregated rows
come back.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pilothouse.core.errors import FieldError, NotFound, PilothouseError, ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.compiler import CompiledQuery, MetricQuery, compile_query
from pilothouse.metrics.compiler.probes import compile_field_presence, missing_fields
from pilothouse.metrics.connections import (
    Connection,
    ConnectionCatalog,
    load_connections,
    open_warehouse,
)
from pilothouse.metrics.definitions import Catalog, DefinitionProblem, reload_catalog
from pilothouse.metrics.definitions.model import (
    Dimension,
    Filter,
    FunnelSpec,
    Grain,
    Metric,
    RetentionMode,
    RetentionSpec,
)
from pilothouse.metrics.warehouses import WarehouseAdapter

__all__ = [
    "CURRENT_WINDOW_DAYS",
    "EMBEDDED_SOURCE",
    "ConnectionsRegistry",
    "MetricsRegistry",
    "SeriesRequest",
    "SeriesResult",
    "catalog_metric_formats",
    "catalog_metric_labels",
    "compile_metric",
    "current_metric_values",
    "field_presence",
    "run_series",
    "settling_days",
]

EMBEDDED_SOURCE = "embedded"
#: Compiled metric queries kept per installation (dropped all at once when full).
COMPILED_KEPT = 512
#: Embedded series longer than this many rows are not kept by the store's read cache.
SERIES_KEPT_ROWS = 5_000


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Each definition file's relative path, modification time and size, sorted.

    Pages ask for the catalog several times per request, so this walks the folder with
    ``os.scandir`` and one ``stat`` per file (``Path.rglob`` with two cost a launch page
    about a millisecond).
    """
    found: list[tuple[str, int, int]] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        try:
            entries = os.scandir(folder / relative if relative else folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                name = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):  # as rglob: not into links
                    pending.append(name)
                elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                    info = entry.stat()
                    found.append((name, info.st_mtime_ns, info.st_size))
    return tuple(sorted(found))


class MetricsRegistry:
    """The catalog of one installation, reloaded when its folder changes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self.problems: tuple[DefinitionProblem, ...] = ()
        self.kept: tuple[str, ...] = ()
        #: Compiled SQL per (query, dialect), each with the catalog it was compiled from.
        self._compiled: dict[tuple[MetricQuery, str], tuple[Catalog, CompiledQuery]] = {}

    def catalog(self) -> Catalog:
        """The current catalog; cheap when nothing changed on disk."""
        signature = _signature(self.folder)
        with self._lock:
            if self._catalog is None or signature != self._signature:
                result = reload_catalog(self._catalog, self.folder)
                self._catalog, self._signature = result.catalog, signature
                self.problems, self.kept = result.problems, result.kept
            return self._catalog

    def compiled(self, query: MetricQuery, dialect: str) -> CompiledQuery:
        """``query`` compiled against the current catalog for the embedded store.

        Compiling builds a tree of the metric's inputs each time (a fifth of an item
        page with measured metrics, ``benchmarks/request_cost.py``); the SQL depends on
        the query and the catalog only, so it is kept until the catalog changes.
        """
        catalog = self.catalog()
        key = (query, dialect)
        try:
            hash(key)
        except TypeError:  # a filter holding a list: compile it every time
            return compile_query(query, catalog, None, dialect)
        with self._lock:
            kept = self._compiled.get(key)
        if kept is not None and kept[0] is catalog:
            return kept[1]
        compiled = compile_query(query, catalog, None, dialect)
        with self._lock:
            if len(self._compiled) >= COMPILED_KEPT:
                self._compiled.clear()
            self._compiled[key] = (catalog, compiled)
        return compiled

    def metric(self, name: str) -> Metric:
        catalog = self.catalog()
        if name not in catalog:
            raise NotFound(f"no metric named {name!r}; see 'pilothouse metrics list'")
        return catalog.get(name)


class ConnectionsRegistry:
    """Named warehouse connections from ``connections.yaml``, with one adapter each.

    Adapters are kept (a Spark session or a connection pool is costly to start) and
    rebuilt when the file changes. A file that stops validating raises its problems
    on use rather than silently keeping stale credentials.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._signature: tuple[int, int] | None = None
        self._catalog: ConnectionCatalog | None = None
        self._adapters: dict[str, WarehouseAdapter] = {}

    def catalog(self) -> ConnectionCatalog:
        stat = self.path.stat() if self.path.exists() else None
        signature = (stat.st_mtime_ns, stat.st_size) if stat else (0, 0)
        with self._lock:
            if self._catalog is None or signature != self._signature:
                catalog = load_connections(self.path)
                self.close()
                self._catalog, self._signature = catalog, signature
            return self._catalog

    def get(self, name: str) -> Connection:
        return self.catalog().get(name)

    def dialect(self, name: str) -> str:
        return self.get(name).dialect

    def schema(self, name: str) -> Any:
        return self.get(name).schema

    def adapter(self, name: str) -> WarehouseAdapter:
        connection = self.get(name)
        with self._lock:
            if name not in self._adapters:
                self._adapters[name] = open_warehouse(connection)
            return self._adapters[name]

    def close(self) -> None:
        for adapter in self._adapters.values():
            adapter.close()
        self._adapters = {}


@dataclass(frozen=True)
class SeriesRequest:
    metric: str
    start: dt.date
    end: dt.date
    grain: Grain | None = Grain.DAY
    dimensions: tuple[str | Dimension, ...] = ()
    filters: tuple[Filter, ...] = ()
    source: str = EMBEDDED_SOURCE


@dataclass(frozen=True)
class SeriesResult:
    metric: str
    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    sql: str
    elapsed_s: float = field(default=0.0, compare=False)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _adapter(runtime: Runtime, source: str) -> WarehouseAdapter:
    if source == EMBEDDED_SOURCE:
        return runtime.event_store.reader(EMBEDDED_SOURCE)
    return runtime.connections.adapter(source)


def compile_metric(
    runtime: Runtime, request: SeriesRequest, dialect: str | None = None
) -> CompiledQuery:
    """SQL for ``request`` in ``dialect`` (default: the source's)."""
    runtime.metrics.metric(request.metric)
    if dialect is None:
        dialect = (
            "duckdb"
            if request.source == EMBEDDED_SOURCE
            else (runtime.connections.dialect(request.source))
        )
    if request.source == EMBEDDED_SOURCE:
        return runtime.metrics.compiled(_metric_query(runtime, request), dialect)
    schema = runtime.connections.schema(request.source)
    catalog = runtime.metrics.catalog()
    return compile_query(_metric_query(runtime, request), catalog, schema, dialect)


def _metric_query(runtime: Runtime, request: SeriesRequest) -> MetricQuery:
    return MetricQuery(
        metric=request.metric,
        start=request.start,
        end=request.end,
        grain=request.grain,
        time_zone=runtime.settings.timezone,
        dimensions=request.dimensions,
        filters=request.filters,
    )


def run_series(runtime: Runtime, request: SeriesRequest) -> SeriesResult:
    """Compile and run one series on its source; raises errors naming metric or source.

    A series of the embedded store is kept (``metrics/store_cache.py``) and served again
    while no write since stored an event that could move it (before its horizon); its SQL
    is part of the key, so a changed definition is read afresh.

    A series with no non-zero value is checked once more: when a property or trait the
    metric filters or breaks down on is never set on its events, that is almost always
    a typo or a tracking gap, and it is reported as an error naming the metric and field
    rather than shown as a flat line of zeros.
    """
    adapter = _adapter(runtime, request.source)
    compiled = compile_metric(runtime, request, adapter.dialect)
    reads = (
        getattr(runtime.event_store, "reads", None) if request.source == EMBEDDED_SOURCE else None
    )
    if reads is None:  # a warehouse, or a store without a change log
        return _read_series(runtime, request, adapter, compiled)
    key = ("series", request.metric, request.source, compiled.sql)
    kept = reads.get(key)
    if kept is not None:
        return replace(kept, elapsed_s=0.0)  # no query ran
    version = reads.changes.version()  # before the read: a write during it is seen later
    series = _read_series(runtime, request, adapter, compiled)
    if len(series.rows) <= SERIES_KEPT_ROWS:
        reads.put(key, version, _series_horizon(runtime, request), series, len(series.rows) + 1)
    return series


def _read_series(
    runtime: Runtime, request: SeriesRequest, adapter: WarehouseAdapter, compiled: CompiledQuery
) -> SeriesResult:
    timeout = runtime.settings.query_timeout_seconds
    result = adapter.execute(compiled.sql, timeout_s=timeout)
    if not any(row[result.columns.index("value")] for row in result.rows):
        _check_fields(runtime, request, adapter, timeout)
    return SeriesResult(
        request.metric, request.source, result.columns, result.rows, compiled.sql, result.elapsed_s
    )


def _series_horizon(runtime: Runtime, request: SeriesRequest) -> dt.datetime:
    """The earliest event time (naive UTC) that cannot move ``request``'s series.

    The compiler reads events before the UTC instant the range's end day starts
    (``Context.hi``); a conversion or funnel reads ``within`` further, a day-N retention
    through day N after the end, and an "on or after" retention every later return, so
    its series has no horizon. Ratios and formulas reach as far as the metrics they use.
    Events *before* the range can move a series too (cumulative and rolling metrics, a
    user's first event), so there is no lower bound: such a write clears it.
    """
    catalog = runtime.metrics.catalog()
    zone = ZoneInfo(runtime.settings.timezone)

    def utc(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    seen: set[str] = set()

    def reach(name: str) -> dt.datetime:
        if name in seen or name not in catalog:
            return utc(request.end)
        seen.add(name)
        spec = catalog.get(name).spec
        if isinstance(spec, FunnelSpec):
            return utc(request.end) + dt.timedelta(seconds=spec.within_seconds)
        if isinstance(spec, RetentionSpec):
            if spec.mode is not RetentionMode.ON_DAY:
                return dt.datetime.max
            return utc(request.end + dt.timedelta(days=spec.days + 1))
        return max((reach(r) for r in catalog.get(name).references), default=utc(request.end))

    return reach(request.metric)


def _check_fields(
    runtime: Runtime, request: SeriesRequest, adapter: WarehouseAdapter, timeout: float
) -> None:
    query = _metric_query(runtime, request)
    schema = (
        None if request.source == EMBEDDED_SOURCE else runtime.connections.schema(request.source)
    )
    probe = compile_field_presence(query, runtime.metrics.catalog(), schema, adapter.dialect)
    problems = missing_fields(probe, adapter.execute(probe.sql, timeout_s=timeout).rows, query)
    if problems:
        raise ValidationFailed(
            "; ".join(problems), errors=[FieldError("metric", p) for p in problems]
        )


def field_presence(runtime: Runtime, request: SeriesRequest) -> list[tuple[str, str, int, int]]:
    """``(metric, field, events, present)`` for every field ``request`` reads, on its source.

    The explorer asks this before offering a breakdown, so a dimension that is never set
    on the metric's events is not offered as if it would split the series.
    """
    adapter = _adapter(runtime, request.source)
    schema = (
        None if request.source == EMBEDDED_SOURCE else runtime.connections.schema(request.source)
    )
    query = _metric_query(runtime, request)
    probe = compile_field_presence(query, runtime.metrics.catalog(), schema, adapter.dialect)
    rows = adapter.execute(probe.sql, timeout_s=runtime.settings.query_timeout_seconds).rows
    return [(str(m), str(f), int(e or 0), int(p or 0)) for m, f, e, p in rows]


#: The window "current value" looks at: what a key result bound to a metric shows.
CURRENT_WINDOW_DAYS = 30


def catalog_metric_formats(runtime: Runtime) -> dict[str, str]:
    """Each catalog metric's name and display format (``percent``, ``number``, ...).

    Other domains reference metrics by name (key results); they check names against this
    and show values the way the catalog says, without reading the catalog's internals.
    """
    return {metric.name: metric.format.value for metric in runtime.metrics.catalog()}


def catalog_metric_labels(runtime: Runtime) -> dict[str, str]:
    """Each catalog metric's name and the label people know it by (for links elsewhere)."""
    return {metric.name: metric.label or metric.name for metric in runtime.metrics.catalog()}


def current_metric_values(runtime: Runtime, slugs: Sequence[str]) -> dict[str, float | None]:
    """The current value of each metric: over the last 30 days, or, for rolling and
    cumulative metrics, on the latest day. A metric that is unknown or fails is ``None``
    (the caller shows the key result's manual value instead).
    """
    catalog = runtime.metrics.catalog()
    today = dt.date.today()
    start, end = today - dt.timedelta(days=CURRENT_WINDOW_DAYS - 1), today + dt.timedelta(days=1)
    values: dict[str, float | None] = {}
    for slug in slugs:
        if slug not in catalog:
            values[slug] = None
            continue
        by_day = catalog.get(slug).type.value in ("rolling", "cumulative")
        request = SeriesRequest(slug, start, end, Grain.DAY if by_day else None)
        try:
            result = run_series(runtime, request)
        except PilothouseError:
            values[slug] = None
            continue
        values[slug] = _latest(result)
    return values


def _latest(result: SeriesResult) -> float | None:
    if not result.rows:
        return None
    latest = max(result.rows, key=lambda row: row[0])
    value = latest[result.columns.index("value")]
    return None if value is None else float(value)


def settling_days(runtime: Runtime, slug: str) -> int:
    """How many recent days of ``slug`` are still changing, and so not yet its value.

    A conversion or funnel counts a cohort's conversions for ``within`` after entry,
    and a retention metric looks ``days`` ahead: until that time has passed, a recent
    day's value is low only because its cohort is young. Trends, impact estimates and
    anomaly checks that read such a day see a fall that is not there, so they stop
    this many days before today. Ratios, formulas and rolling or cumulative metrics
    settle as late as the slowest metric they are built from; everything else settles
    when its day ends (0).
    """
    catalog = runtime.metrics.catalog()
    seen: set[str] = set()

    def settle(name: str) -> int:
        if name in seen or name not in catalog:
            return 0
        seen.add(name)
        spec = catalog.get(name).spec
        if isinstance(spec, FunnelSpec):
            return -(-spec.within_seconds // 86_400)
        if isinstance(spec, RetentionSpec):
            return spec.days
        return max((settle(ref) for ref in catalog.get(name).references), default=0)

    return settle(slug)
