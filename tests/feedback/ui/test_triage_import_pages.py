"""The per-item triage page and the import page (preview, every bad row by line, commit)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.feedback.hub.helpers import FIXTURES
from tests.feedback.ui.conftest import CLI, Workspace
from tests.support.accounts import Accounts, sign_in

from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service, themes
from pilothouse.feedback.importers import ImportFormat
from pilothouse.feedback.imports import run_import
from pilothouse.feedback.models import FeedbackItem, FeedbackStatus
from pilothouse.roadmap import items as roadmap_items


def _count(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(FeedbackItem)) or 0)


def test_triage_an_item(
    client: TestClient, accounts: Accounts, runtime: Runtime, workspace: Workspace
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    with runtime.database.session() as session:
        key = roadmap_items.create_item(session, CLI, {"kind": "idea", "title": "Dark mode"}).key
    url = f"/feedback/items/{workspace.unthemed}"
    page = client.get(url)
    assert page.status_code == 200 and "Dark mode please" in page.text
    assert '<option value="triaged">' in page.text and '<option value="linked">' in page.text

    def post(path: str, data: dict[str, str]) -> None:
        response = client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert response.status_code == 303, response.text

    post(url, {"status": "triaged", "product_area": "reporting", "tags": "ui, Theme"})
    post(f"{url}/links", {"roadmap_item": key.lower()})
    post(f"{url}/theme", {"theme": str(workspace.onboarding)})
    with runtime.database.session() as session:
        item = service.get_feedback(session, workspace.unthemed)
        assert item.status is FeedbackStatus.linked and item.tags == ["ui", "theme"]
        assert item.product_area_id is not None
        assert themes.theme_of_items(session, [item.id])[item.id][0] == workspace.onboarding
    page = client.get(url).text
    assert f'<a href="/roadmap/items/{key}">' in page and 'data-testid="item-theme"><a href' in page
    item_id = workspace.unthemed
    with runtime.database.session() as session:
        roadmap_id = roadmap_items.find_item(session, key).id
    post(f"{url}/links/{roadmap_id}/delete", {})
    with runtime.database.session() as session:
        assert service.get_feedback(session, item_id).status is FeedbackStatus.triaged
    # a move the workflow forbids is refused with the reason, and nothing changes
    closed = client.post(url, data={"csrf_token": csrf, "status": "closed"}, follow_redirects=False)
    assert closed.status_code == 303
    back = client.post(url, data={"csrf_token": csrf, "status": "new"}, headers={"referer": url})
    assert "cannot go from closed to new" in back.text


def test_viewers_see_the_item_but_cannot_triage(
    client: TestClient, accounts: Accounts, workspace: Workspace
) -> None:
    csrf = sign_in(client, accounts.person(Role.viewer))
    url = f"/feedback/items/{workspace.unthemed}"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="triage-form"' not in page.text
    assert client.post(url, data={"csrf_token": csrf, "status": "triaged"}).status_code == 403
    assert client.get("/feedback/items/999999").status_code == 404
    assert "Only editors and admins import" in client.get("/feedback/import").text


def test_import_preview_lists_every_bad_row_then_nothing_is_stored(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    bad = (FIXTURES / "generic_bad.csv").read_bytes()
    response = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "action": "preview"},
        files={"file": ("generic_bad.csv", bad, "text/csv")},
    )
    assert response.status_code == 200
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]+)</td></tr>", response.text)
    with runtime.database.session() as session:  # the same file through the service directly
        expected = run_import(session, CLI, bad, ImportFormat.csv, dry_run=True).problems
    assert [int(line) for line, _, _ in problems] == [p.line for p in expected]
    assert sorted({p.line for p in expected}) == [3, 4, 5, 6, 7, 8]
    assert ("3", "comment", "the feedback text is empty") in problems
    assert 'data-testid="import-commit"' not in response.text
    # the same file, committed anyway through the kept content: refused, nothing stored
    kept = re.search(r'name="content_b64" value="([^"]+)"', response.text)
    assert kept
    refused = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "action": "import", "content_b64": kept.group(1),
              "file_name": "generic_bad.csv"},
    )  # fmt: skip
    assert refused.status_code == 200 and "nothing was imported" in refused.text
    assert _count(runtime) == 0


def test_import_preview_mapping_then_commit(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    with runtime.database.session() as session:
        from pilothouse.core import areas

        for name in ("Analytics & Reporting", "Onboarding & Activation"):
            areas.create_area(session, CLI, name=name, description="", owner_id=None)
    data = "ref,Verbatim,when\nr-1,Exports are slow,2026-03-01\nr-2,Search is great,2026-03-02\n"
    preview = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("notes.csv", data.encode(), "text/csv")},
    )
    assert "no text column found" in preview.text and _count(runtime) == 0
    kept = re.search(r'name="content_b64" value="([^"]+)"', preview.text)
    assert kept and 'name="map_text"' in preview.text
    mapped = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "action": "preview",
              "content_b64": kept.group(1), "file_name": "notes.csv", "map_text": "Verbatim",
              "map_external_id": "ref", "map_created_at": "when"},
    )  # fmt: skip
    assert 'data-testid="import-commit"' in mapped.text and "Import 2 rows" in mapped.text
    assert _count(runtime) == 0
    done = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv", "action": "import", "content_b64": kept.group(1),
              "file_name": "notes.csv", "map_text": "Verbatim", "map_external_id": "ref",
              "map_created_at": "when", "source": "research"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/feedback?source=research"
    assert _count(runtime) == 2
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.object_type == "feedback_import")) == 1  # fmt: skip


def test_a_large_file_is_chosen_again_rather_than_carried(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    big = (
        "ref,note\n"
        + "r,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n" * 11_000
    )
    assert len(big) > 750 * 1024
    preview = client.post(
        "/feedback/import",
        data={"csrf_token": csrf, "format": "csv"},
        files={"file": ("big.csv", big.encode(), "text/csv")},
    )
    assert preview.status_code == 200 and "no text column found" in preview.text
    assert 'name="content_b64"' not in preview.text and "choose it again" in preview.text
    assert _count(runtime) == 0
