"""Jobs over HTTP: the app's lifespan consumer, the API per role, the pages, a served server.

The ``client`` fixture's app runs with the default ``jobs_mode=inprocess``, so its
lifespan starts huey's consumer threads; tests that need jobs to stay queued build
an app in ``worker`` mode instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pilothouse.core import jobs
from pilothouse.core.actor import Actor
from pilothouse.core.job_models import JobStatus
from pilothouse.core.models import Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.web.app import create_app
from tests.support.accounts import Accounts, Person, csrf_of
from tests.support.accounts import sign_in as sign_in_client
from tests.support.browser import Watched, sign_in
from tests.support.served_app import ServedApp

TIMEOUT = 20.0


@jobs.job_handler("tests.broken")
def _broken(_ctx: jobs.JobContext) -> dict[str, Any]:
    """Always fails"""
    raise RuntimeError("boom")


def actor_of(runtime: Runtime, person: Person) -> Actor:
    with runtime.database.session() as session:
        user = session.get(User, person.id)
        assert user is not None
        return Actor.for_user(user)


def consumer_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(("Worker-", "Scheduler"))}


@pytest.fixture
def queued_app(runtime: Runtime) -> Iterator[tuple[Runtime, TestClient]]:
    """An app whose jobs wait in the queue (``worker`` mode: the web server consumes nothing)."""
    worker_mode = Runtime(
        settings=runtime.settings.model_copy(update={"jobs_mode": "worker"}),
        database=runtime.database,
    )
    with TestClient(create_app(runtime=worker_mode, migrate=False)) as client:
        yield worker_mode, client


def test_the_app_lifespan_runs_a_consumer_and_stops_it(app: FastAPI, runtime: Runtime) -> None:
    before = consumer_threads()
    editor = actor_of(runtime, Accounts(runtime).person(Role.editor))
    with TestClient(app) as client:
        assert len(consumer_threads() - before) == runtime.settings.jobs_workers + 1
        job = jobs.submit_job(runtime, editor, "core.sleep", payload={"seconds": 0, "steps": 3})
        done = jobs.wait_for_job(runtime, job.id, timeout=TIMEOUT)
        assert done.status is JobStatus.succeeded and done.worker == jobs.worker_id()
        assert client.get("/healthz").status_code == 200
    assert consumer_threads() - before == set()


def test_api_lists_and_shows_jobs_to_every_signed_in_person(
    queued_app: tuple[Runtime, TestClient], accounts: Accounts
) -> None:
    runtime, client = queued_app
    editor = actor_of(runtime, accounts.person(Role.editor))
    queued = jobs.submit_job(runtime, editor, "core.noop", title="Import tickets")
    failed = jobs.submit_job(runtime, editor, "nobody.knows", run_now=True)
    headers = accounts.bearer(accounts.person(Role.viewer))

    listed = client.get("/api/v1/jobs", headers=headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [j["id"] for j in items] == [failed.id, queued.id]  # newest first
    first = items[1]
    assert first["title"] == "Import tickets" and first["status"] == "queued"
    assert first["requested_by"] == editor.label and first["percent"] is None
    assert {"progress_done", "progress_total", "error", "result", "created_at"} <= set(first)

    page = client.get("/api/v1/jobs", params={"limit": 1}, headers=headers).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get("/api/v1/jobs", params={"cursor": page["next_cursor"]}, headers=headers)
    assert [j["id"] for j in rest.json()["items"]] == [queued.id]
    by_status = client.get("/api/v1/jobs", params={"status": "failed"}, headers=headers).json()
    assert [j["id"] for j in by_status["items"]] == [failed.id]
    by_kind = client.get("/api/v1/jobs", params={"kind": "core.noop"}, headers=headers).json()
    assert [j["id"] for j in by_kind["items"]] == [queued.id]
    assert client.get("/api/v1/jobs", params={"status": "nope"}, headers=headers).status_code == 422

    one = client.get(f"/api/v1/jobs/{failed.id}", headers=headers).json()
    assert one["status"] == "failed" and "no handler" in one["error"]
    missing = client.get("/api/v1/jobs/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_api_retry_and_cancel_follow_roles(
    queued_app: tuple[Runtime, TestClient], accounts: Accounts
) -> None:
    runtime, client = queued_app
    owner = accounts.person(Role.editor)
    job = jobs.submit_job(runtime, actor_of(runtime, owner), "tests.broken", run_now=True)
    assert job.status is JobStatus.failed

    viewer = client.post(f"/api/v1/jobs/{job.id}/retry", headers=accounts.bearer(accounts.person()))
    assert viewer.status_code == 403
    stranger = accounts.bearer(accounts.person(Role.editor))
    refused = client.post(f"/api/v1/jobs/{job.id}/retry", headers=stranger)
    assert refused.status_code == 403 and "person who started" in refused.json()["detail"]

    retried = client.post(f"/api/v1/jobs/{job.id}/retry", headers=accounts.bearer(owner))
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "queued" and retried.json()["attempts"] == 2
    again = client.post(f"/api/v1/jobs/{job.id}/retry", headers=accounts.bearer(owner))
    assert again.status_code == 409

    admin = accounts.bearer(accounts.person(Role.admin))
    cancelled = client.post(f"/api/v1/jobs/{job.id}/cancel", headers=admin)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/jobs/{job.id}/cancel", headers=admin).status_code == 409
    audit = client.get("/api/v1/audit", params={"object_type": "job"}, headers=admin).json()
    assert [e["name"] for e in audit["items"]][:3] == [
        "job.cancelled",
        "job.retried",
        "job.failed",
    ]


def test_pages_list_jobs_and_poll_a_running_one(
    queued_app: tuple[Runtime, TestClient], accounts: Accounts
) -> None:
    runtime, client = queued_app
    owner = accounts.person(Role.editor)
    actor = actor_of(runtime, owner)
    waiting = jobs.submit_job(runtime, actor, "core.noop", title="Synthesise feedback")
    failed = jobs.submit_job(runtime, actor, "tests.broken", title="Broken import", run_now=True)
    sign_in_client(client, owner)

    listing = client.get("/jobs")
    assert listing.status_code == 200
    assert listing.text.count('data-testid="job-row"') == 2
    assert "Synthesise feedback" in listing.text and "<progress" in listing.text
    assert 'hx-trigger="every 1s"' in listing.text  # an unfinished job keeps the list fresh
    only_failed = client.get("/jobs", params={"status": "failed"}).text
    assert "Broken import" in only_failed and "Synthesise feedback" not in only_failed

    page = client.get(f"/jobs/{waiting.id}")
    assert "<html" in page.text and 'hx-get="/jobs/' in page.text
    fragment = client.get(f"/jobs/{waiting.id}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="job-status"' in fragment.text
    assert 'hx-trigger="every 1s"' in fragment.text
    assert 'data-testid="job-cancel"' in fragment.text

    done = client.get(f"/jobs/{failed.id}", headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in done  # finished: polling stops
    assert "RuntimeError: boom" in done and 'data-testid="job-retry"' in done
    posted = client.post(
        f"/jobs/{failed.id}/retry", data={"csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert posted.status_code == 303 and posted.headers["location"] == f"/jobs/{failed.id}"
    assert jobs.get_job(runtime, failed.id).attempts == 2


def test_viewers_see_jobs_without_buttons(
    queued_app: tuple[Runtime, TestClient], accounts: Accounts
) -> None:
    runtime, client = queued_app
    editor = actor_of(runtime, accounts.person(Role.editor))
    job = jobs.submit_job(runtime, editor, "tests.broken", run_now=True)
    sign_in_client(client, accounts.person(Role.viewer))
    page = client.get(f"/jobs/{job.id}").text
    assert "RuntimeError: boom" in page
    assert "job-retry" not in page and "job-cancel" not in page
    assert '<a href="/jobs"' in page  # the menu line


def test_served_server_runs_jobs_submitted_by_another_process(served: ServedApp) -> None:
    """``pilothouse serve`` consumes the SQLite queue file that other processes write to."""
    editor = actor_of(served.runtime, Accounts(served.runtime).person(Role.editor))
    job = jobs.submit_job(served.runtime, editor, "core.sleep", payload={"seconds": 0, "steps": 2})
    done = jobs.wait_for_job(served.runtime, job.id, timeout=TIMEOUT)
    assert done.status is JobStatus.succeeded, done.error
    assert done.worker != jobs.worker_id()  # the server's process ran it, not this one
    headers: dict[str, Any] = Accounts(served.runtime).bearer(
        Accounts(served.runtime).person(Role.viewer)
    )
    shown = httpx.get(f"{served.base_url}/api/v1/jobs/{job.id}", headers=headers).json()
    assert shown["status"] == "succeeded" and shown["progress_done"] == 2
    assert "Traceback" not in served.log_path.read_text()


@pytest.mark.browser
def test_job_page_follows_a_running_job_and_its_cancel_without_reloading(
    browser: object, served: ServedApp
) -> None:
    """Real Chromium: the page polls while the job runs and stops once it has finished."""
    from playwright.sync_api import expect

    editor = Accounts(served.runtime).person(Role.editor)
    job = jobs.submit_job(
        served.runtime,
        actor_of(served.runtime, editor),
        "core.sleep",
        payload={"seconds": 120, "steps": 240},
        title="Synthesise feedback",
    )
    watched = Watched(browser, served)
    page = watched.page
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, editor)
        page.get_by_test_id("workspace-menu").locator("summary").click()
        page.get_by_role("link", name="Jobs").click()
        page.get_by_role("link", name="Synthesise feedback").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Synthesise feedback")
        status = page.get_by_test_id("job-status")
        expect(status).to_have_text("Running", timeout=TIMEOUT * 1000)
        expect(page.get_by_test_id("job-progress")).to_have_attribute("max", "100")
        page.get_by_test_id("job-cancel").click()
        expect(page.locator(".flash")).to_contain_text("Synthesise feedback")
        expect(status).to_have_text("Cancelled", timeout=TIMEOUT * 1000)  # by polling
        expect(page.locator("#job-status")).not_to_have_attribute("hx-trigger", re.compile("."))
        expect(page.get_by_test_id("job-retry")).to_be_visible()
    finally:
        watched.close()
    assert jobs.get_job(served.runtime, job.id).status is JobStatus.cancelled
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign
