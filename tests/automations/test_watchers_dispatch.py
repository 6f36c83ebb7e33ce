"""Watchers hear about changes to what they watch, once, through the event dispatcher.

The dispatcher reads each audit event once (the transactional outbox) and, in the same
transaction that moves its cursor, notifies the watchers of the event's object: the
person who made the change is not told about their own change, and a second round
reads nothing again.
"""

from __future__ import annotations

from sqlalchemy import select

from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role, User
from pilothouse.core.notifications.models import Notification
from pilothouse.core.notifications.watching import watch
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from pilothouse.roadmap.models import RoadmapItem
from tests.support.accounts import Accounts


def _actor(runtime: Runtime, user_id: int) -> Actor:
    with runtime.database.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return Actor.for_user(user)


def test_a_watcher_is_told_once_about_someone_elses_change(
    runtime: Runtime, accounts: Accounts
) -> None:
    owner, watcher, editor = (accounts.person(Role.editor) for _ in range(3))
    as_owner, as_editor = _actor(runtime, owner.id), _actor(runtime, editor.id)
    with runtime.database.session() as session:
        item = items.create_item(session, as_owner, {"title": "Card tracking"})
        item_id, key = item.id, item.key
    dispatch_once(runtime)  # the creation: nobody watches yet but the creator
    with runtime.database.session() as session:
        watch(session, watcher.id, ObjectRef("roadmap_item", str(item_id)))
    with runtime.database.session() as session:
        item = session.get(RoadmapItem, item_id)
        assert item is not None
        items.update_item(session, as_editor, item, {"title": "Card tracking v2"})
    dispatch_once(runtime)
    dispatch_once(runtime)  # nothing new: nobody is told twice
    with runtime.database.session() as session:
        told = list(
            session.scalars(select(Notification).where(Notification.kind == "watch.changed"))
        )
    by_recipient = {note.recipient_id: note for note in told}
    assert set(by_recipient) == {watcher.id, owner.id}  # the creator watches; the editor acted
    note = by_recipient[watcher.id]
    assert "Card tracking" in note.title and note.url and note.url.endswith(key)
    assert len(told) == 2
