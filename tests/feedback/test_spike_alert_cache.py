"""The home page's spike alerts are recomputed whenever feedback, themes or membership change.

``spike_alerts`` keeps its answer per feedback version; these tests make sure every
kind of change moves the version, so the cache never shows a stale answer beyond the
``max_age_seconds`` its caller allows (the home page: 30 s by default).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import insights, insights_queries, service, themes
from pilothouse.feedback.insights_queries import _feedback_version, spike_alerts


def _admin() -> Actor:
    return Actor(None, "system", Role.admin)


def test_every_kind_of_feedback_change_moves_the_version(runtime: Runtime) -> None:
    actor = _admin()
    seen = []
    with runtime.database.session() as session:
        seen.append(_feedback_version(session))
        item = service.create_feedback(session, actor, {"text": "Exports time out"})
        seen.append(_feedback_version(session))
        theme_id = themes.create_theme(session, actor, label="Exports")
        seen.append(_feedback_version(session))
        themes.move_items(session, actor, [item.id], theme_id)
        seen.append(_feedback_version(session))
        themes.move_items(session, actor, [item.id], None)
        seen.append(_feedback_version(session))
        themes.rename_theme(session, actor, theme_id, "CSV exports")
        seen.append(_feedback_version(session))
    assert len(set(seen)) == len(seen), seen


def test_spike_alerts_answer_follows_new_feedback(runtime: Runtime) -> None:
    actor = _admin()
    with runtime.database.session() as session:
        assert spike_alerts(session) == []  # no themes yet
        theme_id = themes.create_theme(session, actor, label="Card declined")
        items = [
            service.create_feedback(session, actor, {"text": f"My card was declined ({n})"})
            for n in range(30)
        ]
        themes.move_items(session, actor, [i.id for i in items], theme_id)
        spiking = spike_alerts(session)
    # Thirty messages this week against an empty history is a spike; had the empty
    # answer above been served from the cache, this list would be empty.
    assert [s.theme_id for s in spiking] == [theme_id]


def test_a_kept_answer_is_shown_within_its_max_age_and_checked_after_it(
    runtime: Runtime, monkeypatch
) -> None:
    """``max_age_seconds`` (PILOTHOUSE_SPIKE_ALERTS_MAX_AGE_SECONDS) trades freshness for
    a statement per view: within it the kept answer stands, after it the version is read."""
    actor = _admin()
    clock = [1000.0]
    monkeypatch.setattr(insights_queries, "_clock", lambda: clock[0])
    monkeypatch.setattr(insights_queries, "_SPIKES_KEPT", {})  # not an earlier test's
    with runtime.database.session() as session:
        assert spike_alerts(session, max_age_seconds=30) == []
        theme_id = themes.create_theme(session, actor, label="Card declined")
        items = [
            service.create_feedback(session, actor, {"text": f"My card was declined ({n})"})
            for n in range(30)
        ]
        themes.move_items(session, actor, [i.id for i in items], theme_id)
        clock[0] += 29
        assert spike_alerts(session, max_age_seconds=30) == []  # kept: 29 s old
        assert [s.theme_id for s in spike_alerts(session)] == [theme_id]  # 0: always checks
        clock[0] += 31
        assert [s.theme_id for s in spike_alerts(session, max_age_seconds=30)] == [theme_id]


def test_weekly_counts_made_in_sql_match_counting_by_hand(runtime: Runtime) -> None:
    """The database's per-week, per-theme counts equal a plain count of the same moments.

    Moments fall on week edges (Monday 00:00 UTC exactly, a microsecond before) and
    outside the window on both sides, written in several time zones.
    """
    actor = _admin()
    rng = random.Random(7)
    as_of = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
    weeks = insights.series_weeks(as_of)
    first, end = weeks[0], weeks[-1] + timedelta(weeks=1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    stop = datetime(end.year, end.month, end.day, tzinfo=UTC)
    edges = [start, start - timedelta(microseconds=1), stop, stop - timedelta(microseconds=1)]
    expected: dict[int, Counter[date]] = {}
    accounts: dict[int, set[str]] = {}
    with runtime.database.session() as session:
        theme_ids = [themes.create_theme(session, actor, label=f"Theme {n}") for n in range(3)]
        accounts_service.merge_tracked(
            session, {n: {"name": n} for n in ("Acme", "Globex", "Initech")}, {}
        )
        for n in range(240):
            moment = (
                edges[n]
                if n < len(edges)
                else start
                + timedelta(
                    seconds=rng.uniform(-20 * 86400, (stop - start).total_seconds() + 20 * 86400)
                )
            )
            zone = timezone(timedelta(hours=rng.choice([-8, 0, 5.5])))
            account = rng.choice(["Acme", "Globex", "Initech", None])
            values = {"text": f"note {n}", "created_at": moment.astimezone(zone).isoformat()}
            if account:
                values["account"] = account
            item = service.create_feedback(session, actor, values)
            theme_id = theme_ids[n % 3]
            themes.move_items(session, actor, [item.id], theme_id)
            if start <= moment < stop:
                expected.setdefault(theme_id, Counter())[insights.week_start(moment)] += 1
                if account:
                    accounts.setdefault(theme_id, set()).add(account)
        weekly, customers = insights_queries._weekly_theme_counts(session, weeks)
    assert weekly == {t: [expected[t][w] for w in weeks] for t in expected}
    assert customers == {t: len(accounts.get(t, set())) for t in expected}
    assert sum(sum(v) for v in weekly.values()) < 240  # some moments fell outside
