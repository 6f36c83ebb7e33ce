"""Benchmark: metrics computed through Pilothouse vs hand-written DuckDB SQL.

Run from the repository root::

    nice .venv/bin/python benchmarks/metrics_compiler.py [--events 10000000] [--runs 5]

It generates synthetic product events with DuckDB SQL into a temporary DuckDB file
(90 days, 200,000 users, four event names), then, in the same run and on the same
read-only connection, times two metrics end to end through Pilothouse
(``compile_query`` + ``DuckDBAdapter.execute``) against an equivalent query an
analyst would write by hand:

- **daily distinct users** over the 90 days;
- **7-day conversion** from ``Signed Up`` to ``Order Completed``, by sign-up day.

Runs alternate between the two sides; each figure is the median of ``--runs``
after one warm-up of each. The script checks both sides return the same numbers and
prints the ratio Pilothouse / hand-written (target: at most 1.2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from pilothouse.metrics.compiler import MetricQuery, compile_query
from pilothouse.metrics.definitions import Grain, validate_sources
from pilothouse.metrics.warehouses import DuckDBAdapter

START, END = dt.date(2024, 1, 1), dt.date(2024, 3, 31)  # 90 days
USERS = 200_000

METRICS = """\
metrics:
  - name: daily_active_users
    description: Distinct identified users with any event.
    owner: bench@example.com
    product_area: benchmark
    type: distinct
  - name: signup_to_purchase_7d
    description: Users buying within 7 days of signing up.
    owner: bench@example.com
    product_area: benchmark
    type: conversion
    from: Signed Up
    to: Order Completed
    within: 7d
"""

GENERATE = """
CREATE TABLE events AS
SELECT
    'm' || i AS message_id,
    CASE WHEN r < 0.70 THEN 'Page Viewed' WHEN r < 0.90 THEN 'Report Exported'
         WHEN r < 0.97 THEN 'Order Completed' ELSE 'Signed Up' END AS event,
    'u' || (hash(i) % {users}) AS user_id,
    CAST(NULL AS VARCHAR) AS anonymous_id,
    'a' || (hash(i) % {users} % 5000) AS account_id,
    TIMESTAMP '2024-01-01' + to_microseconds(CAST(hash(i * 7 + 1) % 7776000000000 AS BIGINT))
        AS "timestamp",
    TIMESTAMP '2024-01-01' + to_microseconds(CAST(hash(i * 7 + 1) % 7776000000000 AS BIGINT))
        AS received_at,
    CAST(json_object('platform', CASE WHEN r * 10 % 1 < 0.6 THEN 'web' ELSE 'ios' END) AS JSON)
        AS properties,
    1 AS source_id
FROM (SELECT range AS i, random() AS r FROM range({events}));
CREATE TABLE users (user_id VARCHAR, traits JSON, first_seen_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE accounts (account_id VARCHAR, traits JSON, updated_at TIMESTAMP);
"""

HAND_DAU = """
SELECT CAST("timestamp" AS DATE) AS day, COUNT(DISTINCT user_id) AS users
FROM events
WHERE "timestamp" >= TIMESTAMP '2024-01-01' AND "timestamp" < TIMESTAMP '2024-03-31'
  AND user_id IS NOT NULL
GROUP BY day
ORDER BY day
"""

HAND_CONVERSION = """
WITH signups AS (
    SELECT user_id, CAST("timestamp" AS DATE) AS day, MIN("timestamp") AS signed_up_at
    FROM events
    WHERE event = 'Signed Up' AND user_id IS NOT NULL
      AND "timestamp" >= TIMESTAMP '2024-01-01' AND "timestamp" < TIMESTAMP '2024-03-31'
    GROUP BY user_id, day
), converted AS (
    SELECT s.day, s.user_id, COUNT(o.user_id) > 0 AS bought
    FROM signups AS s
    LEFT JOIN events AS o
      ON o.user_id = s.user_id AND o.event = 'Order Completed'
     AND o."timestamp" > s.signed_up_at
     AND o."timestamp" <= s.signed_up_at + INTERVAL 7 DAY
    GROUP BY s.day, s.user_id
)
SELECT day, AVG(CAST(bought AS INTEGER)) AS rate,
       SUM(CAST(bought AS INTEGER)) AS buyers, COUNT(*) AS signups
FROM converted
GROUP BY day
ORDER BY day
"""


def generate(path: Path, events: int) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(path)) as connection:
        connection.execute(GENERATE.format(events=events, users=USERS))
    return time.perf_counter() - started


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def compare(name: str, ours: Callable[[], Any], hand: Callable[[], Any], runs: int) -> float:
    ours_rows, hand_rows = ours(), hand()  # warm-up, and the numbers must agree
    check(name, ours_rows, hand_rows)
    ours_times, hand_times = [], []
    for _ in range(runs):
        ours_times.append(timed(ours)[0])
        hand_times.append(timed(hand)[0])
    ours_s, hand_s = statistics.median(ours_times), statistics.median(hand_times)
    ratio = ours_s / hand_s
    print(f"{name:<24} {ours_s:>10.3f} {hand_s:>12.3f} {ratio:>7.2f}x")
    return ratio


def check(name: str, ours: tuple[tuple[Any, ...], ...], hand: list[tuple[Any, ...]]) -> None:
    mine = [(row[0], *row[2:]) if len(row) > 2 else row for row in ours]
    if name.startswith("daily"):
        assert [tuple(r) for r in ours] == [tuple(r) for r in hand], "results differ"
        return
    expected = [(day, buyers, signups) for day, _, buyers, signups in hand]
    got = [(row[0], row[2], row[3]) for row in ours]
    assert got == expected, (mine[:3], hand[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    report = validate_sources({"bench.yaml": METRICS})
    assert report.catalog is not None, report.problems
    catalog = report.catalog
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.duckdb"
        seconds = generate(path, args.events)
        print(f"generated {args.events:,} events for {USERS:,} users in {seconds:.1f} s")
        adapter = DuckDBAdapter("bench", str(path))
        connection = adapter._connect()  # the same read-only connection for both sides

        def ours(metric: str) -> Callable[[], Any]:
            def run() -> Any:
                query = MetricQuery(metric, START, END, Grain.DAY, "UTC")
                return adapter.execute(compile_query(query, catalog, dialect="duckdb").sql).rows

            return run

        def hand(sql: str) -> Callable[[], Any]:
            return lambda: connection.cursor().execute(sql).fetchall()

        print(f"{'metric (median s)':<24} {'pilothouse':>10} {'hand-written':>12} {'ratio':>8}")
        ratios = [
            compare("daily distinct users", ours("daily_active_users"), hand(HAND_DAU), args.runs),
            compare(
                "7-day conversion", ours("signup_to_purchase_7d"), hand(HAND_CONVERSION), args.runs
            ),
        ]
        adapter.close()
    verdict = "within" if max(ratios) <= 1.2 else "ABOVE"
    print(f"worst ratio {max(ratios):.2f}x: {verdict} the 1.2x target")


if __name__ == "__main__":
    main()
