"""Pilothouse's own use on SQLite and PostgreSQL: GET requests (reading sessions, where
any other write is an error in the test suite) record one row per person and day,
written aside once and then skipped by the per-process cache; an existing row (another
worker wrote it) is left alone; the figure lists people by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.ops.health.activity import active_days, record_activity
from pilothouse.ops.health.models import ActivityDay
from tests.support.accounts import Accounts


def test_reads_record_one_row_per_person_and_day(
    client: TestClient, accounts: Accounts, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOTHOUSE_TEST_STRICT_READS", "1")  # any other write in a GET fails
    viewer, editor = accounts.person(Role.viewer), accounts.person(Role.editor)
    for person in (viewer, viewer, viewer, editor):
        response = client.get("/api/v1/ops/health", headers=accounts.bearer(person))
        assert response.status_code == 200
    with runtime.database.session(reading=True) as session:
        rows = {(d.user_id, d.role) for d in active_days(session)}
        assert rows == {(viewer.id, "viewer"), (editor.id, "editor")}
        assert len(active_days(session)) == 2
        wau = client.get("/api/v1/ops/health/wau", headers=accounts.bearer(viewer)).json()
        assert wau["n"] == 2 and wau["value"] == 2.0
        assert {i["id"] for i in wau["items"]} == {str(viewer.id), str(editor.id)}
        assert all(i["name"] and not i["deleted"] for i in wau["items"])


def test_the_cache_skips_and_an_existing_row_is_kept(accounts: Accounts, runtime: Runtime) -> None:
    person = accounts.person(Role.editor)
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with runtime.database.session() as session:
        session.add(ActivityDay(user_id=person.id, day=now.date(), role="admin"))
    with runtime.database.session(reading=True) as session:
        # another worker wrote today's row: the insert leaves it, no error
        assert record_activity(runtime.database, session, person.id, "editor", "UTC", now)
        assert not record_activity(runtime.database, session, person.id, "editor", "UTC", now)
        roles = session.scalars(select(ActivityDay.role).where(ActivityDay.user_id == person.id))
        assert list(roles) == ["admin"]
    later = datetime(2026, 3, 3, 9, tzinfo=UTC)
    with runtime.database.session(reading=True) as session:
        assert record_activity(runtime.database, session, person.id, "editor", "UTC", later)
    with runtime.database.session(reading=True) as session:
        days = [d.day.isoformat() for d in active_days(session) if d.user_id == person.id]
        assert days == ["2026-03-02", "2026-03-03"]


def test_a_new_person_with_a_reused_id_is_not_taken_for_the_old_one(
    accounts: Accounts, runtime: Runtime
) -> None:
    person = accounts.person(Role.viewer)
    now = datetime(2026, 3, 9, 9, tzinfo=UTC)
    first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    with runtime.database.session(reading=True) as session:
        assert record_activity(
            runtime.database, session, person.id, "viewer", "UTC", now, user_created=first
        )
        with runtime.database.session() as writer:  # the row goes, the cache stays
            writer.query(ActivityDay).delete()
        assert record_activity(
            runtime.database, session, person.id, "viewer", "UTC", now, user_created=second
        )
    with runtime.database.session(reading=True) as session:
        assert [d.day.isoformat() for d in active_days(session)] == ["2026-03-09"]
