"""The Schedules page and ``/api/v1/schedules`` on SQLite and PostgreSQL: everyone sees
every schedule (cron in words, time zone, next and last run with its job); admins run
one now and turn it on or off, with CSRF on the forms, and both are audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts, sign_in

NAME = "reports.leadership_digest"


def _audit(runtime: Runtime) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    with runtime.database.session() as session:
        rows = session.scalars(
            select(Event).where(Event.object_type == "schedule").order_by(Event.id)
        ).all()
        return [(e.name, e.actor_label, e.changes) for e in rows]


def test_the_api_lists_changes_and_runs_schedules(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin, viewer = accounts.person(Role.admin), accounts.person(Role.viewer)
    listed = client.get("/api/v1/schedules", headers=accounts.bearer(viewer)).json()
    by_name = {s["name"]: s for s in listed["items"]}
    assert listed["count"] == len(listed["items"]) >= 5
    assert {"reports.weekly_review", "reports.voc_digest", NAME} <= set(by_name)
    digest = by_name[NAME]
    assert digest["cron"] == "0 9 * * 1" and digest["cron_text"] == "At 09:00 on Monday"
    assert digest["time_zone"] == runtime.settings.timezone and digest["enabled"] is True
    assert digest["next_run_at"] is not None and digest["last_job_id"] is None

    url = f"/api/v1/schedules/{NAME}"
    refused = client.patch(url, json={"enabled": False}, headers=accounts.bearer(viewer))
    assert refused.status_code == 403
    bad = client.patch(url, json={"cron": "61 * * * *"}, headers=accounts.bearer(admin))
    assert bad.status_code == 422 and "cron" in bad.text
    off = client.patch(url, json={"enabled": False}, headers=accounts.bearer(admin))
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert off.json()["next_run_at"] is None and off.json()["cron"] == "0 9 * * 1"

    assert client.post(f"{url}/run", headers=accounts.bearer(viewer)).status_code == 403
    started = client.post(f"{url}/run", headers=accounts.bearer(admin))
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    assert started.json()["job_url"] == f"/jobs/{job_id}"
    after = client.get(url, headers=accounts.bearer(viewer)).json()
    assert after["last_job_id"] == job_id and after["last_run_manual"] is True
    assert after["last_job_status"] in ("queued", "running", "succeeded")
    assert client.get("/api/v1/schedules/nope", headers=accounts.bearer(viewer)).status_code == 404
    names = [(n, changes) for n, _, changes in _audit(runtime)]
    assert names[0] == ("schedule.updated", {"enabled": {"before": True, "after": False}})
    assert names[1][0] == "schedule.run_by_hand"
    assert len(names) == 2  # the refused and the invalid changes left nothing


def _row(html: str, name: str) -> str:
    match = re.search(rf'<tr data-testid="schedule-row" data-name="{re.escape(name)}">(.*?)</tr>',
                      html, re.S)  # fmt: skip
    assert match, html
    return match.group(1)


def test_the_page_shows_every_schedule_and_admins_change_them(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.admin))
    page = client.get("/schedules")
    assert page.status_code == 200
    row = _row(page.text, NAME)
    assert "Leadership digest e-mail" in row and "At 09:00 on Monday" in row
    assert "<code>0 9 * * 1</code>" in row and runtime.settings.timezone in row
    assert "never" in row and f'action="/schedules/{NAME}/run"' in row
    assert 'href="/schedules"' in page.text  # in the Workspace menu

    no_csrf = client.post(f"/schedules/{NAME}/run", follow_redirects=False)
    assert no_csrf.status_code == 403
    ran = client.post(f"/schedules/{NAME}/run", data={"csrf_token": csrf}, follow_redirects=False)
    assert ran.status_code == 303 and ran.headers["location"] == "/schedules"
    row = _row(client.get("/schedules").text, NAME)
    job = re.search(r'<a href="/jobs/(\d+)">job #\1</a>', row)
    assert job and "run by hand" in row

    off = client.post(
        f"/schedules/{NAME}/enabled", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert off.status_code == 303
    row = _row(client.get("/schedules").text, NAME)
    assert "<td>off</td>" in row and "Turn on" in row
    client.post(f"/schedules/{NAME}/enabled", data={"csrf_token": csrf, "enabled": "true"})
    assert "<td>on</td>" in _row(client.get("/schedules").text, NAME)
    audited = [(n, who) for n, who, _ in _audit(runtime)]
    assert [n for n, _ in audited] == [
        "schedule.run_by_hand",
        "schedule.updated",
        "schedule.updated",
    ]
    assert all(who != "scheduler" for _, who in audited)


def test_viewers_see_the_page_without_buttons_and_cannot_post(
    client: TestClient, accounts: Accounts
) -> None:
    csrf = sign_in(client, accounts.person(Role.viewer))
    page = client.get("/schedules")
    assert page.status_code == 200 and NAME in page.text
    assert "Run now" not in page.text and "Turn off" not in page.text
    refused = client.post(
        f"/schedules/{NAME}/run", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_admins_change_when_a_schedule_runs_and_a_bad_cron_keeps_the_input(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.admin))
    referer = {"referer": str(client.base_url) + "/schedules"}
    client.get("/schedules")
    bad = client.post(
        f"/schedules/{NAME}/when",
        data={"csrf_token": csrf, "cron": "0 25 * * 1", "time_zone": "Europe/Paris"},
        headers=referer,
        follow_redirects=False,
    )
    assert bad.status_code == 422
    form = re.search(
        rf'<form method="post" action="/schedules/{NAME}/when".*?</form>', bad.text, re.S
    )
    assert form, bad.text
    assert 'value="0 25 * * 1"' in form.group(0) and 'aria-invalid="true"' in form.group(0)
    assert 'value="Europe/Paris"' in form.group(0)
    zone = client.post(
        f"/schedules/{NAME}/when",
        data={"csrf_token": csrf, "cron": "0 8 * * 1", "time_zone": "Mars/Olympus"},
        headers=referer,
        follow_redirects=False,
    )
    assert zone.status_code == 422 and "Mars/Olympus" in zone.text
    assert _audit(runtime) == []  # refused changes leave nothing

    done = client.post(
        f"/schedules/{NAME}/when",
        data={"csrf_token": csrf, "cron": "30 7 * * 1-5", "time_zone": "Europe/Paris"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    row = _row(client.get("/schedules").text, NAME)
    assert "<code>30 7 * * 1-5</code>" in row and "Europe/Paris" in row
    [(name, _, changes)] = _audit(runtime)
    assert name == "schedule.updated"
    assert changes["cron"] == {"before": "0 9 * * 1", "after": "30 7 * * 1-5"}

    viewer_csrf = sign_in(client, accounts.person(Role.viewer))
    refused = client.post(
        f"/schedules/{NAME}/when",
        data={"csrf_token": viewer_csrf, "cron": "0 1 * * *"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
