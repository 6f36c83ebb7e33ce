"""External tickets an item came from or tracks: Jira issues, GitHub issues, other URLs.

Each is kept twice, for two readers: a row in ``roadmap_external_refs`` (unique per
system and key, with the URL) that imports use to find the item again, and a core
link ``roadmap_item`` → ``external_ticket`` ``<system>:<key>`` so the ticket shows
up wherever links are followed.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import Conflict, FieldError, NotFound
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Role
from pilothouse.roadmap.common import invalid
from pilothouse.roadmap.items import item_ref
from pilothouse.roadmap.models import ExternalRef, RoadmapItem

__all__ = [
    "EXTERNAL_TYPE",
    "add_external_ref",
    "find_by_external",
    "parse_ticket_url",
    "remove_external_ref",
    "ticket_link_id",
]

EXTERNAL_TYPE = "external_ticket"
_JIRA = re.compile(r"^https?://[^/]+/browse/([A-Z][A-Z0-9_]*-\d+)")
_GITHUB = re.compile(r"^https?://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)")


def parse_ticket_url(url: str) -> tuple[str, str]:
    """(system, key) for a ticket URL: Jira browse and GitHub issue URLs are recognised,
    anything else is system ``url`` with the URL as key."""
    text = url.strip()
    if not text.lower().startswith(("http://", "https://")) or len(text) > 2000:
        raise invalid("url", "a URL starting with http:// or https://")
    if match := _JIRA.match(text):
        return "jira", match.group(1)
    if match := _GITHUB.match(text):
        return "github", f"{match.group(1)}#{match.group(2)}"
    return "url", text[:300]


def ticket_link_id(system: str, key: str) -> str:
    """The core link id ``<system>:<key>``, hashed when longer than a link id may be."""
    plain = f"{system}:{key}"
    if len(plain) <= 64:
        return plain
    return f"{system}:sha256:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def find_by_external(session: Session, system: str, key: str) -> RoadmapItem | None:
    query = select(ExternalRef).where(ExternalRef.system == system, ExternalRef.external_key == key)
    ref = session.scalar(query)
    return session.get(RoadmapItem, ref.item_id) if ref else None


def add_external_ref(
    session: Session,
    actor: Actor,
    item: RoadmapItem,
    *,
    system: str,
    key: str,
    url: str | None = None,
    kind: str = "tracks",
) -> ExternalRef:
    """Attach ticket ``system``/``key`` to ``item``; a ticket belongs to one item only."""
    actor.require(Role.editor, write=True)
    system, key = system.strip().lower()[:32], key.strip()
    if not system or not key or len(key) > 300:
        raise invalid("external_key", "a system and a key of 1 to 300 characters")
    owner = find_by_external(session, system, key)
    if owner is not None and owner.id != item.id:
        raise Conflict(
            f"{system} {key} is already attached to {owner.key}",
            errors=[FieldError("external_key", f"attached to {owner.key}")],
        )
    existing = next(
        (r for r in item.external_refs if r.system == system and r.external_key == key), None
    )
    if existing is not None:
        if url and existing.url != url:
            existing.url = url
        return existing
    ref = ExternalRef(system=system, external_key=key, url=url)
    item.external_refs.append(ref)
    session.flush()
    record_change(
        session,
        actor,
        object_type="roadmap_item",
        object_id=item.id,
        action=Action.updated,
        label=f"{item.key} {item.title}",
        name="roadmap_item.external_ref_added",
        before={"external_ref": None},
        after={"external_ref": f"{system}:{key}", "url": url},
    )
    add_link(
        session, actor, item_ref(item), ObjectRef(EXTERNAL_TYPE, ticket_link_id(system, key)), kind
    )
    return ref


def remove_external_ref(session: Session, actor: Actor, item: RoadmapItem, ref_id: int) -> None:
    actor.require(Role.editor, write=True)
    ref = next((r for r in item.external_refs if r.id == ref_id), None)
    if ref is None:
        raise NotFound(f"{item.key} has no external ticket {ref_id}")
    target = ObjectRef(EXTERNAL_TYPE, ticket_link_id(ref.system, ref.external_key))
    for link in links_of(session, item_ref(item)):
        if (link.to_type, link.to_id) == (target.type, target.id):
            remove_link(session, actor, link)
    record_change(
        session,
        actor,
        object_type="roadmap_item",
        object_id=item.id,
        action=Action.updated,
        label=f"{item.key} {item.title}",
        name="roadmap_item.external_ref_removed",
        before={"external_ref": f"{ref.system}:{ref.external_key}"},
        after={"external_ref": None},
    )
    item.external_refs.remove(ref)
    session.flush()
