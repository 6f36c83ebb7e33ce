"""Comments with @mentions on any watchable object, with their edit history.

A comment notifies the people it mentions (``@name`` or ``@email-localpart``) and
everyone watching the object; its author starts watching. Edits keep the previous
text (who, when); deleting hides the comment but keeps it and its history. Every
create, edit and delete is in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role, User
from pilothouse.core.notifications.markdown import render_markdown
from pilothouse.core.notifications.models import Comment, CommentRevision
from pilothouse.core.notifications.service import notify, resolve_refs
from pilothouse.core.notifications.watching import check_watchable, notify_watchers, watch

__all__ = [
    "MAX_COMMENT_CHARS",
    "CommentView",
    "add_comment",
    "comment_history",
    "delete_comment",
    "edit_comment",
    "find_mentions",
    "get_comment",
    "list_comments",
    "mention_handles",
    "mention_suggestions",
    "revision_views",
]

MAX_COMMENT_CHARS = 20_000
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]|[A-Za-z0-9])")


def mention_handles(user: User) -> set[str]:
    """What ``@...`` names a person: e-mail local part, name without spaces, name.with.dots."""
    name = user.name.strip().lower()
    handles = {user.email.split("@", 1)[0].lower()}
    if name:
        handles |= {name.replace(" ", ""), name.replace(" ", "."), name.replace(" ", "_")}
    return handles


def find_mentions(session: Session, text: str) -> list[User]:
    """Active people ``text`` mentions, each once, in order of first mention.

    A handle that fits several people (two "alex" local parts) mentions nobody
    rather than the wrong person; first names count when exactly one person has it.
    """
    wanted = [m.lower() for m in MENTION.findall(text or "")]
    if not wanted:
        return []
    people = session.scalars(select(User).where(User.is_active.is_(True))).all()
    by_handle: dict[str, list[User]] = {}
    for person in people:
        for handle in mention_handles(person):
            by_handle.setdefault(handle, []).append(person)
    first_names: dict[str, list[User]] = {}
    for person in people:
        first = person.name.strip().split(" ")[0].lower()
        first_names.setdefault(first, []).append(person)
    found: list[User] = []
    for handle in wanted:
        matches = by_handle.get(handle) or first_names.get(handle) or []
        if len(matches) == 1 and matches[0] not in found:
            found.append(matches[0])
    return found


def mention_suggestions(session: Session, prefix: str, limit: int = 8) -> list[dict[str, str]]:
    """People whose handle or name starts with ``prefix``, for @mention autocomplete.

    Each suggestion's ``handle`` is the part of their e-mail before the ``@``, which
    :func:`find_mentions` resolves back to them.
    """
    wanted = prefix.strip().lower().lstrip("@")
    if not wanted:
        return []
    people = session.scalars(
        select(User).where(User.is_active.is_(True)).order_by(User.name, User.id)
    ).all()
    found = []
    for person in people:
        handles = mention_handles(person) | {w.lower() for w in person.name.split()}
        if any(h.startswith(wanted) for h in handles):
            found.append({"handle": person.email.split("@", 1)[0], "name": person.name})
        if len(found) >= limit:
            break
    return found


def _check_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("a comment needs text", errors=[FieldError("body", "empty")])
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationFailed(
            f"a comment may have at most {MAX_COMMENT_CHARS} characters",
            errors=[FieldError("body", f"{len(text)} characters")],
        )
    return text


def _label(session: Session, ref: ObjectRef) -> tuple[str, str | None]:
    from pilothouse.core.references import type_label

    reference = resolve_refs(session, [ref]).get(ref)
    if reference is None:
        return f"{type_label(ref.type)} {ref.id}", None
    return reference.label, reference.url


def _excerpt(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _who(session: Session, actor: Actor) -> str:
    """The actor's name as people know them (their e-mail for the command line)."""
    author = session.get(User, actor.user_id) if actor.user_id is not None else None
    return author.name if author else actor.label


def _notify_about(
    session: Session, actor: Actor, comment: Comment, mentioned: Sequence[User], url: str | None
) -> None:
    ref = ObjectRef(comment.object_type, comment.object_id)
    label, found_url = _label(session, ref)
    link = url or found_url
    who = _who(session, actor)
    body = _excerpt(comment.body)
    notify(
        session,
        recipients=[m.id for m in mentioned],
        kind="comment.mention",
        title=f"{who} mentioned you on {label}",
        body_markdown=body,
        ref=ref,
        url=link,
        actor_id=actor.user_id,
    )
    notify_watchers(
        session,
        ref,
        kind="comment.created",
        title=f"{who} commented on {label}",
        body_markdown=body,
        url=link,
        actor_id=actor.user_id,
        exclude=[m.id for m in mentioned],
    )


def add_comment(
    session: Session, actor: Actor, ref: ObjectRef, body: str, *, url: str | None = None
) -> Comment:
    """Comment on ``ref``; mentioned people and watchers are notified, the author watches.

    Args:
        url: the page the comment was made on, used as the notification's link when
            the reference presenter knows no page for the object.
    """
    actor.require(Role.editor, write=True)
    ref = check_watchable(ref)
    text = _check_body(body)
    comment = Comment(object_type=ref.type, object_id=ref.id, author_id=actor.user_id, body=text)
    session.add(comment)
    session.flush()
    record_change(
        session,
        actor,
        object_type="comment",
        object_id=comment.id,
        action=Action.created,
        label=f"comment on {ref}",
        after={"object": str(ref), "body": text},
    )
    if actor.user_id is not None:
        watch(session, actor.user_id, ref)
    _notify_about(session, actor, comment, find_mentions(session, text), url)
    return comment


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise NotFound(f"no comment {comment_id}")
    return comment


def _may_change(actor: Actor, comment: Comment, *, admin_too: bool) -> None:
    actor.require(Role.editor, write=True)
    if comment.author_id == actor.user_id and actor.user_id is not None:
        return
    if admin_too and actor.role is Role.admin:
        return
    who = "its author or an admin" if admin_too else "its author"
    raise Forbidden(f"only {who} may change this comment")


def edit_comment(
    session: Session, actor: Actor, comment_id: int, body: str, *, url: str | None = None
) -> Comment:
    """Replace a comment's text (author only); the old text is kept as a revision.

    People mentioned for the first time by the edit are notified; nobody twice.
    """
    comment = get_comment(session, comment_id)
    _may_change(actor, comment, admin_too=False)
    text = _check_body(body)
    if text == comment.body:
        return comment
    before = comment.body
    already = {u.id for u in find_mentions(session, before)}
    session.add(
        CommentRevision(comment_id=comment.id, previous_body=before, edited_by_id=actor.user_id)
    )
    comment.body, comment.edited_at = text, utcnow()
    session.flush()
    record_change(
        session,
        actor,
        object_type="comment",
        object_id=comment.id,
        action=Action.updated,
        label=f"comment on {comment.object_type}:{comment.object_id}",
        before={"body": before},
        after={"body": text},
    )
    fresh = [u for u in find_mentions(session, text) if u.id not in already]
    if fresh:
        _notify_mentioned(session, actor, comment, fresh, url)
    return comment


def _notify_mentioned(
    session: Session, actor: Actor, comment: Comment, people: Sequence[User], url: str | None
) -> None:
    """People an edit mentions for the first time hear about it once."""
    ref = ObjectRef(comment.object_type, comment.object_id)
    label, found_url = _label(session, ref)
    notify(
        session,
        recipients=[u.id for u in people],
        kind="comment.mention",
        title=f"{_who(session, actor)} mentioned you on {label}",
        body_markdown=_excerpt(comment.body),
        ref=ref,
        url=url or found_url,
        actor_id=actor.user_id,
    )


def delete_comment(session: Session, actor: Actor, comment_id: int) -> Comment:
    """Hide a comment (its author or an admin); the row and its history stay for the audit."""
    comment = get_comment(session, comment_id)
    _may_change(actor, comment, admin_too=True)
    comment.deleted_at, comment.deleted_by_id = utcnow(), actor.user_id
    session.flush()
    record_change(
        session,
        actor,
        object_type="comment",
        object_id=comment.id,
        action=Action.deleted,
        label=f"comment on {comment.object_type}:{comment.object_id}",
        before={"object": f"{comment.object_type}:{comment.object_id}", "body": comment.body},
    )
    return comment


@dataclass(frozen=True)
class CommentView:
    """A comment ready to show: author's name, safe HTML, and how often it was edited."""

    id: int
    author_id: int | None
    author_name: str
    body: str
    html: Markup
    created_at: datetime
    edited_at: datetime | None
    revisions: int


def list_comments(session: Session, ref: ObjectRef) -> list[CommentView]:
    """The visible comments on ``ref``, oldest first."""
    rows = session.execute(
        select(Comment, User.name)
        .outerjoin(User, User.id == Comment.author_id)
        .where(
            Comment.object_type == ref.type,
            Comment.object_id == str(ref.id),
            Comment.deleted_at.is_(None),
        )
        .order_by(Comment.id)
    ).all()
    ids = [c.id for c, _ in rows]
    counts = (
        dict(
            session.execute(
                select(CommentRevision.comment_id, func.count())
                .where(CommentRevision.comment_id.in_(ids))
                .group_by(CommentRevision.comment_id)
            ).all()
        )
        if ids
        else {}
    )
    return [
        CommentView(
            c.id,
            c.author_id,
            name or "(former user)",
            c.body,
            render_markdown(c.body),
            c.created_at,
            c.edited_at,
            int(counts.get(c.id, 0)),
        )
        for c, name in rows
    ]


def comment_history(session: Session, comment_id: int) -> list[CommentRevision]:
    """Earlier texts of a comment, newest first."""
    get_comment(session, comment_id)
    query = select(CommentRevision).where(CommentRevision.comment_id == comment_id)
    return list(session.scalars(query.order_by(CommentRevision.id.desc())))


@dataclass(frozen=True)
class RevisionView:
    """One earlier text of a comment as the history page shows it."""

    previous_body: str
    html: Markup
    edited_by: str
    edited_at: datetime


def revision_views(session: Session, comment_id: int) -> list[RevisionView]:
    """The history of a comment with editors' names, newest first."""
    rows = session.execute(
        select(CommentRevision, User.name)
        .outerjoin(User, User.id == CommentRevision.edited_by_id)
        .where(CommentRevision.comment_id == get_comment(session, comment_id).id)
        .order_by(CommentRevision.id.desc())
    ).all()
    return [
        RevisionView(
            r.previous_body, render_markdown(r.previous_body), n or "(former user)", r.edited_at
        )
        for r, n in rows
    ]
