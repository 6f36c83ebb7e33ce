"""Embedded metric series are kept between reads, and never served stale (issue 14.3).

Each check compares the (possibly kept) answer with the same query run on the store
directly, so a cache that serves an old answer fails here.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest

from pilothouse.core.runtime import Runtime
from pilothouse.metrics.definitions.model import Grain
from pilothouse.metrics.demo import copy_demo_definitions
from pilothouse.metrics.segment import Group, Identify, TrackedEvent
from pilothouse.metrics.service import SeriesRequest, SeriesResult, run_series
from pilothouse.metrics.store_cache import ChangeLog, ReadCache

DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 15)
_counter = iter(range(1_000_000))


def _event(name: str, user: str, at: dt.datetime) -> TrackedEvent:
    return TrackedEvent(f"c-{next(_counter)}", name, user, None, "a1", at, {})


@pytest.fixture
def store_runtime(runtime: Runtime) -> Runtime:
    """Demo definitions; two sign-ups on DAY, one verified half a day later."""
    copy_demo_definitions(runtime.settings.effective_metrics_path)
    events = [
        _event("Signed Up", "u1", DAY),
        _event("Signed Up", "u2", DAY),
        _event("Identity Verified", "u1", DAY + dt.timedelta(hours=12)),
    ]
    runtime.event_store.write(events=events, received_at=DAY)
    return runtime


def _read(runtime: Runtime, metric: str, grain: Grain | None = None) -> tuple[float, bool]:
    """The metric's total over [START, END), and whether it came from the cache; checked
    against the same SQL run on the store directly."""
    reads = runtime.event_store.reads
    hits = reads.hits
    result = run_series(runtime, SeriesRequest(metric, START, END, grain))
    cursor = runtime.event_store.cursor()
    try:
        fresh = cursor.execute(result.sql).fetchall()
    finally:
        cursor.close()
    assert _total(result) == pytest.approx(
        sum(float(row[result.columns.index("value")] or 0) for row in fresh)
    )
    return _total(result), reads.hits > hits


def _total(result: SeriesResult) -> float:
    return sum(float(row[result.columns.index("value")] or 0) for row in result.rows)


def test_a_series_is_kept_until_an_event_lands_in_its_range(store_runtime: Runtime) -> None:
    assert _read(store_runtime, "signups") == (2, False)
    assert _read(store_runtime, "signups") == (2, True)
    store = store_runtime.event_store
    store.write(events=[_event("Signed Up", "u3", DAY + dt.timedelta(days=3))], received_at=DAY)
    assert _read(store_runtime, "signups") == (3, False)
    # Events weeks after the range (today's tracking, for a past launch) leave it valid.
    late = DAY + dt.timedelta(days=40)
    store.write(events=[_event("Signed Up", "u4", late)], received_at=late)
    assert _read(store_runtime, "signups") == (3, True)
    # An event that arrives late but happened inside the range is seen at once.
    store.write(events=[_event("Signed Up", "u5", DAY - dt.timedelta(hours=1))], received_at=late)
    assert _read(store_runtime, "signups") == (4, False)


def test_a_conversion_waits_for_its_window_after_the_range(store_runtime: Runtime) -> None:
    """verification_rate counts verifications within 3 days of signing up: an event two
    days after the range's end can still move the range's last days."""
    store = store_runtime.event_store
    last_day = dt.datetime.combine(END - dt.timedelta(days=1), dt.time(20), dt.UTC)
    store.write(events=[_event("Signed Up", "u9", last_day)], received_at=last_day)
    before, _ = _read(store_runtime, "verification_rate", Grain.DAY)
    assert _read(store_runtime, "verification_rate", Grain.DAY) == (before, True)
    verified = last_day + dt.timedelta(days=2)
    store.write(events=[_event("Identity Verified", "u9", verified)], received_at=verified)
    after, kept = _read(store_runtime, "verification_rate", Grain.DAY)
    assert not kept
    assert after > before


def test_the_horizon_is_the_instant_the_range_ends(store_runtime: Runtime) -> None:
    """A count reads events before the first instant of its end day (in the workspace
    time zone): an event one minute later leaves it kept, one minute earlier clears it."""
    zone = ZoneInfo(store_runtime.settings.timezone)
    ends = dt.datetime.combine(END, dt.time(), tzinfo=zone)
    store = store_runtime.event_store
    assert _read(store_runtime, "signups") == (2, False)
    after = ends + dt.timedelta(minutes=1)
    store.write(events=[_event("Signed Up", "u7", after)], received_at=after)
    assert _read(store_runtime, "signups") == (2, True)
    before = ends - dt.timedelta(minutes=1)
    store.write(events=[_event("Signed Up", "u8", before)], received_at=after)
    assert _read(store_runtime, "signups") == (3, False)


def test_an_unbounded_retention_is_cleared_by_any_later_event(store_runtime: Runtime) -> None:
    """ "On or after" retention counts a return on any later day, so no event is too late."""
    folder = store_runtime.metrics.folder
    (folder / "returning.yaml").write_text(RETURNING)
    store = store_runtime.event_store
    assert _read(store_runtime, "came_back") == (0.0, False)  # u1 verified on its first day
    assert _read(store_runtime, "came_back") == (0.0, True)
    much_later = DAY + dt.timedelta(days=300)
    store.write(events=[_event("Card Payment", "u2", much_later)], received_at=much_later)
    assert _read(store_runtime, "came_back") == (pytest.approx(0.5), False)  # u2 came back


RETURNING = """metrics:
  - name: came_back
    description: Sign-ups who did anything again a day or more later.
    owner: pm@example.com
    product_area: engagement
    type: retention
    start: Signed Up
    return: {event: [Identity Verified, Card Payment]}
    days: 1
    mode: on_or_after
"""


def test_changed_traits_invalidate_every_series(store_runtime: Runtime) -> None:
    assert _read(store_runtime, "signups")[1] is False
    assert _read(store_runtime, "signups")[1] is True
    late = DAY + dt.timedelta(days=60)
    store = store_runtime.event_store
    store.write(
        identifies=[Identify("i-1", "u1", None, None, {"role": "x"}, late)], received_at=late
    )
    assert _read(store_runtime, "signups")[1] is False
    assert _read(store_runtime, "signups")[1] is True
    store.write(groups=[Group("g-1", "a1", "u1", None, {"plan": "grow"}, late)], received_at=late)
    assert _read(store_runtime, "signups")[1] is False


def test_a_changed_definition_is_not_served_from_the_cache(store_runtime: Runtime) -> None:
    assert _read(store_runtime, "signups") == (2, False)
    assert _read(store_runtime, "signups") == (2, True)
    path = store_runtime.metrics.folder / "demo_onboarding.yaml"
    text = path.read_text()
    changed = text.replace(
        "type: count\n    event: Signed Up", "type: count\n    event: Identity Verified"
    )
    assert changed != text
    path.write_text(changed)
    os.utime(path, ns=(1, 1))  # a different signature even within the same mtime tick
    assert _read(store_runtime, "signups") == (1, False)


def test_the_change_log_answers_from_the_version_a_read_started_at() -> None:
    changes = ChangeLog(kept=3)
    horizon = dt.datetime(2026, 11, 20)
    start = changes.version()
    assert changes.unchanged_since(start, horizon) == start
    changes.record(dt.datetime(2026, 12, 1))  # after the horizon
    assert changes.unchanged_since(start, horizon) == start + 1
    changes.record(dt.datetime(2026, 11, 19))  # before it
    assert changes.unchanged_since(start, horizon) is None
    assert changes.unchanged_since(start + 2, horizon) == start + 2
    for _ in range(4):  # commits 3 to 6 after the horizon; the log keeps 4 to 6
        changes.record(dt.datetime(2027, 1, 1))
    assert changes.unchanged_since(start + 2, horizon) is None  # the log no longer reaches
    assert changes.unchanged_since(start + 3, horizon) == start + 6


def test_the_read_cache_drops_the_least_recently_used() -> None:
    changes = ChangeLog()
    cache = ReadCache(changes, entries=2)
    horizon = dt.datetime(2026, 11, 20)
    cache.put("a", changes.version(), horizon, 1)
    cache.put("b", changes.version(), horizon, 2)
    assert cache.get("a") == 1
    cache.put("c", changes.version(), horizon, 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    changes.record(None)  # traits: anything may have changed
    assert cache.get("a") is None


def test_the_read_cache_keeps_its_weight_bounded() -> None:
    changes = ChangeLog()
    cache = ReadCache(changes, entries=10, weight=100)
    horizon = dt.datetime(2026, 11, 20)
    cache.put("big", changes.version(), horizon, "b", weight=60)
    cache.put("small", changes.version(), horizon, "s", weight=30)
    cache.put("more", changes.version(), horizon, "m", weight=30)  # 120 > 100: drop "big"
    assert (cache.get("big"), cache.get("small"), cache.get("more")) == (None, "s", "m")
    cache.put("huge", changes.version(), horizon, "h", weight=101)  # never kept
    assert cache.get("huge") is None
    cache.put("small", changes.version(), horizon, "s2", weight=30)  # replaced, not added
    assert (cache.get("small"), cache.get("more")) == ("s2", "m")
