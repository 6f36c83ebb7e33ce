"""Product areas: the shared taxonomy every domain tags its objects with."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import ProductArea, Role, User
from pilothouse.core.pagination import Page, PageRequest, paginate

__all__ = [
    "create_area",
    "delete_area",
    "get_area",
    "get_area_by_slug",
    "list_areas",
    "slugify",
    "update_area",
]

AUDITED_AREA_FIELDS = ("slug", "name", "description", "owner_id")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(name: str) -> str:
    """A URL-safe key made from a name: ``"Growth & Onboarding"`` → ``growth-onboarding``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def get_area(session: Session, area_id: int) -> ProductArea:
    area = session.get(ProductArea, area_id)
    if area is None:
        raise NotFound(f"no product area with id {area_id}")
    return area


def get_area_by_slug(session: Session, slug: str) -> ProductArea:
    area = session.scalar(select(ProductArea).where(ProductArea.slug == slug))
    if area is None:
        raise NotFound(f"no product area {slug!r}")
    return area


def list_areas(
    session: Session, page: PageRequest, *, owner_id: int | None = None
) -> Page[ProductArea]:
    query = select(ProductArea)
    if owner_id is not None:
        query = query.where(ProductArea.owner_id == owner_id)
    return paginate(session, query, ProductArea.id, page)


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is None:
        return
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise ValidationFailed(
            f"owner {owner_id} is not an active user",
            errors=[FieldError("owner_id", "no active user with this id")],
        )


def _check_unique(session: Session, area_id: int | None, *, slug: str, name: str) -> None:
    for column, value, field in (
        (ProductArea.slug, slug, "slug"),
        (ProductArea.name, name, "name"),
    ):
        query = select(func.count()).select_from(ProductArea).where(column == value)
        if area_id is not None:
            query = query.where(ProductArea.id != area_id)
        if session.scalar(query):
            raise Conflict(
                f"a product area with {field} {value!r} exists already",
                errors=[FieldError(field, "already taken")],
            )


def _clean(name: str, slug: str | None) -> tuple[str, str]:
    name = name.strip()
    if not name:
        raise ValidationFailed("a name is needed", errors=[FieldError("name", "must not be empty")])
    slug = (slug or slugify(name)).strip()
    if not _SLUG.match(slug):
        raise ValidationFailed(
            f"slug {slug!r} is not valid",
            errors=[FieldError("slug", "lower-case letters, digits and single hyphens only")],
        )
    return name, slug


def create_area(
    session: Session,
    actor: Actor,
    *,
    name: str,
    slug: str | None = None,
    description: str = "",
    owner_id: int | None = None,
) -> ProductArea:
    actor.require(Role.editor, write=True)
    name, slug = _clean(name, slug)
    _check_unique(session, None, slug=slug, name=name)
    _check_owner(session, owner_id)
    area = ProductArea(name=name, slug=slug, description=description.strip(), owner_id=owner_id)
    session.add(area)
    session.flush()
    record_change(
        session,
        actor,
        object_type="product_area",
        object_id=area.id,
        action=Action.created,
        label=area.name,
        after=snapshot(area, AUDITED_AREA_FIELDS),
    )
    return area


_UNSET: object = object()


def update_area(
    session: Session,
    actor: Actor,
    area: ProductArea,
    *,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    owner_id: int | None | object = _UNSET,
) -> ProductArea:
    """Change fields that are given; ``owner_id=None`` clears the owner."""
    actor.require(Role.editor, write=True)
    before = snapshot(area, AUDITED_AREA_FIELDS)
    new_name, new_slug = _clean(name if name is not None else area.name, slug or area.slug)
    _check_unique(session, area.id, slug=new_slug, name=new_name)
    if owner_id is not _UNSET:
        _check_owner(session, owner_id)  # type: ignore[arg-type]
        area.owner_id = owner_id  # type: ignore[assignment]
    area.name, area.slug = new_name, new_slug
    if description is not None:
        area.description = description.strip()
    session.flush()
    session.refresh(area)
    record_change(
        session,
        actor,
        object_type="product_area",
        object_id=area.id,
        action=Action.updated,
        label=area.name,
        before=before,
        after=snapshot(area, AUDITED_AREA_FIELDS),
    )
    return area


def delete_area(session: Session, actor: Actor, area: ProductArea) -> None:
    actor.require(Role.editor, write=True)
    before = snapshot(area, AUDITED_AREA_FIELDS)
    record_change(
        session,
        actor,
        object_type="product_area",
        object_id=area.id,
        action=Action.deleted,
        label=area.name,
        before=before,
    )
    session.delete(area)
    session.flush()
