"""Share links over HTTP: made by editors, shown once and stored hashed, opened without a
session, showing only the chosen fields, and gone (404) once revoked or expired."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from pilothouse.core.db import utcnow
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap.models import ShareLink
from tests.roadmap.helpers import API, Team


def _view(team: Team, kind: str = "table", **filters: object) -> int:
    response = team.client.post(
        f"{API}/views",
        json={"name": f"Exec {kind}", "kind": kind, "filters": filters},
        headers=team.editor,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _link(team: Team, view_id: int, **body: object) -> dict[str, object]:
    response = team.client.post(
        f"{API}/share-links", json={"view_id": view_id, **body}, headers=team.editor
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_share_page_shows_only_chosen_fields_without_a_session(
    team: Team, runtime: Runtime
) -> None:
    team.item(
        kind="feature",
        title="Bulk edit dashboards",
        description="Secret pricing angle",
        status="planned",
        target_quarter="2026-Q3",
        reach=1000,
        impact=2,
        confidence=80,
        effort=4,
        tags=["reporting"],
    )
    team.item(title="Filtered out", tags=["other"])
    view_id = _view(team, tag="reporting")
    link = _link(team, view_id, fields=["key", "target_quarter", "score"], label="Board deck")
    token = str(link["token"])
    assert token.startswith("phs_") and link["live"] is True
    assert str(link["url"]).endswith(f"/share/roadmap/{token}")
    with runtime.database.session() as session:
        stored = session.scalar(select(ShareLink))
        assert stored is not None and token not in (stored.token_hash, stored.prefix)
    team.client.cookies.clear()
    page = team.client.get(f"/share/roadmap/{token}")  # no session, no token header
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert "Bulk edit dashboards" in html and "FEAT-1" in html and "2026-Q3" in html
    assert ">400<" in html  # RICE 1000 × 2 × 0.8 ÷ 4
    assert "Filtered out" not in html
    for hidden in ("Secret pricing angle", "Planned", "reporting", "/roadmap/items/"):
        assert hidden not in html, hidden
    assert 'name="robots" content="noindex' in html


def test_board_and_timeline_share_pages(team: Team) -> None:
    team.item(kind="feature", title="On the board", status="in-progress", target_quarter="2026-Q4")
    board = _link(team, _view(team, "board"), fields=["status"])
    html = team.client.get(f"/share/roadmap/{board['token']}").text
    assert 'data-testid="column-now"' in html and "On the board" in html
    assert "In progress" in html and "FEAT-1" not in html
    timeline = _link(team, _view(team, "timeline"), fields=[])
    html = team.client.get(f"/share/roadmap/{timeline['token']}").text
    assert "2026-Q4" in html and "On the board" in html and "FEAT-1" not in html


def test_revoked_expired_and_unknown_links_are_404(team: Team, runtime: Runtime) -> None:
    view_id = _view(team)
    revoked = _link(team, view_id)
    expired = _link(team, view_id, expires_in_days=1)
    url = f"/share/roadmap/{revoked['token']}"
    assert team.client.get(url).status_code == 200
    viewer_try = team.client.post(f"{API}/share-links/{revoked['id']}/revoke", headers=team.viewer)
    assert viewer_try.status_code == 403
    done = team.client.post(f"{API}/share-links/{revoked['id']}/revoke", headers=team.editor)
    assert done.status_code == 200 and done.json()["live"] is False
    assert team.client.get(url).status_code == 404
    with runtime.database.session() as session:
        session.execute(
            update(ShareLink)
            .where(ShareLink.id == expired["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert team.client.get(f"/share/roadmap/{expired['token']}").status_code == 404
    assert team.client.get("/share/roadmap/phs_not-a-real-token").status_code == 404
    assert team.client.get("/share/roadmap/x").status_code == 404
    mine = team.get_as(team.editor, "/share-links")["items"]
    assert [(m["id"], m["live"]) for m in mine] == [(expired["id"], False), (revoked["id"], False)]
    assert team.get_as(team.viewer, "/share-links")["items"] == []
    with runtime.database.session() as session:
        names = session.scalars(
            select(Event.name).where(Event.object_type == "roadmap_share_link").order_by(Event.id)
        ).all()
        assert names == [
            "roadmap_share_link.created",
            "roadmap_share_link.created",
            "roadmap_share_link.revoked",
        ]


def test_share_links_need_an_editor_and_valid_choices(team: Team) -> None:
    view_id = _view(team)
    viewer = team.client.post(f"{API}/share-links", json={"view_id": view_id}, headers=team.viewer)
    assert viewer.status_code == 403
    for body, field in [
        ({"fields": ["key", "salary"]}, "fields.1"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 400}, "expires_in_days"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
    ]:
        response = team.client.post(
            f"{API}/share-links", json={"view_id": view_id, **body}, headers=team.editor
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field
    private = team.client.post(
        f"{API}/views", json={"name": "Mine", "kind": "table"}, headers=team.admin
    ).json()
    hidden = team.client.post(
        f"{API}/share-links", json={"view_id": private["id"]}, headers=team.editor
    )
    assert hidden.status_code == 404  # someone else's private view
