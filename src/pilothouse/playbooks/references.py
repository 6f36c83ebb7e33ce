"""How playbooks are named and linked on every page (``core.references``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select

from pilothouse.core.reference_types import numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.playbooks.models import Playbook

__all__ = ["resolve_playbooks"]


def resolve_playbooks(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Playbooks by id or slug: title, page, slug as detail."""
    slugs = [i.lower() for i in ids if not i.isdigit()]
    query = select(Playbook.id, Playbook.slug, Playbook.title).where(
        or_(Playbook.id.in_(numeric_ids(ids)), Playbook.slug.in_(slugs))
    )
    out: dict[str, Found] = {}
    for playbook_id, slug, title in context.session.execute(query):
        found = Found(title, f"/playbooks/{slug}", slug)
        for ident in ids:
            if ident == str(playbook_id) or ident.lower() == slug:
                out[ident] = found
    return out


register_type("playbook", "Playbook", resolve_playbooks)
