"""The shared mechanisms in core: typed links, and audit entries written with each change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pilothouse.core import areas
from pilothouse.core.actor import Actor
from pilothouse.core.audit import diff
from pilothouse.core.errors import Conflict, Forbidden
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Event, Role
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
        actions = list(session.scalars(select(Event.action).where(Event.object_type == "link")))
        assert actions == ["created", "deleted"]


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
