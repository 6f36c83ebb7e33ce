"""Themes over HTTP (roles, shapes, CSV) and the CLI (synthesize with progress, themes, export)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.feedback.themes.conftest import CLI, load_corpus
from tests.support.accounts import Accounts
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core import jobs
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import themes
from pilothouse.feedback.synthesis_service import synthesize_feedback

API = "/api/v1/feedback"


def test_theme_api_roles_and_changes(
    client: TestClient, accounts: Accounts, runtime: Runtime, corpus
) -> None:
    editor = accounts.bearer(accounts.person(Role.editor))
    viewer = accounts.bearer(accounts.person(Role.viewer))
    tiny = client.post(f"{API}/synthesize?wait=true", headers=editor)
    assert tiny.status_code == 200 and tiny.json()["report"]["status"] == "empty"
    assert "corpus too small (0 items" in tiny.json()["report"]["message"]
    load_corpus(runtime, corpus)
    assert client.post(f"{API}/synthesize?wait=true", headers=viewer).status_code == 403
    ran = client.post(f"{API}/synthesize?wait=true", headers=editor)
    assert ran.status_code == 200 and ran.json()["report"]["themes_created"] >= 4, ran.text
    assert client.get(f"{API}/themes").status_code == 401
    listed = client.get(f"{API}/themes", headers=viewer).json()
    first = listed["items"][0]
    assert listed["count"] == len(listed["items"]) and first["item_count"] >= 20
    assert set(first) >= {"id", "label", "keywords", "summary", "customer_count", "arr_cents"}
    detail = client.get(f"{API}/themes/{first['id']}", headers=viewer).json()
    assert len(detail["quotes"]) == 3 and len(detail["item_ids"]) == first["item_count"]
    url = f"{API}/themes/{first['id']}"
    assert client.patch(url, json={"label": "x"}, headers=viewer).status_code == 403
    changed = client.patch(url, json={"label": "Cards", "hidden": True}, headers=editor)
    assert changed.status_code == 200 and changed.json()["label"] == "Cards"
    shown = client.get(f"{API}/themes", headers=viewer).json()["items"]
    assert first["id"] not in {t["id"] for t in shown}
    every = client.get(f"{API}/themes?include_hidden=true&format=csv", headers=viewer)
    rows = list(csv.DictReader(io.StringIO(every.text)))
    assert every.headers["content-type"].startswith("text/csv")
    assert {"Cards"} <= {r["label"] for r in rows} and rows[0]["item_count"]
    split = client.post(
        f"{url}/split", json={"item_ids": detail["item_ids"][:2], "label": "Two"}, headers=editor
    )
    assert split.status_code == 201, split.text
    moved = client.post(
        f"{API}/items/move",
        json={"item_ids": detail["item_ids"][2:3], "theme_id": None},
        headers=editor,
    )
    assert moved.status_code == 204
    bad = client.post(f"{url}/merge", json={"source_ids": [999999]}, headers=editor)
    assert bad.status_code == 404
    merged = client.post(f"{url}/merge", json={"source_ids": [split.json()["id"]]}, headers=editor)
    assert merged.status_code == 200 and merged.json()["item_count"] == first["item_count"] - 1
    steer = client.post(
        f"{url}/steer",
        json={"description": "Card delivery", "keywords": ["card"], "example_item_ids": []},
        headers=editor,
    )
    assert steer.status_code == 200 and steer.json()["steered"]
    proposals = client.get(f"{API}/theme-proposals", headers=viewer)
    assert proposals.status_code == 200 and proposals.json() == {"items": []}
    missing = client.post(f"{API}/theme-proposals/12345/accept", headers=editor)
    assert missing.status_code == 404


def test_new_item_through_the_api_lands_in_a_theme(
    client: TestClient, accounts: Accounts, runtime: Runtime, corpus
) -> None:
    load_corpus(runtime, corpus)
    synthesize_feedback(runtime, CLI)
    editor = accounts.bearer(accounts.person(Role.editor))
    made = client.post(
        API, json={"text": "How do I reset my passcode? I forgot it."}, headers=editor
    )
    assert made.status_code == 201 and made.json()["sentiment"] is not None
    item_id = made.json()["id"]
    with runtime.database.session() as session:
        theme_id, _label = themes.theme_of_items(session, [item_id])[item_id]
        assert theme_id in {t.id for t in themes.list_themes(session)}


def test_synthesize_job_runs_and_records_progress(
    client: TestClient, accounts: Accounts, runtime: Runtime, corpus
) -> None:
    load_corpus(runtime, corpus[:60])
    editor = accounts.bearer(accounts.person(Role.editor))
    queued = client.post(f"{API}/synthesize", headers=editor)
    assert queued.status_code == 202, queued.text
    job = jobs.wait_for_job(runtime, queued.json()["job"]["id"], timeout=120)
    assert job.status.value == "succeeded", job
    assert job.result is not None and job.result["status"] == "done"
    assert job.result["themes_created"] >= 2 and job.progress_done == job.progress_total == 1


@pytest.fixture
def env(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    return {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "COLUMNS": "200",
    }


def test_cli_synthesize_themes_and_export(env: dict[str, str], runtime: Runtime, corpus) -> None:
    runner = CliRunner()
    empty = runner.invoke(cli_app, ["feedback", "synthesize"], env=env)
    assert empty.exit_code == 0 and "corpus too small (0 items" in empty.stderr
    load_corpus(runtime, corpus)
    ran = runner.invoke(cli_app, ["feedback", "synthesize"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "Synthesis (first): 150 items; 150 embedded;" in ran.stdout
    table = runner.invoke(cli_app, ["feedback", "themes"], env=env)
    assert table.exit_code == 0 and "customers" in table.stdout
    listed = json.loads(
        runner.invoke(cli_app, ["feedback", "themes", "--format", "json"], env=env).stdout
    )
    assert sum(t["item_count"] for t in listed) == 150
    exported = runner.invoke(cli_app, ["feedback", "export", "--format", "csv"], env=env)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 150 and all(r["theme_id"] and r["theme"] and r["sentiment"] for r in rows)
    labels = {t["id"]: t["label"] for t in listed}
    assert all(labels[int(r["theme_id"])] == r["theme"] for r in rows)
    bad = runner.invoke(cli_app, ["feedback", "themes", "--format", "xml"], env=env)
    assert bad.exit_code != 0
