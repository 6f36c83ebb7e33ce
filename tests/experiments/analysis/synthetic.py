"""Seeded raw data for analysis tests, and a plain-Python reference of what the SQL must return.

The reference reads the raw rows with loops and NumPy, independently of the SQL:
first exposure per unit in the window, units seen in several variations dropped,
per-unit values over the window after first exposure (and the pre-exposure window),
zero for units without events, caps, then sums per variation and dimension value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from pilothouse.experiments.analysis.sql import NOT_SET, metric_fields
from pilothouse.metrics.definitions import Catalog, validate_sources
from pilothouse.metrics.segment import Identify, TrackedEvent
from pilothouse.metrics.store import SCHEMA

UTC = dt.UTC
Hi = dt.datetime | None
START = dt.datetime(2024, 3, 1, tzinfo=UTC)
END = START + dt.timedelta(days=21)
CUPED_DAYS = 7
EXPERIMENT = "EXP-1"
COUNTRIES = {
    "US": 0.35,
    "UK": 0.2,
    "DE": 0.15,
    "FR": 0.1,
    "CA": 0.08,
    "JP": 0.05,
    "BR": 0.04,
    "IN": 0.03,
}
BROWSERS = ["chrome", "safari", "firefox", "edge"]

METRICS = (
    "orders",
    "revenue",
    "buyers",
    "order_value",
    "orders_per_view",
    "view_to_order",
    "returning",
)
SETTINGS: dict[str, Any] = {
    "cuped": True,
    "cuped_days": CUPED_DAYS,
    "dimensions": ["country", "property.browser"],
    "metrics": {
        "orders": {"window": "5d", "cap": {"type": "absolute", "value": 3}},
        "revenue": {"cap": {"type": "percentile", "value": 0.9}},
        "returning": {"cuped": False},
    },
}


CATALOG_YAML = """
dimensions:
  - {name: country, user_trait: country}
metrics:
  - {name: orders, description: Orders., owner: pm@example.com, product_area: shop,
     type: count, event: Order Completed}
  - {name: revenue, description: Revenue., owner: pm@example.com, product_area: shop,
     type: sum, event: Order Completed, property: amount}
  - {name: buyers, description: Buyers., owner: pm@example.com, product_area: shop,
     type: distinct, event: Order Completed}
  - {name: order_value, description: Average order., owner: pm@example.com,
     product_area: shop, type: average, event: Order Completed, property: amount}
  - {name: views, description: Views., owner: pm@example.com, product_area: shop,
     type: count, event: Page Viewed}
  - {name: orders_per_view, description: Orders per view., owner: pm@example.com,
     product_area: shop, type: ratio, numerator: orders, denominator: views}
  - {name: view_to_order, description: Views converting., owner: pm@example.com,
     product_area: shop, type: conversion, from: Page Viewed, to: Order Completed, within: 1d}
  - {name: returning, description: Came back to order., owner: pm@example.com,
     product_area: shop, type: retention, start: Page Viewed,
     return: {event: Order Completed}, days: 2, mode: on_or_after}
  - {name: biggest_order, description: Largest order., owner: pm@example.com,
     product_area: shop, type: max, event: Order Completed, property: amount}
"""


def catalog() -> Catalog:
    report = validate_sources({"shop.yaml": CATALOG_YAML})
    assert report.ok, report.problems
    return report.catalog


@dataclass
class Data:
    """Raw rows: exposures (unit, experiment, variation, ts, browser), events, traits."""

    exposures: list[tuple[str, str, str, dt.datetime, str]] = field(default_factory=list)
    events: list[tuple[str, str | None, dt.datetime, dict[str, Any]]] = field(default_factory=list)
    traits: dict[str, dict[str, Any]] = field(default_factory=dict)


def _moment(
    rng: np.random.Generator, base: dt.datetime, lo_days: float, hi_days: float
) -> dt.datetime:
    seconds = int(rng.integers(int(lo_days * 86400), int(hi_days * 86400)))
    return base + dt.timedelta(seconds=seconds)


def _unit_exposures(
    rng: np.random.Generator, unit: str, variations: list[str], weights: list[float]
) -> tuple[list[tuple[str, str, str, dt.datetime, str]], dt.datetime]:
    variation = str(rng.choice(variations, p=weights))
    t0 = _moment(rng, START, 0, 10)
    browser = str(rng.choice(BROWSERS))
    kind = rng.random()
    rows = [(unit, EXPERIMENT, variation, t0, browser)]
    if kind < 0.05:  # exposed to a second variation: excluded
        other = next(v for v in variations if v != variation)
        rows.append((unit, EXPERIMENT, other, _moment(rng, t0, 0.1, 2), browser))
    elif kind < 0.10:  # only exposed before the start: not in the experiment
        rows = [(unit, EXPERIMENT, variation, START - dt.timedelta(days=2), browser)]
    elif kind < 0.40:  # exposed again, same variation: the first exposure counts
        rows.append((unit, EXPERIMENT, variation, _moment(rng, t0, 0.05, 3), browser))
    if rng.random() < 0.1:  # another experiment's exposure, with a variation we don't have
        rows.append((unit, "OTHER", "zzz", _moment(rng, START, 0, 10), browser))
    return rows, t0


def generate(
    seed: int = 7,
    units: int = 1200,
    variations: tuple[str, ...] = ("control", "treatment"),
    weights: tuple[float, ...] = (0.5, 0.5),
) -> Data:
    """Seeded exposures, events and traits for ``units`` users."""
    rng = np.random.default_rng(seed)
    data = Data()
    countries, shares = list(COUNTRIES), list(COUNTRIES.values())
    for i in range(units):
        unit = f"u{i:04d}"
        rows, t0 = _unit_exposures(rng, unit, list(variations), list(weights))
        data.exposures += rows
        if rng.random() > 0.03:
            data.traits[unit] = {"country": str(rng.choice(countries, p=shares))}
        lift = 1.15 if rows[0][2] != variations[0] else 1.0
        for _ in range(rng.poisson(2.5 * lift)):
            props: dict[str, Any] = {"amount": round(float(rng.gamma(2.0, 25.0)), 2)}
            if rng.random() < 0.1:
                props = {"coupon": "x"}
            data.events.append(("Order Completed", unit, _moment(rng, t0, -12, 14), props))
        for _ in range(rng.poisson(4)):
            data.events.append(("Page Viewed", unit, _moment(rng, t0, -10, 12), {}))
    for _ in range(20):  # anonymous events never count
        data.events.append(("Order Completed", None, _moment(rng, START, 0, 10), {"amount": 1.0}))
    return data


# -- loading -------------------------------------------------------------------------------


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def exposure_events(data: Data) -> list[tuple[str, str, dt.datetime, dict[str, Any]]]:
    return [
        ("Experiment Viewed", unit, ts, {"experiment": exp, "variation": var, "browser": browser})
        for unit, exp, var, ts, browser in data.exposures
    ]


def write_duckdb(path: Path, data: Data) -> None:
    """A DuckDB file laid out like the embedded store."""
    rows = [*exposure_events(data), *data.events]
    events = pa.table(
        {
            "message_id": [f"m{i}" for i in range(len(rows))],
            "event": [r[0] for r in rows],
            "user_id": pa.array([r[1] for r in rows], pa.string()),
            "ts": pa.array([_naive(r[2]) for r in rows], pa.timestamp("us")),
            "properties": [json.dumps(r[3]) for r in rows],
        }
    )
    users = pa.table(
        {
            "user_id": list(data.traits),
            "traits": [json.dumps(t) for t in data.traits.values()],
        }
    )
    connection = duckdb.connect(str(path))
    for statement in SCHEMA:
        connection.execute(statement)
    connection.register("staged_events", events)
    connection.register("staged_users", users)
    connection.execute(
        "INSERT INTO events SELECT message_id, event, user_id, NULL, NULL, ts, ts, "
        "properties::JSON, NULL FROM staged_events"
    )
    connection.execute(
        "INSERT INTO users SELECT user_id, traits::JSON, NULL, NULL, NULL FROM staged_users"
    )
    connection.close()


def tracked(data: Data) -> tuple[list[TrackedEvent], list[Identify]]:
    """The same rows as Segment messages, for the embedded store's ``write``."""
    events = [
        TrackedEvent(f"m{i}", event, unit, None if unit else "anon", None, ts, props)
        for i, (event, unit, ts, props) in enumerate([*exposure_events(data), *data.events])
    ]
    identifies = [
        Identify(f"id-{unit}", unit, None, None, traits, START - dt.timedelta(days=30))
        for unit, traits in data.traits.items()
    ]
    return events, identifies


def experiment(**overrides: Any) -> SimpleNamespace:
    """An object shaped like an ``Experiment`` row, for plans without a database."""
    values: dict[str, Any] = {
        "key": EXPERIMENT,
        "analysis_unit": "user",
        "exposure": {
            "kind": "event",
            "event": "Experiment Viewed",
            "experiment_property": "experiment",
            "variation_property": "variation",
        },
        "analysis": {},
        "started_at": START,
        "ended_at": END,
        "variations": [
            SimpleNamespace(key="control", name="Control", weight=0.5),
            SimpleNamespace(key="treatment", name="Treatment", weight=0.5),
        ],
        "metrics": [],
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def choices(*names: str, role: str = "secondary") -> list[SimpleNamespace]:
    return [SimpleNamespace(metric=n, role=role, bad_direction=None, margin=None) for n in names]


# -- the reference -------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    unit: str
    variation: str
    first: dt.datetime
    browser: str
    country: str


def units(data: Data, start: dt.datetime = START, end: dt.datetime = END) -> tuple[list[Unit], int]:
    """Analysed units (one variation, first exposure in the window) and the excluded count."""
    seen: dict[str, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for unit, exp, var, ts, browser in data.exposures:
        if exp == EXPERIMENT and start <= ts < end:
            seen[unit].append((ts, var, browser))
    out, multiple = [], 0
    for unit, rows in sorted(seen.items()):
        if len({v for _, v, _ in rows}) > 1:
            multiple += 1
            continue
        first = min(rows)
        country = data.traits.get(unit, {}).get("country", NOT_SET)
        out.append(Unit(unit, first[1], first[0], min(b for _, _, b in rows), country))
    return out, multiple


class Reference:
    """Per-unit metric values computed from the raw rows with loops."""

    def __init__(self, data: Data, events_from: dt.datetime, end: dt.datetime = END) -> None:
        self.by_unit: dict[str, list[tuple[str, dt.datetime, dict[str, Any]]]] = defaultdict(list)
        for event, unit, ts, props in data.events:
            if unit is not None and events_from <= ts < end:
                self.by_unit[unit].append((event, ts, props))

    def _rows(self, unit: str, event: str, lo: dt.datetime, hi: Hi) -> list[Any]:
        return [
            (ts, p)
            for e, ts, p in self.by_unit[unit]
            if e == event and ts >= lo and (hi is None or ts < hi)
        ]

    def count(self, unit: str, event: str, lo: dt.datetime, hi: dt.datetime | None) -> float:
        return float(len(self._rows(unit, event, lo, hi)))

    def total(
        self, unit: str, event: str, prop: str, lo: dt.datetime, hi: dt.datetime | None
    ) -> float:
        return float(sum(p[prop] for _, p in self._rows(unit, event, lo, hi) if prop in p))

    def present(
        self, unit: str, event: str, prop: str, lo: dt.datetime, hi: dt.datetime | None
    ) -> float:
        return float(sum(1 for _, p in self._rows(unit, event, lo, hi) if prop in p))

    def converted(
        self, unit: str, lo: dt.datetime, hi: dt.datetime | None, within: dt.timedelta
    ) -> float:
        starts = self._rows(unit, "Page Viewed", lo, hi)
        if not starts:
            return 0.0
        t1 = min(ts for ts, _ in starts)
        later = self._rows(unit, "Order Completed", t1, hi)
        return float(any(t1 < ts <= t1 + within for ts, _ in later))

    def returned(self, unit: str, lo: dt.datetime, hi: dt.datetime | None, days: int) -> float:
        starts = self._rows(unit, "Page Viewed", lo, hi)
        if not starts:
            return 0.0
        start_day = min(ts for ts, _ in starts).date()
        target = start_day + dt.timedelta(days=days)
        returns = [ts for e, ts, _ in self.by_unit[unit] if e == "Order Completed"]
        return float(any(ts.date() >= target for ts in returns))


def windows(
    unit: Unit, window: dt.timedelta | None = None
) -> tuple[tuple[dt.datetime, dt.datetime | None], tuple[dt.datetime, dt.datetime]]:
    post = (unit.first, None if window is None else unit.first + window)
    pre = (unit.first - dt.timedelta(days=CUPED_DAYS), unit.first)
    return post, pre


def sums(values: dict[str, np.ndarray], fields: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """GrowthBook sums from per-unit value arrays (``fields`` maps name -> factors)."""
    out = {}
    for name, factors in fields.items():
        product = np.ones_like(values[factors[0]])
        for factor in factors:
            product = product * values[factor]
        out[name] = float(product.sum())
    return out


SUM_FIELDS = {
    "main_sum": ("m",),
    "main_sum_squares": ("m", "m"),
    "denominator_sum": ("d",),
    "denominator_sum_squares": ("d", "d"),
    "main_denominator_sum_product": ("m", "d"),
    "covariate_sum": ("x",),
    "covariate_sum_squares": ("x", "x"),
    "main_covariate_sum_product": ("m", "x"),
    "denominator_pre_sum": ("e",),
    "denominator_pre_sum_squares": ("e", "e"),
    "main_post_denominator_pre_sum_product": ("m", "e"),
    "main_pre_denominator_post_sum_product": ("x", "d"),
    "main_pre_denominator_pre_sum_product": ("x", "e"),
    "denominator_post_denominator_pre_sum_product": ("d", "e"),
}


# -- expected sums ---------------------------------------------------------------------


def unit_values(data: Data, units: list[Unit]) -> dict[str, dict[str, np.ndarray]]:
    """Per metric, the per-unit arrays m, d, x, e computed from raw rows."""
    ref = Reference(data, START - dt.timedelta(days=CUPED_DAYS))
    day = dt.timedelta(days=1)
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for u in units:
        (post_lo, _), pre = windows(u)
        short = (u.first, u.first + dt.timedelta(days=5))
        rows = {
            "orders": {
                "m": ref.count(u.unit, "Order Completed", *short),
                "x": ref.count(u.unit, "Order Completed", *pre),
            },
            "revenue": {
                "m": ref.total(u.unit, "Order Completed", "amount", post_lo, None),
                "x": ref.total(u.unit, "Order Completed", "amount", *pre),
            },
            "buyers": {
                "m": min(1.0, ref.count(u.unit, "Order Completed", post_lo, None)),
                "x": min(1.0, ref.count(u.unit, "Order Completed", *pre)),
            },
            "order_value": {
                "m": ref.total(u.unit, "Order Completed", "amount", post_lo, None),
                "d": ref.present(u.unit, "Order Completed", "amount", post_lo, None),
                "x": ref.total(u.unit, "Order Completed", "amount", *pre),
                "e": ref.present(u.unit, "Order Completed", "amount", *pre),
            },
            "orders_per_view": {
                "m": ref.count(u.unit, "Order Completed", post_lo, None),
                "d": ref.count(u.unit, "Page Viewed", post_lo, None),
                "x": ref.count(u.unit, "Order Completed", *pre),
                "e": ref.count(u.unit, "Page Viewed", *pre),
            },
            "view_to_order": {
                "m": ref.converted(u.unit, post_lo, None, day),
                "x": ref.converted(u.unit, *pre, day),
            },
            "returning": {"m": ref.returned(u.unit, post_lo, None, 2)},
        }
        for metric, parts in rows.items():
            for part, value in parts.items():
                values[metric][part].append(value)
    arrays = {m: {p: np.array(v) for p, v in parts.items()} for m, parts in values.items()}
    arrays["orders"] = {p: np.minimum(v, 3.0) for p, v in arrays["orders"].items()}
    cap = np.quantile(arrays["revenue"]["m"], 0.9)
    arrays["revenue"] = {p: np.minimum(v, cap) for p, v in arrays["revenue"].items()}
    return arrays


def expected_sums(data: Data, plan: Any, key: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per group key (from ``key(unit)``) and metric: the GrowthBook sums and users."""
    analysed, _ = units(data)
    arrays = unit_values(data, analysed)
    members_of: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, unit in enumerate(analysed):
        for group in key(unit):
            members_of[group].append(index)
    metrics = {m.name: m for m in plan.metrics}
    expected = {}
    for group, members in members_of.items():
        picked = {name: {p: v[members] for p, v in arrays[name].items()} for name in arrays}
        expected[group] = {
            name: sums(picked[name], {f: SUM_FIELDS[f] for f in metric_fields(metrics[name])})
            | {"users": float(len(members))}
            for name in arrays
        }
    return expected


def groups(unit: Unit) -> list[tuple[Any, ...]]:
    return [
        (None, None, unit.variation),
        ("country", unit.country, unit.variation),
        ("property.browser", unit.browser, unit.variation),
    ]
