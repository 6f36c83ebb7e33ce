"""Parity: every metric type gives IDENTICAL numbers on DuckDB, PostgreSQL, chdb and Spark.

Each case is compiled for each engine's dialect and schema and run on the same
fixture rows. Results must be equal value for value and type for type: counts and
money are ``int`` everywhere (integer cents, never floats), ratios the same
``float``. Every engine is also checked against ``tests/metrics/reference.py``,
which computes the numbers in plain Python.

The queries of all engines run up front, one worker thread per engine, so Spark's
start-up overlaps the other engines' work; each test then compares one case.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from pilothouse.metrics.compiler import MetricQuery, compile_query
from pilothouse.metrics.definitions import (
    Catalog,
    Dimension,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    Grain,
    MetricType,
    Unit,
    ValueType,
    load_catalog,
)
from pilothouse.metrics.warehouses import WarehouseAdapter
from tests.metrics.conftest import CATALOG_DIR
from tests.metrics.fixture_data import HOSTILE
from tests.metrics.parity.conftest import PYSPARK_PANDAS_WARNING
from tests.metrics.reference import Reference

pytestmark = [
    pytest.mark.filterwarnings(PYSPARK_PANDAS_WARNING),
    pytest.mark.postgresql,  # PostgreSQL is one of the four engines
    pytest.mark.slow,  # starts Spark
]

ENGINES = ("duckdb", "postgresql", "chdb", "spark")
START, END = dt.date(2024, 2, 26), dt.date(2024, 4, 16)

ROLE = Filter(FieldRef(FieldSource.USER_TRAIT, "role"), FilterOp.IN, ("admin", "member"))
NOT_HOSTILE = Filter(FieldRef(FieldSource.PROPERTY, "platform"), FilterOp.NE, HOSTILE)
BIG_ACCOUNTS = Filter(
    FieldRef(FieldSource.ACCOUNT_TRAIT, "arr_cents", ValueType.INTEGER), FilterOp.GT, 1_000_000
)
SEGMENT = Dimension("segment", FieldRef(FieldSource.ACCOUNT_TRAIT, "segment"))

# (grain, time zone, dimensions, extra filters); every variant breaks down by something.
VARIANTS: dict[str, tuple[Grain | None, str, tuple[Any, ...], tuple[Filter, ...]]] = {
    "day-utc-country-role": (Grain.DAY, "UTC", ("country",), (ROLE,)),
    "week-paris-plan": (Grain.WEEK, "Europe/Paris", ("plan",), ()),
    "month-newyork-2dims-bigaccounts": (
        Grain.MONTH,
        "America/New_York",
        ("platform", "country"),
        (BIG_ACCOUNTS,),
    ),
    "total-tokyo-inline-dim": (None, "Asia/Tokyo", (SEGMENT,), (NOT_HOSTILE,)),
    "day-kolkata-quote-key": (Grain.DAY, "Asia/Kolkata", ("quote_key",), ()),
}


def _query(catalog: Catalog, name: str, variant: str) -> MetricQuery:
    grain, zone, dims, filters = VARIANTS[variant]
    metric = catalog.get(name)
    if metric.type is MetricType.ROLLING:
        grain = Grain.DAY
    if metric.dimensions is not None:
        dims = tuple(d for d in dims if not isinstance(d, str) or d in metric.dimensions)
    return MetricQuery(name, START, END, grain, zone, dims, filters)


def _filter_case(*filters: Filter) -> MetricQuery:
    return MetricQuery("exporters", START, END, Grain.MONTH, "UTC", ("country",), filters)


def _property(key: str, kind: ValueType = ValueType.NUMBER) -> FieldRef:
    return FieldRef(FieldSource.PROPERTY, key, kind)


def build_cases() -> dict[str, MetricQuery]:
    """Each catalog metric under one variant (rotating), plus operator and unit cases."""
    catalog = load_catalog(CATALOG_DIR)
    names = list(VARIANTS)
    cases = {
        f"{name}-{names[index % len(names)]}": _query(catalog, name, names[index % len(names)])
        for index, name in enumerate(sorted(catalog.metrics))
    }
    cases["filters-numeric"] = _filter_case(
        Filter(_property("rows"), FilterOp.GE, 50), Filter(_property("rows"), FilterOp.LT, 5000)
    )
    cases["filters-text"] = _filter_case(
        Filter(_property("format", ValueType.TEXT), FilterOp.CONTAINS, "s"),
        Filter(FieldRef(FieldSource.ACCOUNT_TRAIT, "plan"), FilterOp.NOT_IN, ("free",)),
        Filter(FieldRef(FieldSource.USER_TRAIT, "country"), FilterOp.IS_SET),
    )
    cases["filters-missing"] = _filter_case(
        Filter(_property("format", ValueType.TEXT), FilterOp.IS_NOT_SET),
        Filter(_property("rows"), FilterOp.LE, 101),
    )
    cases["hostile-value"] = MetricQuery(
        "page_views", START, END, Grain.MONTH, "UTC", ("platform",),
        (Filter(FieldRef(FieldSource.PROPERTY, "platform"), FilterOp.EQ, HOSTILE),),
    )  # fmt: skip
    for name in ("active_users", "signup_to_export"):
        cases[f"{name}-by-account"] = MetricQuery(
            name, START, END, Grain.WEEK, "Europe/Paris", ("plan",), unit=Unit.ACCOUNT
        )
    cases["revenue-total"] = MetricQuery("revenue_cents", START, END, None, "UTC")
    return cases


CASES = build_cases()


@dataclass
class Outcome:
    """One engine's answer to one case: rows by key, or the error it raised."""

    rows: dict[tuple[Any, ...], tuple[Any, ...]] | None = None
    error: BaseException | None = None
    sql: str = ""


def _run_case(adapter: WarehouseAdapter, catalog: Catalog, query: MetricQuery) -> Outcome:
    sql = ""
    try:
        compiled = compile_query(query, catalog, adapter.default_schema(), adapter.dialect)
        sql = compiled.sql
        result = adapter.execute(sql, timeout_s=120)
        assert result.columns == compiled.columns, (result.columns, compiled.columns)
        width = 1 + len(query.dimensions)
        return Outcome({tuple(row[:width]): tuple(row[width:]) for row in result.rows}, sql=sql)
    except Exception as exc:
        return Outcome(error=exc, sql=sql)


def _run_engine(
    get: Callable[[], WarehouseAdapter], catalog: Catalog, workers: int
) -> dict[str, Outcome]:
    """Every case on one engine; ``workers`` queries at a time."""
    try:
        adapter = get()
    except Exception as exc:  # Spark or Java could not start: every case fails with it
        return {case: Outcome(error=exc) for case in CASES}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parity-case") as pool:
        outcomes = pool.map(lambda query: _run_case(adapter, catalog, query), CASES.values())
        return dict(zip(CASES, outcomes, strict=True))


@pytest.fixture(scope="module")
def parity_results(
    duckdb_adapter: WarehouseAdapter,
    postgres_adapter: WarehouseAdapter,
    chdb_adapter: WarehouseAdapter,
    spark_engine: Any,
    catalog: Catalog,
) -> dict[str, dict[str, Outcome]]:
    getters: dict[str, Callable[[], WarehouseAdapter]] = {
        "spark": spark_engine.get,
        "duckdb": lambda: duckdb_adapter,
        "postgresql": lambda: postgres_adapter,
        "chdb": lambda: chdb_adapter,
    }
    # Spark's per-query time is mostly driver-side planning and scheduling: two at a time
    # nearly halve it. The other engines answer in milliseconds.
    workers = {"spark": 2}
    with ThreadPoolExecutor(max_workers=len(getters), thread_name_prefix="parity") as pool:
        futures = {
            name: pool.submit(_run_engine, get, catalog, workers.get(name, 1))
            for name, get in getters.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    return results


def _answer(results: dict[str, dict[str, Outcome]], engine: str, case: str) -> dict[Any, Any]:
    outcome = results[engine][case]
    if outcome.error is not None:
        error = outcome.error
        pytest.fail(f"{engine} failed: {type(error).__name__}: {error}\n{outcome.sql}", False)
    assert outcome.rows is not None
    return outcome.rows


def differences(got: dict[Any, Any], expected: dict[Any, Any], exact: bool) -> list[str]:
    """Readable differences between two series (exact: same type and value)."""
    problems = [f"missing {key}" for key in expected.keys() - got.keys()]
    problems += [f"unexpected {key}: {got[key]}" for key in got.keys() - expected.keys()]
    for key in expected.keys() & got.keys():
        mine, theirs = got[key], expected[key]
        same = len(mine) == len(theirs) and all(
            _same(a, b, exact) for a, b in zip(mine, theirs, strict=True)
        )
        if not same:
            problems.append(f"{key}: {mine!r} != {theirs!r}")
    return sorted(problems)


def _same(left: Any, right: Any, exact: bool) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and not exact:
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right)


@pytest.mark.parametrize("case", CASES)
def test_engines_agree(
    parity_results: dict[str, dict[str, Outcome]], reference: Reference, case: str
) -> None:
    query = CASES[case]
    expected = reference.series(query)
    assert expected, "the reference produced no rows: the case proves nothing"
    answers = {engine: _answer(parity_results, engine, case) for engine in ENGINES}
    problems = {
        engine: differences(answers[engine], answers["duckdb"], exact=True)[:5]
        for engine in ENGINES[1:]
    }
    assert not any(problems.values()), f"engines differ from duckdb: {problems}"
    against_reference = differences(answers["duckdb"], expected, exact=False)
    assert not against_reference, against_reference[:5]


def test_cases_cover_every_metric_type_with_dimensions_and_filters() -> None:
    catalog = load_catalog(CATALOG_DIR)
    by_type: dict[MetricType, list[MetricQuery]] = {}
    for query in CASES.values():
        by_type.setdefault(catalog.get(query.metric).type, []).append(query)
    assert set(by_type) == set(MetricType)
    for kind, queries in by_type.items():
        assert any(q.dimensions for q in queries), f"{kind} is never broken down"
    filtered = {catalog.get(q.metric).type for q in CASES.values() if q.filters}
    assert len(filtered) >= 8, filtered


def test_money_is_integer_cents_on_every_engine(
    parity_results: dict[str, dict[str, Outcome]], reference: Reference
) -> None:
    expected = reference.series(CASES["revenue-total"])[(START,)][0]
    assert isinstance(expected, int) and expected > 0
    for engine in ENGINES:
        ((value,),) = _answer(parity_results, engine, "revenue-total").values()
        assert type(value) is int and value == expected, (engine, value)
