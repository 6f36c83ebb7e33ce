"""Roadmap pages over HTTP with a signed-in browser session: every page renders, the
move form and the table's in-place edit change data (re-ranking the table), and
saving a view from a page stores its filters and columns."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.roadmap.helpers import API, Team
from tests.support.accounts import Accounts, sign_in
from tests.support.statements import sent_statements


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="ranked-row" data-key="([^"]+)"', html)


def _plan(team: Team) -> None:
    initiative = team.item(
        kind="initiative", title="Self-serve analytics", target_quarter="2026-Q3"
    )
    team.client.post(
        f"{API}/objectives",
        json={
            "title": "Grow activation",
            "period": "2026-Q3",
            "key_results": [
                {"title": "Activation rate", "target_value": 40, "current_value": 25, "unit": "%"}
            ],
        },
        headers=team.editor,
    )
    team.item(
        kind="feature",
        title="Bulk edit",
        parent=initiative["key"],
        status="planned",
        target_quarter="2026-Q4",
        reach=1000,
        impact=2,
        confidence=80,
        effort=4,
        objectives=["OBJ-1"],
    )
    team.item(
        kind="feature",
        title="Dark mode",
        status="in-progress",
        target_date="2027-02-10",
        reach=500,
        impact=1,
        confidence=100,
        effort=1,
    )


def test_every_roadmap_page_renders(client: TestClient, team: Team, accounts: Accounts) -> None:
    _plan(team)
    team.client.post(
        f"{API}/items/FEAT-1/links",
        json={"to_type": "feedback_item", "to_id": "77", "kind": "evidence"},
        headers=team.editor,
    )
    sign_in(client, accounts.person(Role.viewer))
    home = client.get("/")
    assert 'href="/roadmap"' in home.text  # the menu entry
    landing = client.get("/roadmap")
    assert landing.status_code == 200 and "1 now · 1 next · 1 later" in landing.text
    board = client.get("/roadmap/board")
    now = board.text.split('data-testid="column-now"')[1].split("</section>")[0]
    assert "Dark mode" in now and "Bulk edit" not in now
    assert "Move to" not in board.text  # viewers get no move buttons
    assert 'src="/static/js/roadmap-board.js"' in board.text
    timeline = client.get("/roadmap/timeline").text
    for quarter in ("2026-Q3", "2026-Q4", "2027-Q1"):
        assert f">{quarter}<" in timeline
    assert "Self-serve analytics" in timeline and "No initiative" in timeline
    table = client.get("/roadmap/table")
    assert _rows(table.text) == ["FEAT-2", "FEAT-1", "INIT-1"]  # 500 > 400 > unscored
    assert 'type="number"' not in table.text  # viewers cannot edit inputs
    item = client.get("/roadmap/items/FEAT-1").text
    assert "Self-serve analytics" in item and "OBJ-1" in item
    breadcrumb = item.split('<nav aria-label="breadcrumb">')[1].split("</nav>")[0]
    assert '<a href="/roadmap/items/INIT-1">INIT-1 Self-serve analytics</a>' in breadcrumb
    assert "<h3>Evidence</h3>" in item and "Feedback 77</del>" in item  # gone: struck
    assert ">400<" in item  # the RICE score in the breakdown
    objectives = client.get("/roadmap/objectives").text
    assert "Activation rate" in objectives and "62%" in objectives  # 25 of 40 from 0
    assert client.get("/roadmap/shares").status_code == 200
    assert client.get("/roadmap/items/FEAT-99").status_code == 404
    assert client.get("/roadmap/board?view=999").status_code == 404


def test_the_landing_page_counts_items_from_one_statement(
    client: TestClient, team: Team, accounts: Accounts, runtime: Runtime
) -> None:
    """The counts need each item's status, horizon and dates: its tags, fields,
    objectives and references (five statements more) are not read."""
    _plan(team)
    sign_in(client, accounts.person(Role.viewer))
    with sent_statements(runtime.database.engine) as seen:
        landing = client.get("/roadmap")
    assert "1 now · 1 next · 1 later" in landing.text
    assert len([s for s in seen if "FROM roadmap_items" in s]) == 1, seen
    extras = ("roadmap_item_tags", "roadmap_field_values", "roadmap_item_objectives")
    assert not [s for s in seen if any(table in s for table in extras)], seen


def test_the_item_page_reads_the_items_keys_once(
    client: TestClient, team: Team, accounts: Accounts, runtime: Runtime
) -> None:
    """The page's links and its impact chain both need every key the item had: one
    statement reads them (the chain's memo of the reading session)."""
    _plan(team)
    sign_in(client, accounts.person(Role.viewer))
    with sent_statements(runtime.database.engine) as seen:
        page = client.get("/roadmap/items/FEAT-1")
    assert page.status_code == 200 and "Self-serve analytics" in page.text
    key_reads = [s for s in seen if "FROM roadmap_item_keys" in s and "JOIN" not in s]
    assert len(key_reads) == 1, key_reads


def test_the_breadcrumb_names_every_parent_outermost_first(
    client: TestClient, team: Team, accounts: Accounts
) -> None:
    _plan(team)
    idea = team.item(kind="idea", title="Edit many rows at once", parent="FEAT-1")
    sign_in(client, accounts.person(Role.viewer))
    page = client.get(f"/roadmap/items/{idea['key']}").text
    breadcrumb = page.split('<nav aria-label="breadcrumb">')[1].split("</nav>")[0]
    crumbs = re.findall(r'<a href="/roadmap/items/([^"]+)">([^<]+)</a>', breadcrumb)
    assert crumbs == [("INIT-1", "INIT-1 Self-serve analytics"), ("FEAT-1", "FEAT-1 Bulk edit")]


def test_table_edit_reranks_and_board_move_form(
    client: TestClient, team: Team, accounts: Accounts
) -> None:
    _plan(team)
    csrf = sign_in(client, accounts.person(Role.editor))
    table = client.get("/roadmap/table?columns=key&columns=reach&columns=score&formula=rice")
    assert _rows(table.text) == ["FEAT-2", "FEAT-1", "INIT-1"]
    assert 'hx-post="/roadmap/table/items/FEAT-1?columns=key' in table.text
    changed = client.post(
        "/roadmap/table/items/FEAT-1?columns=key&columns=reach&columns=score&formula=rice",
        data={"reach": "2000"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert changed.status_code == 200
    assert changed.text.lstrip().startswith('<div id="ranked-table"')
    assert _rows(changed.text) == ["FEAT-1", "FEAT-2", "INIT-1"]  # 800 > 500
    assert team.get("/items/FEAT-1")["reach"] == 2000
    refused = client.post(
        "/roadmap/table/items/FEAT-1",
        data={"confidence": "150"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert refused.status_code == 422 and "confidence" in refused.text
    assert "must be from 0 to 100" in refused.text
    assert team.get("/items/FEAT-1")["confidence"] == 80  # nothing half-written
    moved = client.post(
        "/roadmap/board/move",
        data={"csrf_token": csrf, "key": "FEAT-1", "horizon": "now", "query": "kind=feature"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/roadmap/board?kind=feature"
    assert team.get("/items/FEAT-1")["horizon"] == "now"


def test_saving_and_deleting_a_view_from_a_page(
    client: TestClient, team: Team, accounts: Accounts
) -> None:
    _plan(team)
    csrf = sign_in(client, accounts.person(Role.viewer))
    saved = client.post(
        "/roadmap/views",
        data={
            "csrf_token": csrf,
            "name": "Q4 table",
            "kind": "table",
            "query": "quarter=2026-Q4&columns=key&columns=score&formula=ice",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    location = saved.headers["location"]
    assert re.fullmatch(r"/roadmap/table\?view=\d+", location)
    page = client.get(location).text
    assert _rows(page) == ["FEAT-1"] and "ICE" in page
    assert "Q4 table" in client.get("/roadmap").text
    view_id = location.rsplit("=", 1)[1]
    deleted = client.post(
        f"/roadmap/views/{view_id}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/roadmap/table"
    assert 'data-testid="view-row"' not in client.get("/roadmap").text
