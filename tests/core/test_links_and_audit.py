"""The shared mechanisms in core: typed links, and audit entries written with each change."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core import areas
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, diff, record_change
from pilothouse.core.errors import Conflict, Forbidden
from pilothouse.core.links import ObjectRef, add_link, links_of, links_of_any, remove_link
from pilothouse.core.models import Event, Role
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime

EDITOR = Actor(None, "editor@example.com", Role.editor)
VIEWER = Actor(None, "viewer@example.com", Role.viewer)


def test_diff_lists_only_changed_fields() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": {"before": 2, "after": 3}}


def test_links_are_followed_both_ways_and_audited(runtime: Runtime) -> None:
    theme, feature = ObjectRef("feedback_theme", "7"), ObjectRef("roadmap_item", "FEAT-3")
    with runtime.database.session() as session:
        first = add_link(session, EDITOR, theme, feature, "evidence")
        again = add_link(session, EDITOR, theme, feature, "evidence")
        assert first.id == again.id
    with runtime.database.session() as session:
        assert [lk.to_id for lk in links_of(session, theme)] == ["FEAT-3"]
        assert [lk.from_id for lk in links_of(session, feature)] == ["7"]
        remove_link(session, EDITOR, links_of(session, feature)[0])
    with runtime.database.session() as session:
        assert links_of(session, theme) == []
        query = select(Event.action).where(Event.object_type == "link").order_by(Event.id)
        actions = list(session.scalars(query))
        assert actions == ["created", "deleted"]


def test_a_reading_session_asks_for_each_refs_links_once(runtime: Runtime) -> None:
    """A launch page asks for the launch's links three times (experiments, decisions, the
    impact chain with its items' keys): each ref goes to the database once, and the
    answers are what a fresh session gives."""
    from sqlalchemy import event

    launch, item, theme = (
        ObjectRef("launch", "1"),
        ObjectRef("roadmap_item", "FEAT-3"),
        ObjectRef("feedback_theme", "7"),
    )
    with runtime.database.session() as session:
        add_link(session, EDITOR, launch, item, "ships")
        add_link(session, EDITOR, theme, item, "evidence")
        add_link(session, EDITOR, launch, ObjectRef("experiment", "4"), "tests")
    with runtime.database.session() as session:
        expected_launch = [(lk.id, lk.kind) for lk in links_of(session, launch)]
        expected_both = [(lk.id, lk.kind) for lk in links_of_any(session, [launch, item])]
    assert [kind for _id, kind in expected_both] == ["ships", "evidence", "tests"]
    with runtime.database.session(reading=True) as session:
        mine = session.connection()
        seen: list[str] = []

        def note(conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if conn is mine:
                seen.append(statement)

        event.listen(runtime.database.engine, "before_cursor_execute", note)
        try:
            assert [(lk.id, lk.kind) for lk in links_of(session, launch)] == expected_launch
            assert len(seen) == 1
            assert [lk.kind for lk in links_of(session, launch, kind="tests")] == ["tests"]
            assert len(seen) == 1
            both = [(lk.id, lk.kind) for lk in links_of_any(session, [launch, item])]
            assert both == expected_both
            assert len(seen) == 2  # only the item's links were asked for
            assert links_of_any(session, [item, launch, item]) == links_of_any(
                session, [launch, item]
            )
            assert len(seen) == 2
        finally:
            event.remove(runtime.database.engine, "before_cursor_execute", note)


def test_viewers_cannot_change_shared_objects(runtime: Runtime) -> None:
    with runtime.database.session() as session, pytest.raises(Forbidden):
        areas.create_area(session, VIEWER, name="Nope")


def test_failed_change_leaves_no_audit_entry(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        areas.create_area(session, EDITOR, name="Search")
    with pytest.raises(Conflict), runtime.database.session() as session:
        areas.create_area(session, EDITOR, name="Search")
    with runtime.database.session() as session:
        assert len(list(session.scalars(select(Event)))) == 1


def test_an_update_that_changes_nothing_is_not_logged(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        area = areas.create_area(session, EDITOR, name="Search", description="Find things")
        areas.update_area(session, EDITOR, area, name="Search", description="Find things")
        assert len(list(session.scalars(select(Event)))) == 1


def _refusal_record(session: Session) -> None:
    record_change(
        session,
        EDITOR,
        object_type="thing",
        object_id=1,
        action=Action.updated,
        after={"refused": True},
        name="thing.refused",
    )


def test_a_refusal_keeps_its_record_and_nothing_else(runtime: Runtime) -> None:
    """The failed work rolls back; the error's record is committed in its own transaction."""
    with pytest.raises(Conflict, match="not now"), runtime.database.session() as session:
        areas.create_area(session, EDITOR, name="Half-made", description="", owner_id=None)
        session.flush()
        raise Conflict("not now", record=_refusal_record)
    with runtime.database.session() as session:
        names = list(session.scalars(select(Event.name)))
        assert names == ["thing.refused"]  # the area and its audit entry are gone
        assert areas.list_areas(session, PageRequest(limit=10)).items == []


def test_a_failing_record_never_hides_the_error(runtime: Runtime) -> None:
    def broken(_session: Session) -> None:
        raise RuntimeError("record failed")

    with pytest.raises(Conflict, match="the real problem"), runtime.database.session():
        raise Conflict("the real problem", record=broken)
    with runtime.database.session() as session:
        assert list(session.scalars(select(Event.name))) == []
