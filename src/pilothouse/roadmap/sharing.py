"""Read-only share links: one saved view, for stakeholders without an account.

The link carries a random token; only its keyed hash is stored (as for API tokens,
see :mod:`pilothouse.core.security`), so the database alone cannot open a link.
The page shows the view's items live, but only the fields the creator chose. A
link works until it expires (at most a year; 30 days unless said otherwise) or is
revoked; unknown, expired and revoked tokens are answered the same way (404), so
a guesser learns nothing. Creating and revoking are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import execute_beside, utcnow
from pilothouse.core.errors import Forbidden, NotFound
from pilothouse.core.models import Role
from pilothouse.core.security import SecretHasher, new_secret
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap.common import invalid
from pilothouse.roadmap.models import RoadmapView, ShareLink
from pilothouse.roadmap.views import get_view

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "SHARE_PREFIX",
    "SHAREABLE_FIELDS",
    "ShareField",
    "create_share_link",
    "get_share_link",
    "is_live",
    "list_share_links",
    "open_share_link",
    "revoke_share_link",
    "shareable_fields",
]

SHARE_OBJECT_TYPE = "roadmap_share_link"
SHARE_PREFIX = "phs_"
DEFAULT_DAYS = 30
MAX_DAYS = 365
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ShareField:
    key: str
    label: str


#: What a share link may show besides the title, which it always shows.
SHAREABLE_FIELDS = (
    ShareField("key", "Key"),
    ShareField("kind", "Kind"),
    ShareField("status", "Status"),
    ShareField("horizon", "Horizon"),
    ShareField("description", "Description"),
    ShareField("owner", "Owner"),
    ShareField("product_area", "Product area"),
    ShareField("target_quarter", "Quarter"),
    ShareField("start_date", "Start"),
    ShareField("target_date", "Target date"),
    ShareField("tags", "Tags"),
    ShareField("objectives", "Objectives"),
    ShareField("score", "Score"),
)
DEFAULT_FIELDS = ("key", "status", "target_quarter")


def shareable_fields(session: Session) -> list[ShareField]:
    custom = [ShareField(f"field:{f.key}", f.name) for f in custom_fields.list_fields(session)]
    return [*SHAREABLE_FIELDS, *custom]


def _clean_fields(session: Session, raw: Sequence[str] | None) -> list[str]:
    if raw is None:
        return list(DEFAULT_FIELDS)
    known = {f.key for f in shareable_fields(session)}
    chosen: list[str] = []
    for index, key in enumerate(raw):
        key = str(key).strip()
        if key == "title":
            continue  # always shown
        if key not in known:
            raise invalid(f"fields.{index}", f"{key!r} cannot be shared; see shareable fields")
        if key not in chosen:
            chosen.append(key)
    return chosen


def _expiry(expires_at: datetime | None, days: int | None) -> datetime:
    now = utcnow()
    if expires_at is None:
        days = DEFAULT_DAYS if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise invalid("expires_in_days", f"from 1 to {MAX_DAYS} days")
        return now + timedelta(days=days)
    if expires_at.tzinfo is None:
        raise invalid("expires_at", "a time with a time zone, e.g. 2026-12-31T00:00:00Z")
    if expires_at <= now:
        raise invalid("expires_at", "must be in the future")
    if expires_at > now + timedelta(days=MAX_DAYS):
        raise invalid("expires_at", f"at most {MAX_DAYS} days ahead")
    return expires_at


def is_live(link: ShareLink, now: datetime | None = None) -> bool:
    return link.revoked_at is None and link.expires_at > (now or utcnow())


def create_share_link(
    session: Session,
    actor: Actor,
    hasher: SecretHasher,
    view: RoadmapView,
    *,
    fields: Sequence[str] | None = None,
    label: str = "",
    expires_at: datetime | None = None,
    expires_in_days: int | None = None,
) -> tuple[ShareLink, str]:
    """A new link to ``view``; returns the row and the token, which is never stored."""
    actor.require(Role.editor, write=True)
    get_view(session, actor, view.id)  # the creator must be able to see the view
    label = label.strip()
    if len(label) > 100:
        raise invalid("label", "at most 100 characters")
    token = new_secret(SHARE_PREFIX)
    link = ShareLink(
        view_id=view.id,
        token_hash=hasher.digest(token),
        prefix=token[:10],
        label=label,
        fields=_clean_fields(session, fields),
        expires_at=_expiry(expires_at, expires_in_days),
        created_by_id=actor.user_id,
    )
    session.add(link)
    session.flush()
    record_change(
        session,
        actor,
        object_type=SHARE_OBJECT_TYPE,
        object_id=link.id,
        action=Action.created,
        name="roadmap_share_link.created",
        label=f"{view.name}: {label or link.prefix}",
        after={
            "view": view.id,
            "fields": link.fields,
            "expires_at": link.expires_at.isoformat(),
        },
    )
    return link, token


def list_share_links(session: Session, actor: Actor, *, everyone: bool = False) -> list[ShareLink]:
    """The actor's links, newest first; ``everyone`` (admins only) lists all."""
    query = select(ShareLink).order_by(ShareLink.id.desc())
    if everyone:
        actor.require(Role.admin)
    else:
        query = query.where(ShareLink.created_by_id == actor.user_id)
    return list(session.scalars(query))


def get_share_link(session: Session, actor: Actor, link_id: int) -> ShareLink:
    """A link the actor made (admins: any link)."""
    link = session.get(ShareLink, link_id)
    if link is None or (link.created_by_id != actor.user_id and not actor.role.allows(Role.admin)):
        raise NotFound(f"no share link {link_id}")
    return link


def revoke_share_link(session: Session, actor: Actor, link: ShareLink) -> ShareLink:
    """Stop a link from working; its creator or an admin may. Revoking twice is harmless."""
    actor.require(Role.editor, write=True)
    if link.created_by_id != actor.user_id and not actor.role.allows(Role.admin):
        raise Forbidden("only the creator of a share link or an admin may revoke it")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.flush()
        record_change(
            session,
            actor,
            object_type=SHARE_OBJECT_TYPE,
            object_id=link.id,
            action=Action.updated,
            name="roadmap_share_link.revoked",
            label=f"{link.view.name}: {link.label or link.prefix}",
            before={"revoked": False},
            after={"revoked": True},
        )
    return link


def open_share_link(session: Session, hasher: SecretHasher, token: str) -> ShareLink:
    """The live link for ``token``; unknown, revoked and expired all raise the same 404."""
    link = None
    if token.startswith(SHARE_PREFIX) and len(token) < 200:
        link = session.scalar(select(ShareLink).where(ShareLink.token_hash == hasher.digest(token)))
    now = utcnow()
    if link is None or not is_live(link, now):
        raise NotFound("this share link does not exist, has expired or was revoked")
    if link.last_used_at is None or now - link.last_used_at > LAST_USED_RESOLUTION:
        # A share page is a GET: the last use is written beside its reading session.
        execute_beside(session, update(ShareLink).filter_by(id=link.id).values(last_used_at=now))
        set_committed_value(link, "last_used_at", now)
    return link
