"""The Now/Next/Later board over the API: where cards sit, moving them (roles, order,
audit), and saved views (filters and columns checked, private vs shared)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from tests.roadmap.helpers import API, Team


def _board(team: Team, **params: Any) -> dict[str, list[str]]:
    found = team.get("/board", **params)
    return {h: [card["key"] for card in found[h]] for h in ("now", "next", "later")}


def _move(team: Team, key: str, **body: Any) -> Any:
    return team.client.post(f"{API}/items/{key}/move", json=body, headers=team.editor)


def test_cards_follow_status_until_placed_and_closed_items_leave(team: Team) -> None:
    building = team.item(kind="feature", title="Building", status="in-progress")
    planned = team.item(kind="feature", title="Planned", status="planned")
    idea = team.item(title="Someday")
    shipped = team.item(kind="feature", title="Shipped", status="launched")
    assert _board(team) == {
        "now": [building["key"]],
        "next": [planned["key"]],
        "later": [idea["key"]],
    }
    assert team.get(f"/items/{planned['key']}")["horizon"] == "next"
    assert team.get(f"/items/{shipped['key']}")["horizon"] is None
    refused = _move(team, shipped["key"], horizon="now")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "status"
    bad = _move(team, idea["key"], horizon="soon")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "horizon"


def test_move_places_between_neighbours_persists_and_is_audited(
    team: Team, runtime: Runtime
) -> None:
    now = [team.item(kind="feature", title=f"Now {n}", status="in-progress")["key"] for n in (1, 2)]
    feature = team.item(kind="feature", title="Next one", status="planned")["key"]
    moved = _move(team, feature, horizon="now", before=now[1])
    assert moved.status_code == 200, moved.text
    assert moved.json()["horizon"] == "now"
    assert moved.json()["status"]["key"] == "planned"  # the horizon is not the workflow
    assert _board(team)["now"] == [now[0], feature, now[1]]
    assert _move(team, now[0], horizon="now", after=now[1]).status_code == 200
    assert _board(team)["now"] == [feature, now[1], now[0]]
    assert _move(team, now[1], horizon="now", before=feature).status_code == 200
    assert _board(team)["now"] == [now[1], feature, now[0]]
    # repeated moves between the same two cards keep finding room
    for _ in range(3):
        assert _move(team, now[0], horizon="now", after=now[1]).status_code == 200
        assert _move(team, now[0], horizon="now", before=feature).status_code == 200
    assert _board(team)["now"] == [now[1], now[0], feature]
    not_there = _move(team, feature, horizon="later", before=now[1])
    assert not_there.status_code == 422
    assert not_there.json()["errors"][0]["field"] == "before"
    with runtime.database.session() as session:
        events = session.scalars(
            select(Event).where(Event.name == "roadmap_item.moved").order_by(Event.id)
        ).all()
        first = events[0]
        assert first.changes["horizon"] == {"before": "next", "after": "now"}
        assert first.changes["position"] == {"before": 1, "after": 2}
        assert first.changes["before"]["after"] == now[1]
        assert first.object_label.startswith(feature)
        assert len(events) == 9


def test_viewers_cannot_move_cards(team: Team) -> None:
    feature = team.item(kind="feature", title="F", status="planned")
    response = team.client.post(
        f"{API}/items/{feature['key']}/move", json={"horizon": "now"}, headers=team.viewer
    )
    assert response.status_code == 403
    assert _board(team)["next"] == [feature["key"]]


def test_board_filters_apply(team: Team) -> None:
    team.item(kind="feature", title="Tagged", status="planned", tags=["mobile"])
    team.item(kind="feature", title="Other", status="planned")
    assert _board(team, tag="mobile")["next"] == ["FEAT-1"]


def test_saved_views_check_filters_and_columns(team: Team, runtime: Runtime) -> None:
    created = team.client.post(
        f"{API}/views",
        json={
            "name": "Mobile table",
            "kind": "table",
            "filters": {"tag": "mobile", "status": ["planned"]},
            "columns": ["key", "title", "reach", "score"],
            "formula": "ice",
        },
        headers=team.viewer,  # anyone may save a private view
    )
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["filters"] == {"tag": "mobile", "status": ["planned"]}
    assert (view["columns"], view["formula"], view["shared"]) == (
        ["key", "title", "reach", "score"],
        "ice",
        False,
    )
    for body, field in [
        ({"filters": {"status": ["nope"]}}, "status"),
        ({"filters": {"colour": "red"}}, "filters.colour"),
        ({"columns": ["key", "bogus"]}, "columns.1"),
        ({"kind": "gantt"}, "kind"),
    ]:
        response = team.client.post(f"{API}/views", json={"name": "x", **body}, headers=team.editor)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()
    # private views are invisible to others; sharing needs an editor
    assert team.client.get(f"{API}/views/{view['id']}", headers=team.editor).status_code == 404
    share = team.client.patch(
        f"{API}/views/{view['id']}", json={"shared": True}, headers=team.viewer
    )
    assert share.status_code == 403
    shared = team.client.post(
        f"{API}/views",
        json={"name": "Team board", "kind": "board", "shared": True},
        headers=team.editor,
    ).json()
    names = [v["name"] for v in team.get("/views")["items"]]
    assert names == ["Mobile table", "Team board"]
    assert "field:" not in "".join(c["key"] for c in team.get("/views")["columns"])
    other = team.client.patch(
        f"{API}/views/{shared['id']}", json={"name": "Mine now"}, headers=team.viewer
    )
    assert other.status_code == 403
    assert (
        team.client.patch(
            f"{API}/views/{shared['id']}", json={"name": "Renamed"}, headers=team.admin
        ).json()["name"]
        == "Renamed"
    )
    assert team.client.delete(f"{API}/views/{view['id']}", headers=team.viewer).status_code == 204
    assert team.client.get(f"{API}/views/{view['id']}", headers=team.viewer).status_code == 404
    with runtime.database.session() as session:
        events = session.scalars(
            select(Event).where(Event.object_type == "roadmap_view").order_by(Event.id)
        ).all()
        assert [e.name for e in events] == [
            "roadmap_view.created",
            "roadmap_view.created",
            "roadmap_view.updated",
            "roadmap_view.deleted",
        ]
        assert events[2].changes == {"name": {"before": "Team board", "after": "Renamed"}}
