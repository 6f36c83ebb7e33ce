"""How roadmap objects are named and linked on every page (``core.references``).

Links address a roadmap item by its id or by any key it ever had (``FEAT-12``), and
an objective by id or key; both spellings resolve, with one query per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select

from pilothouse.core.reference_types import named_resolver, numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.roadmap.models import ItemKey, Objective, RoadmapField, RoadmapItem

__all__ = ["resolve_fields", "resolve_items", "resolve_objectives"]


def resolve_items(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Roadmap items by id or any of their keys: title, page, current key as detail."""
    keys = sorted({i.upper() for i in ids if not i.isdigit()})
    by_key: dict[str, int] = {}
    if keys:  # most references are by id: no statement for an empty list
        rows = context.session.execute(
            select(ItemKey.key, ItemKey.item_id).where(ItemKey.key.in_(keys))
        )
        by_key = dict(rows.all())
    wanted = set(numeric_ids(ids)) | set(by_key.values())
    if not wanted:
        return {}
    rows = context.session.execute(
        select(RoadmapItem.id, RoadmapItem.key, RoadmapItem.title).where(
            RoadmapItem.id.in_(sorted(wanted))
        )
    )
    found = {item_id: Found(title, f"/roadmap/items/{key}", key) for item_id, key, title in rows}
    out: dict[str, Found] = {}
    for ident in ids:
        item_id = int(ident) if ident.isdigit() else by_key.get(ident.upper())
        if item_id in found:
            out[ident] = found[item_id]
    return out


def resolve_objectives(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Objectives by id or key, linked to their place on the objectives page."""
    keys = [i.upper() for i in ids if not i.isdigit()]
    rows = context.session.execute(
        select(Objective.id, Objective.key, Objective.title).where(
            or_(Objective.id.in_(numeric_ids(ids)), Objective.key.in_(keys))
        )
    )
    out: dict[str, Found] = {}
    for objective_id, key, title in rows:
        found = Found(title, f"/roadmap/objectives#{key}", key)
        for ident in ids:
            if ident == str(objective_id) or ident.upper() == key:
                out[ident] = found
    return out


register_type("roadmap_item", "Roadmap item", resolve_items)
register_type("objective", "Objective", resolve_objectives)

#: Custom roadmap fields by id or name; they have no page of their own.
resolve_fields = named_resolver(RoadmapField, None)
register_type("roadmap_field", "Roadmap field", resolve_fields)
