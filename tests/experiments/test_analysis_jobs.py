"""Analyses as background jobs: ``POST /analyze?background=true`` queues an
``experiments.analyze`` job whose snapshot is the same as a direct run's; a failed run
fails the job and keeps its failed snapshot; a design that cannot be analysed is a 422
before anything is queued."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.jobs import wait_for_job
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.experiments.analysis.test_analysis_service import EXPOSURE, _create, shop  # noqa: F401
from tests.support.accounts import Accounts


@pytest.fixture
def editor(accounts: Accounts) -> dict[str, str]:
    return accounts.bearer(accounts.person(Role.editor))


def _queue(client: TestClient, key: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/experiments/{key}/analyze", params={"background": "true"}, headers=headers
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["kind"] == "experiments.analyze" and job["payload"] == {"experiment": key}
    return dict(job)


@pytest.mark.usefixtures("shop")
def test_background_analysis_stores_the_same_snapshot(
    client: TestClient, runtime: Runtime, editor: dict[str, str]
) -> None:
    key = _create(runtime)
    job = _queue(client, key, editor)
    finished = wait_for_job(runtime, job["id"], timeout=60)
    assert finished.status.value == "succeeded", finished.error
    assert finished.result is not None and finished.result["succeeded"] is True
    latest = client.get(f"/api/v1/experiments/{key}/results", headers=editor).json()
    assert latest["id"] == finished.result["snapshot_id"]
    direct = client.post(f"/api/v1/experiments/{key}/analyze", headers=editor).json()
    background_metrics = latest["results"]["metrics"]

    # DuckDB adds doubles in parallel, in no fixed order: sums may differ in the last bit.
    def flat(metrics: list[dict]) -> dict[tuple[int, str, str], float]:
        return {
            (i, variation, name): value
            for i, metric in enumerate(metrics)
            for variation, stats in metric["statistics"].items()
            for name, value in stats.items()
        }

    assert flat(background_metrics) == pytest.approx(flat(direct["results"]["metrics"]), rel=1e-12)
    assert latest["requested_by_label"] == direct["requested_by_label"]


@pytest.mark.usefixtures("shop")
def test_a_failed_background_run_fails_the_job_and_keeps_its_snapshot(
    client: TestClient, runtime: Runtime, editor: dict[str, str]
) -> None:
    key = _create(runtime, exposure={**EXPOSURE, "event": "Never Happened"})
    job = _queue(client, key, editor)
    finished = wait_for_job(runtime, job["id"], timeout=60)
    assert finished.status.value == "failed"
    assert "no exposures" in (finished.error or "")
    snapshots = client.get(f"/api/v1/experiments/{key}/snapshots", headers=editor).json()
    assert [s["succeeded"] for s in snapshots["items"]] == [False]


def test_background_refuses_what_cannot_be_analysed_and_viewers(
    client: TestClient, runtime: Runtime, editor: dict[str, str], accounts: Accounts
) -> None:
    key = _create(runtime, exposure={})
    response = client.post(
        f"/api/v1/experiments/{key}/analyze", params={"background": "true"}, headers=editor
    )
    assert response.status_code == 422
    assert client.get("/api/v1/jobs", headers=editor).json()["items"] == []
    viewer = accounts.bearer(accounts.person(Role.viewer))
    refused = client.post(
        f"/api/v1/experiments/{key}/analyze", params={"background": "true"}, headers=viewer
    )
    assert refused.status_code == 403
