"""Dashboards over HTTP on SQLite and PostgreSQL: the API (CRUD and tiles, refusals
naming the field, nothing stored on refusal), the pages and forms (a refused form
keeps what was typed), the share rules, the audit trail and the explorer's form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.support.accounts import Accounts, sign_in


def test_api_crud_and_tiles(client: TestClient, accounts: Accounts) -> None:
    editor = accounts.bearer(accounts.person(Role.editor))
    viewer = accounts.bearer(accounts.person(Role.viewer))
    body = {"name": "Growth review", "default_days": 30}
    assert client.post("/api/v1/dashboards", json=body, headers=viewer).status_code == 403
    created = client.post("/api/v1/dashboards", json=body, headers=editor)
    assert created.status_code == 201, created.text
    board = created.json()
    assert board["url"] == "/dashboards/growth-review" and board["tiles"] == []
    tile = client.post(
        "/api/v1/dashboards/growth-review/tiles",
        json={"kind": "theme_ranking", "config": {"top": 3}, "width": 4},
        headers=editor,
    )
    assert tile.status_code == 201, tile.text
    assert tile.json()["filters"] == ["date range", "area"]
    tile_id = tile.json()["id"]
    refused = client.patch(
        f"/api/v1/dashboards/growth-review/tiles/{tile_id}",
        json={"col": 10, "width": 4},
        headers=editor,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "width"
    unknown = client.post(
        "/api/v1/dashboards/growth-review/tiles",
        json={"kind": "metric_chart", "config": {"metric": "no_such_metric"}},
        headers=editor,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "config.metric"
    seen = client.get("/api/v1/dashboards/growth-review", headers=viewer).json()
    assert [t["col"] for t in seen["tiles"]] == [1] and seen["can_edit"] is False
    moved = client.patch(
        f"/api/v1/dashboards/growth-review/tiles/{tile_id}", json={"col": 9}, headers=editor
    )
    assert moved.status_code == 200 and moved.json()["col"] == 9
    private = client.patch(
        "/api/v1/dashboards/growth-review", json={"visibility": "private"}, headers=editor
    )
    assert private.status_code == 200
    assert client.get("/api/v1/dashboards/growth-review", headers=viewer).status_code == 404
    assert client.get("/api/v1/dashboards", headers=viewer).json()["count"] == 0
    assert (
        client.delete(f"/api/v1/dashboards/growth-review/tiles/{tile_id}", headers=editor)
    ).status_code == 204
    assert client.delete("/api/v1/dashboards/growth-review", headers=editor).status_code == 204
    assert client.get("/api/v1/dashboards/growth-review", headers=editor).status_code == 404
    audit = client.get(
        "/api/v1/audit",
        params={"object_type": "dashboard"},
        headers=accounts.bearer(accounts.person(Role.admin)),
    )
    assert audit.status_code == 200
    actions = [e["action"] for e in audit.json()["items"]]
    assert sorted(actions) == sorted(
        ["created", "updated", "updated", "updated", "updated", "deleted"]
    )


def test_pages_forms_and_rights(client: TestClient, accounts: Accounts) -> None:
    csrf = sign_in(client, accounts.person(Role.editor))
    made = client.post(
        "/dashboards", data={"csrf_token": csrf, "name": "Weekly"}, follow_redirects=False
    )
    assert made.status_code == 303 and made.headers["location"] == "/dashboards/weekly/edit"
    edit = client.get("/dashboards/weekly/edit")
    assert edit.status_code == 200 and 'data-testid="add-tile"' in edit.text
    refused = client.post(
        "/dashboards/weekly/tiles",
        data={"csrf_token": csrf, "kind": "theme_ranking", "top": "50", "title": "Top asks"},
        headers={"referer": "http://testserver/dashboards/weekly/edit"},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "from 1 to 20" in refused.text and 'value="Top asks"' in refused.text
    added = client.post(
        "/dashboards/weekly/tiles",
        data={"csrf_token": csrf, "kind": "theme_ranking", "top": "4", "title": "Top asks"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get("/dashboards/weekly")
    assert page.status_code == 200
    assert 'class="dash-tile gc-1 gw-6 gr-1 gh-1"' in page.text and "Top asks" in page.text
    assert "style=" not in page.text.split("<main", 1)[-1]  # CSP: places are classes
    [tile_id] = [t["id"] for t in client.get("/api/v1/dashboards/weekly").json()["tiles"]]
    fragment = client.get(f"/dashboards/weekly/tiles/{tile_id}", params={"area": ""})
    assert fragment.status_code == 200 and 'data-state="empty"' in fragment.text
    moved = client.post(
        f"/dashboards/weekly/tiles/{tile_id}",
        data={"csrf_token": csrf, "row": "2", "col": "7", "width": "6", "height": "2"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert "gc-7 gw-6 gr-2 gh-2" in client.get("/dashboards/weekly").text
    form = client.get("/dashboards/explorer-form/activation_rate", params={"grain": "week"})
    assert 'action="/dashboards/from-explorer/activation_rate"' in form.text
    assert '<option value="weekly">Weekly</option>' in form.text
    bad_filter = client.get("/dashboards/weekly", params={"area": "nowhere"})
    assert bad_filter.status_code == 422


def test_viewers_view_but_do_not_edit(client: TestClient, accounts: Accounts) -> None:
    editor = accounts.bearer(accounts.person(Role.editor))
    client.post("/api/v1/dashboards", json={"name": "Shared"}, headers=editor)
    csrf = sign_in(client, accounts.person(Role.viewer))
    page = client.get("/dashboards/shared")
    assert page.status_code == 200 and 'data-testid="edit-dashboard"' not in page.text
    assert client.get("/dashboards/shared/edit").status_code == 403
    posted = client.post(
        "/dashboards/shared/tiles",
        data={"csrf_token": csrf, "kind": "theme_ranking"},
        follow_redirects=False,
    )
    assert posted.status_code == 403
    assert "New dashboard" not in client.get("/dashboards").text
