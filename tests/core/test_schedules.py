"""Schedules: cron slots in a time zone, each slot run once, restarts, by-hand runs, CLI.

Slots are checked against hand-worked calendars (daylight saving time included); the
"never twice" promise against concurrent ticks from separate connections, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core import schedules
from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.job_models import Job
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedule_models import Schedule, ScheduleRun

BERLIN = ZoneInfo("Europe/Berlin")
ADMIN = Actor(None, "test", Role.admin)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_cron_expressions_are_checked_naming_the_field() -> None:
    assert schedules.check_cron("  0  9 * *   1 ") == "0 9 * * 1"
    with pytest.raises(ValidationFailed) as bad_minute:
        schedules.check_cron("61 * * * *")
    assert bad_minute.value.errors[0].field == "cron"
    with pytest.raises(ValidationFailed, match="five fields"):
        schedules.check_cron("0 9 * *")


def test_slots_follow_the_time_zone_across_daylight_saving_time() -> None:
    # Mondays 9:00 in Berlin: 08:00 UTC in winter, 07:00 UTC after the 29 March 2026 change.
    slot, skipped = schedules.due_slot("0 9 * * 1", BERLIN, _utc(2026, 3, 20), _utc(2026, 3, 24))
    assert (slot, skipped) == (_utc(2026, 3, 23, 8), 0)
    slot, _ = schedules.due_slot("0 9 * * 1", BERLIN, _utc(2026, 3, 24), _utc(2026, 4, 1))
    assert slot == _utc(2026, 3, 30, 7)


def test_missed_slots_are_coalesced_into_the_newest() -> None:
    slot, skipped = schedules.due_slot("0 7 * * *", BERLIN, _utc(2026, 1, 1), _utc(2026, 1, 5, 12))
    assert slot == _utc(2026, 1, 5, 6) and skipped == 4  # 1st to 4th folded into the 5th
    with pytest.raises(LookupError):
        schedules.due_slot("0 7 * * *", BERLIN, _utc(2026, 1, 5, 6, 30), _utc(2026, 1, 5, 12))


def _schedule(runtime: Runtime, cron: str = "*/5 * * * *") -> None:
    with runtime.database.session() as session:
        session.add(
            Schedule(
                name="test.noop",
                title="Test no-op",
                cron=cron,
                job_kind="core.noop",
                payload={"echo": 1},
                created_at=_utc(2026, 6, 1, 10, 2),
            )
        )


def _runs(runtime: Runtime) -> list[ScheduleRun]:
    with runtime.database.session() as session:
        schedule_id = session.scalar(select(Schedule.id).where(Schedule.name == "test.noop"))
        return list(
            session.scalars(select(ScheduleRun).where(ScheduleRun.schedule_id == schedule_id))
        )


def test_each_slot_runs_once_across_ticks_and_restarts(runtime: Runtime) -> None:
    _schedule(runtime)
    assert schedules.tick(runtime, _utc(2026, 6, 1, 10, 4)) == []  # 10:05 not due yet
    first = schedules.tick(runtime, _utc(2026, 6, 1, 10, 6))
    assert len(first) == 1
    assert schedules.tick(runtime, _utc(2026, 6, 1, 10, 7)) == []  # same slot again: nothing
    # A "restart" is nothing but a later tick reading the same table: 10:10 to 10:20 were
    # missed, the newest one runs once and the others are counted.
    later = schedules.tick(runtime, _utc(2026, 6, 1, 10, 21))
    assert len(later) == 1
    runs = sorted(_runs(runtime), key=lambda run: run.slot_at)
    assert [(run.slot_at, run.skipped) for run in runs] == [
        (_utc(2026, 6, 1, 10, 5), 0),
        (_utc(2026, 6, 1, 10, 20), 2),
    ]
    with runtime.database.session() as session:
        job = session.get(Job, later[0])
        assert job is not None and job.kind == "core.noop"
        assert job.payload["schedule"] == "test.noop" and job.payload["echo"] == 1


def test_concurrent_ticks_start_a_slot_once(runtime: Runtime) -> None:
    _schedule(runtime)
    started: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        started.extend(schedules.tick(runtime, _utc(2026, 6, 1, 10, 6)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(started) == 1
    assert len(_runs(runtime)) == 1


def test_built_in_schedules_are_listed_and_people_own_them(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        names = {view.name for view in schedules.list_schedules(runtime, session)}
    assert {"notifications.daily_digest", "metrics.anomaly_check"} <= names
    with runtime.database.session() as session:
        schedules.update_schedule(
            session,
            ADMIN,
            "notifications.daily_digest",
            cron="30 6 * * 1-5",
            time_zone="Asia/Tokyo",
        )
    with runtime.database.session() as session:
        view = next(
            v
            for v in schedules.list_schedules(runtime, session)
            if v.name == "notifications.daily_digest"
        )
        assert (view.cron, view.time_zone) == ("30 6 * * 1-5", "Asia/Tokyo")
        assert view.next_slot_at is not None
        assert view.next_slot_at.astimezone(ZoneInfo("Asia/Tokyo")).hour == 6
        event = session.scalar(select(Event).where(Event.object_type == "schedule"))
        assert event is not None and event.changes["cron"]["after"] == "30 6 * * 1-5"
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as bad_zone:
        schedules.update_schedule(
            session, ADMIN, "notifications.daily_digest", time_zone="Mars/Base"
        )
    assert bad_zone.value.errors[0].field == "time_zone"
    viewer = Actor(None, "viewer", Role.viewer)
    with runtime.database.session() as session, pytest.raises(Exception, match="admin"):
        schedules.update_schedule(session, viewer, "notifications.daily_digest", enabled=False)


def test_cli_lists_and_runs_a_schedule_now(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    settings = runtime.settings
    assert settings.secret_key is not None
    monkeypatch.setenv("PILOTHOUSE_HOME", str(settings.home))
    monkeypatch.setenv("PILOTHOUSE_DATABASE_URL", runtime.database.url)
    monkeypatch.setenv("PILOTHOUSE_SECRET_KEY", settings.secret_key.get_secret_value())
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["schedules", "list", "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    assert "notifications.daily_digest" in listed.stdout and "0 7 * * *" in listed.stdout
    ran = runner.invoke(cli_app, ["schedules", "run", "notifications.daily_digest", "--now"])
    assert ran.exit_code == 0, (ran.output, ran.exception)
    assert "succeeded" in ran.stdout
    refused = runner.invoke(
        cli_app, ["schedules", "set", "notifications.daily_digest", "--cron", "7"]
    )
    assert refused.exit_code == 1 and "five fields" in refused.output
    unknown = runner.invoke(cli_app, ["schedules", "run", "no.such", "--now"])
    assert unknown.exit_code != 0 and "no schedule named" in unknown.output
    with runtime.database.session() as session:
        manual = session.scalar(
            select(func.count()).select_from(ScheduleRun).where(ScheduleRun.manual)
        )
        assert manual == 1
