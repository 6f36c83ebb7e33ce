"""How tools are named and linked on every page (``core.references``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select

from pilothouse.core.reference_types import numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.tools.models import Tool

__all__ = ["resolve_tools"]


def resolve_tools(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Tools by id or slug: name, page, category as detail."""
    slugs = [i.lower() for i in ids if not i.isdigit()]
    query = select(Tool.id, Tool.slug, Tool.name, Tool.category).where(
        or_(Tool.id.in_(numeric_ids(ids)), Tool.slug.in_(slugs))
    )
    out: dict[str, Found] = {}
    for row_id, slug, name, category in context.session.execute(query):
        found = Found(name, f"/tools/{slug}", category)
        for ident in ids:
            if ident == str(row_id) or ident.lower() == slug:
                out[ident] = found
    return out


register_type("tool", "Tool", resolve_tools)
