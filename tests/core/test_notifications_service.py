"""Notifications, watching and comments through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.errors import Forbidden, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Event, Role, User
from pilothouse.core.notifications import (
    notify,
    notify_watchers,
    unwatch,
    users_with_role,
    watch,
    watchers_of,
)
from pilothouse.core.notifications.comments import (
    add_comment,
    comment_history,
    delete_comment,
    edit_comment,
    find_mentions,
    list_comments,
)
from pilothouse.core.notifications.models import EmailState, Notification
from pilothouse.core.notifications.service import (
    inbox,
    mark_all_read,
    mark_read,
    safe_url,
    unread_count,
)
from pilothouse.core.runtime import Runtime
from pilothouse.core.users import update_user
from tests.support.accounts import Accounts, Person

ITEM = ObjectRef("roadmap_item", "7")


def _actor(runtime: Runtime, person: Person) -> Actor:
    with runtime.database.session() as session:
        user = session.get(User, person.id)
        assert user is not None
        return Actor.for_user(user)


def _kinds(runtime: Runtime, person: Person) -> list[str]:
    with runtime.database.session() as session:
        rows = session.scalars(
            select(Notification.kind)
            .where(Notification.recipient_id == person.id)
            .order_by(Notification.id)
        )
        return list(rows)


def test_notify_skips_the_actor_and_inactive_people(runtime: Runtime, accounts: Accounts) -> None:
    actor, ann, bob, gone = (accounts.person(Role.editor) for _ in range(4))
    with runtime.database.session() as session:
        user = session.get(User, gone.id)
        assert user is not None
        update_user(session, Actor.command_line(), user, is_active=False)
    with runtime.database.session() as session:
        count = notify(
            session,
            recipients=[actor.id, ann.id, bob.id, gone.id, ann.id],
            kind="launch.gate_waiting",
            title="Gate waiting for you",
            ref=ITEM,
            actor_id=actor.id,
        )
    assert count == 2
    assert _kinds(runtime, ann) == ["launch.gate_waiting"]
    assert _kinds(runtime, actor) == [] and _kinds(runtime, gone) == []
    with runtime.database.session() as session:
        assert unread_count(session, ann.id) == 1
        row = inbox(session, ann.id)[0]
        assert row.email_state is EmailState.none  # no SMTP server configured


def test_notify_refuses_a_missing_kind_or_title(runtime: Runtime, accounts: Accounts) -> None:
    ann = accounts.person()
    with runtime.database.session() as session:
        with pytest.raises(ValidationFailed) as missing_title:
            notify(session, recipients=[ann.id], kind="x.y", title="  ")
        assert missing_title.value.errors[0].field == "title"
        with pytest.raises(ValidationFailed) as missing_kind:
            notify(session, recipients=[ann.id], kind="", title="Hello")
        assert missing_kind.value.errors[0].field == "kind"
    assert _kinds(runtime, ann) == []


def test_mark_read_one_and_all_only_for_the_recipient(runtime: Runtime, accounts: Accounts) -> None:
    ann, bob = accounts.person(), accounts.person()
    with runtime.database.session() as session:
        for n in range(3):
            notify(session, recipients=[ann.id], kind="automation", title=f"Message {n}")
    with runtime.database.session() as session:
        first = inbox(session, ann.id)[-1]
        with pytest.raises(NotFound):
            mark_read(session, bob.id, first.id)
        mark_read(session, ann.id, first.id)
        assert unread_count(session, ann.id) == 2
        rows = inbox(session, ann.id)
        assert [r.read_at is None for r in rows] == [True, True, False]  # unread first
        assert mark_all_read(session, ann.id) == 2
        assert unread_count(session, ann.id) == 0


def test_users_with_role(runtime: Runtime, accounts: Accounts) -> None:
    admin, editor, viewer = (accounts.person(r) for r in (Role.admin, Role.editor, Role.viewer))
    with runtime.database.session() as session:
        assert users_with_role(session, "editor") == [editor.id]
        assert users_with_role(session, Role.editor, or_higher=True) == [admin.id, editor.id]
        assert viewer.id in users_with_role(session, "viewer")
        with pytest.raises(ValidationFailed):
            users_with_role(session, "owner")


def test_watchers_hear_about_changes_but_not_their_own(
    runtime: Runtime, accounts: Accounts
) -> None:
    ann, bob, cy = accounts.person(), accounts.person(), accounts.person()
    with runtime.database.session() as session:
        assert watch(session, ann.id, ITEM) is True
        assert watch(session, ann.id, ITEM) is False
        watch(session, bob.id, ITEM)
        watch(session, cy.id, ObjectRef("launch", "1"))
        assert watchers_of(session, ITEM) == [ann.id, bob.id]
        sent = notify_watchers(session, ITEM, title="Status changed to Now", actor_id=bob.id)
        assert sent == 1
        assert unwatch(session, ann.id, ITEM) is True
        assert watchers_of(session, ITEM) == [bob.id]
        with pytest.raises(ValidationFailed) as wrong:
            watch(session, ann.id, ObjectRef("user", "1"))
        assert wrong.value.errors[0].field == "object_type"
    assert _kinds(runtime, ann) == ["watch.changed"]
    assert _kinds(runtime, bob) == [] and _kinds(runtime, cy) == []


def test_a_comment_mentions_notifies_watchers_and_is_audited(
    runtime: Runtime, accounts: Accounts
) -> None:
    author = accounts.person(Role.editor, email="dana.lee@example.com")
    mentioned = accounts.person(Role.viewer, email="eve@example.com")
    watcher = accounts.person(Role.viewer, email="finn@example.com")
    with runtime.database.session() as session:
        watch(session, watcher.id, ITEM)
        watch(session, mentioned.id, ITEM)
    actor = _actor(runtime, author)
    with runtime.database.session() as session:
        comment = add_comment(
            session, actor, ITEM, "Ready? @eve <script>alert(1)</script> [x](javascript:alert(1))"
        )
        comment_id = comment.id
        assert watchers_of(session, ITEM)[-1] == author.id  # the author watches now
        view = list_comments(session, ITEM)[0]
        assert "<script>" not in view.html and "&lt;script&gt;" in view.html
        assert "javascript:" not in view.html.replace("[x](javascript:alert(1))", "")
        assert 'href="javascript' not in view.html
    assert _kinds(runtime, mentioned) == ["comment.mention"]  # once, not also as a watcher
    assert _kinds(runtime, watcher) == ["comment.created"]
    assert _kinds(runtime, author) == []
    with runtime.database.session() as session:
        names = session.scalars(
            select(Event.name).where(Event.object_type == "comment").order_by(Event.id)
        )
        assert list(names) == ["comment.created"]
        assert comment_id


def test_editing_keeps_history_and_notifies_new_mentions_once(
    runtime: Runtime, accounts: Accounts
) -> None:
    author = accounts.person(Role.editor)
    gus = accounts.person(Role.viewer, email="gus@example.com")
    actor = _actor(runtime, author)
    with runtime.database.session() as session:
        comment_id = add_comment(session, actor, ITEM, "First draft").id
    with runtime.database.session() as session:
        edit_comment(session, actor, comment_id, "Second draft, @gus please look")
    with runtime.database.session() as session:
        edit_comment(session, actor, comment_id, "Third draft, @gus please look again")
    with runtime.database.session() as session:
        history = comment_history(session, comment_id)
        assert [h.previous_body for h in history] == [
            "Second draft, @gus please look",
            "First draft",
        ]
        assert all(h.edited_by_id == author.id for h in history)
        assert list_comments(session, ITEM)[0].revisions == 2
        updates = session.scalars(
            select(Event.changes).where(Event.name == "comment.updated").order_by(Event.id)
        ).all()
        assert updates[0]["body"] == {
            "before": "First draft",
            "after": "Second draft, @gus please look",
        }
    assert _kinds(runtime, gus) == ["comment.mention"]


def test_only_the_author_edits_and_author_or_admin_deletes(
    runtime: Runtime, accounts: Accounts
) -> None:
    author, other = accounts.person(Role.editor), accounts.person(Role.editor)
    admin = accounts.person(Role.admin)
    viewer = accounts.person(Role.viewer)
    as_author, as_other = _actor(runtime, author), _actor(runtime, other)
    as_admin, as_viewer = _actor(runtime, admin), _actor(runtime, viewer)
    with runtime.database.session() as session:
        first = add_comment(session, as_author, ITEM, "one").id
        second = add_comment(session, as_author, ITEM, "two").id
    with runtime.database.session() as session:
        with pytest.raises(Forbidden):
            edit_comment(session, as_other, first, "hijacked")
        with pytest.raises(Forbidden):
            delete_comment(session, as_other, first)
        with pytest.raises(Forbidden):
            add_comment(session, as_viewer, ITEM, "viewers only read")
    with runtime.database.session() as session:
        delete_comment(session, as_author, first)
        delete_comment(session, as_admin, second)
    with runtime.database.session() as session:
        assert list_comments(session, ITEM) == []
        deleted = session.scalars(select(Event.actor_id).where(Event.name == "comment.deleted"))
        assert sorted(deleted) == sorted([author.id, admin.id])
        with pytest.raises(NotFound):
            edit_comment(session, as_author, first, "back")


def test_mentions_resolve_local_part_and_name_but_never_guess(
    runtime: Runtime, accounts: Accounts
) -> None:
    accounts.person(email="alex@example.com")
    accounts.person(email="alex@other.example")
    hana = accounts.person(email="h.ito@example.com")
    with runtime.database.session() as session:
        user = session.get(User, hana.id)
        assert user is not None
        user.name = "Hana Ito"
    with runtime.database.session() as session:
        found = find_mentions(session, "@alex and @hana.ito and @h.ito, mail a@b.c, @Hana")
        assert [u.id for u in found] == [hana.id]  # two "alex": nobody is guessed


def test_comment_text_is_checked(runtime: Runtime, accounts: Accounts) -> None:
    actor = _actor(runtime, accounts.person(Role.editor))
    with runtime.database.session() as session:
        with pytest.raises(ValidationFailed) as empty:
            add_comment(session, actor, ITEM, "   ")
        assert empty.value.errors[0].field == "body"
        with pytest.raises(ValidationFailed) as long:
            add_comment(session, actor, ITEM, "x" * 20_001)
        assert long.value.errors[0].field == "body"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/roadmap/items/FEAT-1", "/roadmap/items/FEAT-1"),
        ("https://example.com/x", "https://example.com/x"),
        ("javascript:alert(1)", None),
        ("//evil.example/x", None),
        ("/\\evil.example", None),
        (None, None),
    ],
)
def test_safe_url(given: str | None, kept: str | None) -> None:
    assert safe_url(given) == kept


def test_creators_watch_what_they_create_and_deleting_ends_the_watches(
    runtime: Runtime, accounts: Accounts
) -> None:
    from pilothouse.roadmap import items

    editor, other = accounts.person(Role.editor), accounts.person(Role.viewer)
    actor = _actor(runtime, editor)
    with runtime.database.session() as session:
        item = items.create_item(session, actor, {"kind": "feature", "title": "Audit export"})
        ref = ObjectRef("roadmap_item", str(item.id))
        watch(session, other.id, ref)
    with runtime.database.session() as session:
        assert watchers_of(session, ref) == [editor.id, other.id]
        loaded = items.find_item(session, item.key)
        items.delete_item(session, actor, loaded)
    with runtime.database.session() as session:
        assert watchers_of(session, ref) == []


def test_watchers_hear_what_an_audited_change_changed(runtime: Runtime, accounts: Accounts) -> None:
    from pilothouse.core.notifications.watching import notify_watchers_of_event
    from pilothouse.roadmap import items

    editor, watcher = accounts.person(Role.editor), accounts.person(Role.viewer)
    actor = _actor(runtime, editor)
    with runtime.database.session() as session:
        item = items.create_item(session, actor, {"kind": "feature", "title": "Audit export"})
        watch(session, watcher.id, ObjectRef("roadmap_item", str(item.id)))
    with runtime.database.session() as session:
        loaded = items.find_item(session, item.key)
        items.update_item(session, actor, loaded, {"title": "Audit log export"})
    with runtime.database.session() as session:
        event = session.scalars(
            select(Event).where(Event.name == "roadmap_item.updated").order_by(Event.id.desc())
        ).first()
        assert event is not None
        assert notify_watchers_of_event(session, event) == 1  # the editor made it: not told
        job = session.scalars(select(Event).where(Event.object_type == "job")).all()
        assert job == []
    with runtime.database.session() as session:
        [row] = session.scalars(select(Notification).where(Notification.recipient_id == watcher.id))
        assert row.kind == "watch.changed"
        assert row.title.endswith("changed FEAT-1 Audit log export")
        assert "- title: Audit export → Audit log export" in row.body
