"""How dashboards are named and linked on every page (``core.references``): the audit
log's ``dashboard`` entries, and links to a dashboard from anywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select

from pilothouse.core.reference_types import numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.ops.dashboards.models import Dashboard

__all__ = ["resolve_dashboards"]


def resolve_dashboards(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Dashboards by id or slug: name, page, visibility as detail."""
    slugs = [i.lower() for i in ids if not i.isdigit()]
    query = select(Dashboard.id, Dashboard.slug, Dashboard.name, Dashboard.visibility).where(
        or_(Dashboard.id.in_(numeric_ids(ids)), Dashboard.slug.in_(slugs))
    )
    out: dict[str, Found] = {}
    for row_id, slug, name, visibility in context.session.execute(query):
        found = Found(name, f"/dashboards/{slug}", visibility)
        for ident in ids:
            if ident == str(row_id) or ident.lower() == slug:
                out[ident] = found
    return out


register_type("dashboard", "Dashboard", resolve_dashboards)
