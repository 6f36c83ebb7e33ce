"""Playbooks: create, edit (each edit keeps the previous version), review, link, diff.

A playbook is addressed by its slug. Every change stores a new immutable
:class:`~pilothouse.playbooks.models.PlaybookRevision` with the full title and body,
so the history page can show any version and the difference between any two; the
audit log gets the same change. "Reviewed" means the owner confirmed the text still
holds: it sets ``reviewed_on`` and clears the *stale* flag (see :func:`is_stale`).

Markdown files (``to_markdown``/``from_markdown``, in ``playbooks.files``) are the
form used by workspace export/apply; :func:`apply_markdown` creates or updates from one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Role
from pilothouse.playbooks.common import (
    PLAYBOOK_TYPE,
    SLUG,
    check_ref,
    clean_slug,
    clean_text,
    invalid,
    parse_date,
    resolve_user,
    slugify,
)
from pilothouse.playbooks.files import PlaybookFile, from_markdown, to_markdown
from pilothouse.playbooks.models import Playbook, PlaybookRevision
from pilothouse.playbooks.search import index_playbook

__all__ = [
    "DEFAULT_STALE_DAYS",
    "EDITABLE",
    "LINK_KIND",
    "apply_markdown",
    "create_playbook",
    "diff_versions",
    "find_playbook",
    "from_markdown",
    "get_revision",
    "is_stale",
    "link_playbook",
    "linked_refs",
    "list_playbooks",
    "list_revisions",
    "mark_reviewed",
    "playbook_ref",
    "stale_playbooks",
    "to_markdown",
    "unlink_playbook",
    "update_playbook",
]

DEFAULT_STALE_DAYS = 180
LINK_KIND = "describes"
EDITABLE = ("title", "body", "owner", "reviewed_on")
MAX_BODY = 200_000


def playbook_ref(playbook: Playbook) -> ObjectRef:
    return ObjectRef(PLAYBOOK_TYPE, str(playbook.id))


def find_playbook(session: Session, slug: str) -> Playbook:
    """A playbook by slug (any case) or numeric id."""
    text = str(slug).strip()
    if text.isdigit():
        playbook = session.get(Playbook, int(text))
    elif SLUG.match(text.lower()):
        playbook = session.scalar(select(Playbook).where(Playbook.slug == text.lower()))
    else:
        playbook = None  # not a slug: nothing to look up
    if playbook is None:
        raise NotFound(f"no playbook {text!r}")
    return playbook


def list_playbooks(session: Session) -> list[Playbook]:
    """Every playbook, by title."""
    return list(session.scalars(select(Playbook).order_by(Playbook.title, Playbook.id)))


def is_stale(playbook: Playbook, stale_days: int, today: date | None = None) -> bool:
    """Never reviewed, or last reviewed more than ``stale_days`` days ago."""
    if playbook.reviewed_on is None:
        return True
    return playbook.reviewed_on < (today or date.today()) - timedelta(days=stale_days)


def stale_playbooks(session: Session, stale_days: int, today: date | None = None) -> list[Playbook]:
    """The playbooks due for review, oldest review first (never reviewed first of all)."""
    stale = [p for p in list_playbooks(session) if is_stale(p, stale_days, today)]
    return sorted(stale, key=lambda p: (p.reviewed_on or date.min, p.title))


def _snapshot(playbook: Playbook) -> dict[str, Any]:
    return {
        "title": playbook.title,
        "body": playbook.body,
        "owner": playbook.owner.email if playbook.owner else None,
        "reviewed_on": playbook.reviewed_on.isoformat() if playbook.reviewed_on else None,
    }


def _record(
    session: Session, actor: Actor, playbook: Playbook, action: str, before: dict[str, Any] | None
) -> PlaybookRevision | None:
    """Store the next revision and its audit event if anything changed."""
    session.flush()
    session.expire(playbook, ["owner"])
    after = _snapshot(playbook)
    if before is not None and before == after:
        return None
    playbook.version += 1
    revision = PlaybookRevision(
        playbook_id=playbook.id,
        version=playbook.version,
        action=action,
        title=playbook.title,
        body=playbook.body,
        owner_email=after["owner"] or "",
        reviewed_on=playbook.reviewed_on,
        actor_id=actor.user_id,
        actor_label=actor.label,
    )
    session.add(revision)
    index_playbook(session, playbook)
    record_change(
        session,
        actor,
        object_type=PLAYBOOK_TYPE,
        object_id=playbook.id,
        action=Action.created if before is None else Action.updated,
        label=playbook.title,
        before=before,
        after=after,
        name=f"{PLAYBOOK_TYPE}.{action}",
    )
    session.flush()
    return revision


def _apply(session: Session, playbook: Playbook, values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise invalid(unknown[0], "unknown field")
    if "title" in values:
        playbook.title = clean_text(values["title"], "title", required=True)
    if "body" in values:
        playbook.body = clean_text(values["body"], "body", max_length=MAX_BODY)
    if "owner" in values:
        owner = resolve_user(session, values["owner"], "owner", keep=playbook.owner_id)
        playbook.owner_id = owner.id if owner else None
    if "reviewed_on" in values:
        reviewed = parse_date(values["reviewed_on"], "reviewed_on")
        if reviewed is not None and reviewed > date.today():
            raise invalid("reviewed_on", "must not be in the future")
        playbook.reviewed_on = reviewed


def _check_links(session: Session, links: Sequence[str]) -> list[ObjectRef]:
    return list(dict.fromkeys(check_ref(session, t, f"links.{i}") for i, t in enumerate(links)))


def create_playbook(
    session: Session, actor: Actor, values: Mapping[str, Any], *, links: Sequence[str] = ()
) -> Playbook:
    """Create a playbook; the slug defaults to the title's. ``links``: ``TYPE:ID`` of the
    templates it describes, linked in the same transaction."""
    actor.require(Role.editor, write=True)
    values = dict(values)
    title = clean_text(values.get("title"), "title", required=True)
    raw_slug = values.pop("slug", None) or slugify(title)
    slug = clean_slug(raw_slug)
    if session.scalar(select(Playbook.id).where(Playbook.slug == slug)) is not None:
        raise Conflict(f"a playbook {slug!r} exists", errors=[FieldError("slug", "taken")])
    targets = _check_links(session, links)
    playbook = Playbook(slug=slug, title=title, body="", version=0, created_by_id=actor.user_id)
    _apply(session, playbook, values)
    session.add(playbook)
    session.flush()
    for target in targets:
        add_link(session, actor, playbook_ref(playbook), target, LINK_KIND)
    _record(session, actor, playbook, "created", None)
    return playbook


def _check_version(playbook: Playbook, expected: int | None) -> None:
    if expected is not None and expected != playbook.version:
        raise Conflict(
            f"{playbook.slug} changed meanwhile (now version {playbook.version}, you edited "
            f"version {expected}); reload and apply your change again",
            errors=[FieldError("version", f"expected {expected}, is {playbook.version}")],
        )


def update_playbook(
    session: Session,
    actor: Actor,
    playbook: Playbook,
    values: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Playbook:
    """Change the given fields; the previous version stays in the history."""
    actor.require(Role.editor, write=True)
    _check_version(playbook, expected_version)
    before = _snapshot(playbook)
    _apply(session, playbook, values)
    _record(session, actor, playbook, "updated", before)
    return playbook


def mark_reviewed(
    session: Session, actor: Actor, playbook: Playbook, on: date | None = None
) -> Playbook:
    """Record that the text was reviewed (today unless ``on``), which clears *stale*."""
    actor.require(Role.editor, write=True)
    before = _snapshot(playbook)
    _apply(session, playbook, {"reviewed_on": on or date.today()})
    _record(session, actor, playbook, "reviewed", before)
    return playbook


def linked_refs(session: Session, playbook: Playbook) -> list[tuple[int, ObjectRef]]:
    """``(link id, target)`` of what the playbook describes, in the order linked."""
    me = playbook_ref(playbook)
    return [
        (link.id, ObjectRef(link.to_type, link.to_id))
        for link in links_of(session, me)
        if (link.from_type, link.from_id) == (me.type, me.id)
    ]


def link_playbook(session: Session, actor: Actor, playbook: Playbook, target: str) -> int:
    """Link the playbook to ``TYPE:ID``; returns the link id."""
    actor.require(Role.editor, write=True)
    ref = check_ref(session, target, "target")
    return add_link(session, actor, playbook_ref(playbook), ref, LINK_KIND).id


def unlink_playbook(session: Session, actor: Actor, playbook: Playbook, link_id: int) -> None:
    actor.require(Role.editor, write=True)
    for link in links_of(session, playbook_ref(playbook)):
        if link.id == link_id and link.from_type == PLAYBOOK_TYPE:
            remove_link(session, actor, link)
            return
    raise NotFound(f"{playbook.slug} has no link {link_id}")


def list_revisions(session: Session, playbook: Playbook) -> list[PlaybookRevision]:
    """Every revision, newest first."""
    query = (
        select(PlaybookRevision)
        .where(PlaybookRevision.playbook_id == playbook.id)
        .order_by(PlaybookRevision.version.desc())
    )
    return list(session.scalars(query))


def get_revision(session: Session, playbook: Playbook, version: int) -> PlaybookRevision:
    revision = session.scalar(
        select(PlaybookRevision).where(
            PlaybookRevision.playbook_id == playbook.id, PlaybookRevision.version == version
        )
    )
    if revision is None:
        raise NotFound(f"{playbook.slug} has no version {version}")
    return revision


def diff_versions(session: Session, playbook: Playbook, old: int, new: int) -> list[str]:
    """A unified diff (title line, then body) from version ``old`` to version ``new``."""
    before, after = get_revision(session, playbook, old), get_revision(session, playbook, new)
    lines_before = [f"# {before.title}", "", *before.body.splitlines()]
    lines_after = [f"# {after.title}", "", *after.body.splitlines()]
    return list(
        difflib.unified_diff(
            lines_before, lines_after, f"version {old}", f"version {new}", lineterm=""
        )
    )


def apply_markdown(session: Session, actor: Actor, text: str, path: str) -> Playbook:
    """Create or update the playbook a Markdown file describes (matched by slug).

    The file is parsed and checked completely before anything is written, so a bad file
    changes nothing; links in the file are added (existing links are kept).
    """
    parsed: PlaybookFile = from_markdown(text, path)
    values = parsed.values()
    existing = session.scalar(select(Playbook).where(Playbook.slug == parsed.slug))
    try:
        if existing is None:
            values["slug"] = parsed.slug
            return create_playbook(session, actor, values, links=parsed.links)
        targets = _check_links(session, parsed.links)
        update_playbook(session, actor, existing, values)
    except ValidationFailed as exc:
        raise parsed.located(exc) from None
    for target in targets:
        add_link(session, actor, playbook_ref(existing), target, LINK_KIND)
    return existing
