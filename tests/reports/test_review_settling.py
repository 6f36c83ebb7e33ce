"""The weekly review does not report a conversion's young cohorts as a fall.

A certified conversion metric (view → order within 3 days) over 10 weeks of events in
the embedded store (real DuckDB), cut off at "today": orders that would come after today
do not exist yet, so the last three days' rates are low only because their cohorts are
young. On the Monday after the week, those three days are not judged, the week is
marked as still settling (no week-over-week change), and nothing in them is flagged; the
week before, fully settled, is judged whole. (The review judged every day of the week
before, flagging the young days as a drop, as the demo's card activation rate showed:
-74.5 % and six days "outside normal variation (down)".)
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pilothouse.core.runtime import Runtime
from pilothouse.metrics.segment import TrackedEvent
from pilothouse.reports.metric_moves import metric_moves
from pilothouse.reports.weeks import week_of

TODAY = dt.date(2026, 11, 23)  # a Monday
WEEK = week_of(TODAY - dt.timedelta(days=1))  # Mon 16 - Sun 22 Nov
CATALOG = """
metrics:
  - {name: view_to_order, description: Views converting., owner: pm@example.com,
     product_area: shop, type: conversion, from: Page Viewed, to: Order Completed,
     within: 3d, certified: true}
"""


def _events() -> list[TrackedEvent]:
    rng = np.random.default_rng(5)
    cutoff = dt.datetime.combine(TODAY, dt.time(0), dt.UTC)
    events = []
    for n in range(70):
        day = TODAY - dt.timedelta(days=70 - n)
        seen = dt.datetime.combine(day, dt.time(10), dt.UTC)
        for i in range(40):
            user, at = f"u{n}-{i}", seen + dt.timedelta(minutes=i)
            events.append(TrackedEvent(f"v{n}-{i}", "Page Viewed", user, None, None, at, {}))
            ordered = at + dt.timedelta(hours=float(rng.uniform(1, 70)))
            if rng.random() < 0.5 and ordered < cutoff:
                events.append(
                    TrackedEvent(f"o{n}-{i}", "Order Completed", user, None, None, ordered, {})
                )
    return events


def test_young_cohorts_are_not_judged_and_the_week_is_marked_settling(runtime: Runtime) -> None:
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(CATALOG)
    runtime.event_store.write(events=_events(), received_at=dt.datetime.now(dt.UTC))

    [move] = metric_moves(runtime, WEEK, today=TODAY)

    assert move.settling and move.change is None
    assert "3 of 7 days still settling (its cohorts convert over 3 days)" in move.verdict_text
    settled_until = TODAY - dt.timedelta(days=4)  # Thursday 19 Nov
    assert all(day <= settled_until for day, _ in move.outside_days), move.outside_days
    young = [v for d, v in zip(move.days, move.values, strict=True) if d > settled_until]
    assert young and max(young) < 0.45  # the young days do look like a fall

    [before] = metric_moves(runtime, WEEK.shifted(-1), today=TODAY)
    assert not before.settling and before.change is not None
    assert before.verdict in ("normal", "outside") and "settling" not in before.verdict_text
