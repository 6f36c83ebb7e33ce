"""How core's own objects are named on pages: people (``user``) and product areas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select

from pilothouse.core.models import ProductArea, User
from pilothouse.core.references import Found, ResolveContext, register_type

__all__ = [
    "keyed_resolver",
    "named_resolver",
    "numeric_ids",
    "resolve_areas",
    "resolve_users",
    "slugged_resolver",
]


def numeric_ids(ids: Sequence[str]) -> list[int]:
    """The ids that are numbers, as ints (links store ids as text)."""
    return sorted({int(i) for i in ids if str(i).isdigit()})


def keyed_resolver(model: Any, title: str, url: str, detail: str = "key") -> Any:
    """A resolver for a table with ``id`` and a unique public ``key`` (``LAUNCH-3``,
    ``EXP-2``, ``DEC-7``): both spellings resolve, one query per batch.

    Args:
        title: the attribute that names the object (``name`` or ``title``).
        url: the page address with ``{key}`` in it, such as ``/launches/{key}``.
    """

    def resolve_keyed(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
        keys = [i.upper() for i in ids if not i.isdigit()]
        columns = (model.id, model.key, getattr(model, title), getattr(model, detail))
        query = select(*columns).where(or_(model.id.in_(numeric_ids(ids)), model.key.in_(keys)))
        out: dict[str, Found] = {}
        for row_id, key, name, extra in context.session.execute(query):
            found = Found(name, url.format(key=key), str(getattr(extra, "value", extra)))
            for ident in ids:
                if ident == str(row_id) or ident.upper() == key:
                    out[ident] = found
        return out

    return resolve_keyed


def slugged_resolver(model: Any, title: str, url: str, detail: str = "slug") -> Any:
    """A resolver for a table with ``id`` and a unique lower-case ``slug`` (playbooks,
    tools, dashboards): both spellings resolve, one query per batch.

    Args:
        title: the attribute that names the object (``name`` or ``title``).
        url: the page address with ``{slug}`` in it, such as ``/tools/{slug}``.
        detail: the attribute shown beside the name.
    """

    def resolve_slugged(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
        slugs = [i.lower() for i in ids if not i.isdigit()]
        columns = (model.id, model.slug, getattr(model, title), getattr(model, detail))
        query = select(*columns).where(or_(model.id.in_(numeric_ids(ids)), model.slug.in_(slugs)))
        out: dict[str, Found] = {}
        for row_id, slug, name, extra in context.session.execute(query):
            found = Found(name, url.format(slug=slug), str(getattr(extra, "value", extra)))
            for ident in ids:
                if ident == str(row_id) or ident.lower() == slug:
                    out[ident] = found
        return out

    return resolve_slugged


def named_resolver(model: Any, url: str | None, title: str = "name") -> Any:
    """A resolver for a table with ``id`` and a unique name (launch templates, experiment
    templates, custom fields): by id or exact name, one query per batch.

    Args:
        url: the page that lists these objects (``{id}`` is filled in), or None.
    """

    def resolve_named(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
        name_column = getattr(model, title)
        names = [i for i in ids if not i.isdigit()]
        query = select(model.id, name_column).where(
            or_(model.id.in_(numeric_ids(ids)), name_column.in_(names))
        )
        out: dict[str, Found] = {}
        for row_id, name in context.session.execute(query):
            found = Found(name, url.format(id=row_id) if url else None)
            for ident in ids:
                if ident in (str(row_id), name):
                    out[ident] = found
        return out

    return resolve_named


def resolve_users(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """People by id: their name (no page of their own; the e-mail is the detail)."""
    rows = context.session.execute(
        select(User.id, User.name, User.email).where(User.id.in_(numeric_ids(ids)))
    )
    return {str(i): Found(name or email, None, email) for i, name, email in rows}


def resolve_areas(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Product areas by id or slug, linked to the area's page."""
    query = select(ProductArea.id, ProductArea.slug, ProductArea.name)
    out: dict[str, Found] = {}
    wanted = set(ids)
    for area_id, slug, name in context.session.execute(query):
        found = Found(name, f"/areas/{slug}")
        for key in (str(area_id), slug):
            if key in wanted:
                out[key] = found
    return out


register_type("user", "Person", resolve_users)
register_type("product_area", "Product area", resolve_areas)
