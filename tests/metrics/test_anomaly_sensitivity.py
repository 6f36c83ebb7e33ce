"""The daily anomaly check's sensitivity is a workspace setting admins choose, and the
alerts it records for automation rules follow it.

A certified count metric gets 70 days of events in the embedded store (real DuckDB):
a weekly pattern with noise, and a last day high enough that the model at ``high``
sensitivity flags it while ``low`` does not (checked first, with the pure model). The
daily job then records ``metric.anomaly_detected`` for that day only once the setting
says ``high``. SQLite and PostgreSQL (the setting and the event are app-database rows).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.core.workspace import get_setting, list_settings, update_settings
from pilothouse.metrics.anomaly import AnomalyConfig, check_series
from pilothouse.metrics.anomaly_job import (
    ANOMALY_EVENT,
    SENSITIVITY_SETTING,
    check_certified_metrics,
)
from pilothouse.metrics.segment import TrackedEvent
from tests.support.accounts import Accounts, sign_in

CLI = Actor.command_line()
TODAY = dt.date(2026, 11, 20)
DAYS = 70
CATALOG = """
metrics:
  - {name: signups, description: Sign-ups., owner: pm@example.com, product_area: growth,
     type: count, event: Signed Up, certified: true}
"""


def _flagged(days: list[dt.date], values: list[float], sensitivity: str) -> bool:
    checks = check_series(days, values, AnomalyConfig(sensitivity=sensitivity))  # type: ignore[arg-type]
    return checks[-1].day == days[-1] and checks[-1].anomalous


def _series() -> tuple[list[dt.date], list[float]]:
    """Daily counts with a weekday pattern and noise; the last day is the smallest rise
    that ``high`` flags and ``low`` does not."""
    rng = np.random.default_rng(11)
    days = [TODAY - dt.timedelta(days=DAYS - i) for i in range(DAYS)]
    values = [float(rng.poisson(60 if d.weekday() < 5 else 35)) for d in days]
    base = values[-1]
    for extra in range(1, 200):
        values[-1] = base + extra
        if _flagged(days, values, "high"):
            break
    assert _flagged(days, values, "high") and not _flagged(days, values, "low")
    return days, values


def _load(runtime: Runtime, days: list[dt.date], values: list[float]) -> None:
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "signups.yaml").write_text(CATALOG)
    events = [
        TrackedEvent(
            f"s{n}-{i}",
            "Signed Up",
            f"user-{n}-{i}",
            None,
            None,
            dt.datetime.combine(day, dt.time(12), dt.UTC) + dt.timedelta(seconds=i),
            {},
        )
        for n, (day, count) in enumerate(zip(days, values, strict=True))
        for i in range(int(count))
    ]
    runtime.event_store.write(events=events, received_at=dt.datetime.now(dt.UTC))


def _recorded(runtime: Runtime) -> list[str]:
    with runtime.database.session() as session:
        rows = session.scalars(select(Event).where(Event.name == ANOMALY_EVENT))
        return [f"{e.object_id} {e.changes['day']['after']}" for e in rows]


def test_the_workspace_setting_decides_what_the_daily_check_flags(runtime: Runtime) -> None:
    days, values = _series()
    _load(runtime, days, values)
    with runtime.database.session() as session:
        assert get_setting(session, SENSITIVITY_SETTING) == "medium"
        [spec] = [s for s in list_settings(session) if s.key == SENSITIVITY_SETTING]
        assert spec.choices == ("low", "medium", "high")
        update_settings(session, CLI, {SENSITIVITY_SETTING: "low"})

    quiet = check_certified_metrics(runtime, today=TODAY)
    assert quiet["sensitivity"] == "low" and quiet["checked"] == 1, quiet
    assert quiet["anomalies"] == []
    assert _recorded(runtime) == []

    with runtime.database.session() as session:
        update_settings(session, CLI, {SENSITIVITY_SETTING: "high"})
    found = check_certified_metrics(runtime, today=TODAY)
    last = days[-1].isoformat()
    assert found["sensitivity"] == "high"
    assert found["anomalies"] == [{"metric": "signups", "day": last, "direction": "up"}]
    assert _recorded(runtime) == [f"signups {last}"]
    # A run by hand may still ask for another sensitivity than the workspace's.
    assert check_certified_metrics(runtime, today=TODAY, sensitivity="low")["anomalies"] == []


def test_an_unknown_sensitivity_is_refused_naming_the_setting(runtime: Runtime) -> None:
    with runtime.database.session() as session, pytest.raises(ValidationFailed) as refused:
        update_settings(session, CLI, {SENSITIVITY_SETTING: "extreme"})
    [problem] = refused.value.errors
    assert problem.field == SENSITIVITY_SETTING and "low, medium, high" in problem.message
    with runtime.database.session() as session:
        assert get_setting(session, SENSITIVITY_SETTING) == "medium"


def test_admins_choose_it_on_the_settings_page_and_the_api_lists_the_choices(
    client: TestClient, accounts: Accounts
) -> None:
    admin = accounts.person(Role.admin)
    csrf = sign_in(client, admin)
    page = client.get("/admin/settings").text
    assert f'<select name="{SENSITIVITY_SETTING}">' in page
    assert '<option value="medium" selected>' in page
    saved = client.post("/admin/settings", data={"csrf_token": csrf, SENSITIVITY_SETTING: "high"})
    assert saved.status_code == 200
    assert '<option value="high" selected>' in client.get("/admin/settings").text
    refused = client.post(
        "/admin/settings",
        data={"csrf_token": csrf, SENSITIVITY_SETTING: "extreme"},
        headers={"referer": "http://testserver/admin/settings"},
    )  # back to the form, with the error naming the setting and the choices
    assert refused.url.path == "/admin/settings" and "low, medium, high" in refused.text
    listed = client.get("/api/v1/workspace/settings", headers=accounts.bearer(admin)).json()
    assert listed["values"][SENSITIVITY_SETTING] == "high"
    [item] = [i for i in listed["items"] if i["key"] == SENSITIVITY_SETTING]
    assert item["choices"] == ["low", "medium", "high"]
