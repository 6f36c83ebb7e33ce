"""Dashboards service on SQLite and PostgreSQL: who may see and change what, places on
the grid, tile configs refused with the field named and nothing stored, the audit
trail, and the YAML file form (round trip; errors naming file and field)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from pilothouse.core import areas
from pilothouse.core.actor import Actor
from pilothouse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pilothouse.core.models import Event, Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.ops.dashboards import files, service
from pilothouse.ops.dashboards.models import Dashboard
from tests.support.accounts import Accounts


def _actor(runtime: Runtime, accounts: Accounts, role: Role) -> Actor:
    person = accounts.person(role)
    with runtime.database.session() as session:
        user = session.get(User, person.id)
        assert user is not None
        return Actor.for_user(user)


def _events(session: object, object_id: int) -> list[Event]:
    query = select(Event).where(Event.object_type == "dashboard", Event.object_id == str(object_id))
    return list(session.scalars(query.order_by(Event.id)))  # type: ignore[attr-defined]


def test_create_share_and_edit_rights(runtime: Runtime, accounts: Accounts) -> None:
    editor = _actor(runtime, accounts, Role.editor)
    other = _actor(runtime, accounts, Role.editor)
    viewer = _actor(runtime, accounts, Role.viewer)
    with runtime.database.session() as session:
        with pytest.raises(Forbidden):
            service.create_dashboard(session, viewer, {"name": "Mine"})
        shared = service.create_dashboard(session, editor, {"name": "Product review"})
        private = service.create_dashboard(
            session, editor, {"name": "Scratch", "visibility": "private"}
        )
        assert shared.slug == "product-review" and shared.default_days == 90
        with pytest.raises(Conflict):
            service.create_dashboard(session, other, {"name": "Product review"})
        assert [d.name for d in service.list_dashboards(session, viewer)] == ["Product review"]
        with pytest.raises(NotFound):
            service.get_dashboard(session, other, private.slug)
        assert service.can_edit(other, shared) and not service.can_edit(other, private)
        assert not service.can_edit(viewer, shared)
        with pytest.raises(Forbidden):
            service.add_tile(session, viewer, shared, {"kind": "theme_ranking"})
        with pytest.raises(Forbidden):
            service.update_dashboard(session, other, private, {"name": "Taken"})
        service.update_dashboard(session, other, shared, {"default_days": 30})
        assert [e.action for e in _events(session, shared.id)] == ["created", "updated"]


def test_tiles_are_placed_checked_and_audited(runtime: Runtime, accounts: Accounts) -> None:
    editor = _actor(runtime, accounts, Role.editor)
    with runtime.database.session() as session:
        board = service.create_dashboard(session, editor, {"name": "Grid"})
        first = service.add_tile(
            session, editor, board, {"kind": "theme_ranking", "config": {"top": "3"}, "width": 4}
        )
        second = service.add_tile(
            session, editor, board, {"kind": "health_figure", "config": {"figure": "cycle_time"}}
        )
        assert (first.row, first.col, first.width, first.config) == (1, 1, 4, {"top": 3})
        assert (second.row, second.col, second.width) == (2, 1, 6)  # a new row below
        refusals = [
            ({"kind": "pie"}, "kind"),
            ({"kind": "theme_ranking", "config": {"top": 99}}, "config.top"),
            ({"kind": "experiment_scorecard", "config": {}}, "config.experiment"),
            ({"kind": "roadmap_view", "config": {"view": "Exec"}}, "config.view"),
            ({"kind": "theme_ranking", "col": 9, "width": 6}, "width"),
            ({"kind": "theme_ranking", "height": 0}, "height"),
        ]
        for body, field in refusals:
            with pytest.raises(ValidationFailed) as refused:
                service.add_tile(session, editor, board, body)
            assert refused.value.errors[0].field == field, body
        moved = service.update_tile(session, editor, board, second.id, {"row": 1, "col": 5})
        assert (moved.row, moved.col) == (1, 5)
        with pytest.raises(ValidationFailed):
            service.update_tile(session, editor, board, second.id, {"col": 8, "width": 6})
        assert (moved.col, moved.width) == (5, 6)  # the refused move changed nothing
        service.remove_tile(session, editor, board, first.id)
        assert [t.id for t in board.tiles] == [second.id]
        events = _events(session, board.id)
        assert len(events) == 5  # created, two tiles added, one moved, one removed
        last = events[-1].changes
        assert len(last["tiles"]["before"]) == 2 and len(last["tiles"]["after"]) == 1


def test_a_metric_tile_needs_a_catalog_metric(runtime: Runtime, accounts: Accounts) -> None:
    editor = _actor(runtime, accounts, Role.editor)
    with runtime.database.session() as session:
        board = service.create_dashboard(session, editor, {"name": "Metrics"})
        body = {"kind": "metric_chart", "config": {"metric": "nope", "grain": "week"}}
        with pytest.raises(ValidationFailed) as refused:
            service.add_tile(session, editor, board, body, runtime)
        assert refused.value.errors[0].field == "config.metric"
        body["config"]["grain"] = "fortnight"
        with pytest.raises(ValidationFailed) as refused:
            service.add_tile(session, editor, board, body)
        assert refused.value.errors[0].field == "config.grain"
        assert board.tiles == []


def test_filters_default_to_the_dashboard(runtime: Runtime, accounts: Accounts) -> None:
    editor = _actor(runtime, accounts, Role.editor)
    admin = Actor.command_line()
    today = dt.date(2026, 12, 7)
    with runtime.database.session() as session:
        area = areas.create_area(session, admin, name="Cards")
        board = service.create_dashboard(
            session, editor, {"name": "Cards", "default_days": 30, "default_area": "cards"}
        )
        where = service.filter_for(session, board, None, None, None, today)
        assert (where.start, where.end, where.area_id) == (dt.date(2026, 11, 8), today, area.id)
        everything = service.filter_for(session, board, dt.date(2026, 1, 1), None, "", today)
        assert everything.area_id is None and everything.start == dt.date(2026, 1, 1)
        with pytest.raises(ValidationFailed):
            service.filter_for(session, board, None, None, "nowhere", today)
        with pytest.raises(ValidationFailed):
            service.filter_for(session, board, today, dt.date(2026, 1, 1), None, today)


def test_yaml_round_trip_and_errors(runtime: Runtime, accounts: Accounts) -> None:
    editor = _actor(runtime, accounts, Role.editor)
    with runtime.database.session() as session:
        areas.create_area(session, Actor.command_line(), name="Cards")
        board = service.create_dashboard(
            session, editor, {"name": "Review", "default_area": "cards", "default_days": 30}
        )
        service.add_tile(session, editor, board, {"kind": "theme_ranking", "config": {"top": 4}})
        service.add_tile(
            session,
            editor,
            board,
            {"kind": "experiment_scorecard", "config": {"experiment": "exp-2"}, "col": 7},
        )
        data = service.to_yaml_dict(board)
        assert data["default_area"] == "cards" and data["owner"] == editor.label
        assert data["tiles"][1] == {
            "kind": "experiment_scorecard",
            "experiment": "EXP-2",
            "place": {"row": 2, "col": 7, "width": 6, "height": 1},
        }
        spec = service.from_yaml_dict(data | {"slug": "review-copy"}, "dashboards/review.yaml")
        copy = files.apply_spec(session, editor, spec)
        assert service.to_yaml_dict(copy) == data | {"slug": "review-copy"}
        before = session.scalar(select(func.count()).select_from(Dashboard))
        bad = data | {"colour": "red", "tiles": [{"kind": "metric_chart", "place": {"col": 13}}]}
        with pytest.raises(ValidationFailed) as refused:
            service.from_yaml_dict(bad, "dashboards/review.yaml")
        message = refused.value.detail
        assert "dashboards/review.yaml: colour: not a dashboard field" in message
        assert "dashboards/review.yaml: tiles[0].config.metric: " in message
        assert session.scalar(select(func.count()).select_from(Dashboard)) == before


def test_dashboards_resolve_as_references(runtime: Runtime, accounts: Accounts) -> None:
    from pilothouse.core.links import ObjectRef
    from pilothouse.core.references import resolve

    editor = _actor(runtime, accounts, Role.editor)
    with runtime.database.session() as session:
        board = service.create_dashboard(session, editor, {"name": "Product review"})
        by_id, by_slug, gone = (
            ObjectRef("dashboard", str(board.id)),
            ObjectRef("dashboard", "product-review"),
            ObjectRef("dashboard", "999999"),
        )
        found = resolve(session, [by_id, by_slug, gone])
        assert found[by_id].__html__() == '<a href="/dashboards/product-review">Product review</a>'
        assert found[by_slug].label == "Product review" and found[gone].deleted
