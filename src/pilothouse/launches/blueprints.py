"""Launch templates: the ordered stages, checklist items and gates Product Ops define.

A template is given and stored whole (stages with their items and gates), and
replaced whole on update: launches copy it at creation, so there is nothing to
merge. Item and stage offsets are days relative to the launch's GA (target) date,
usually negative (``-30`` = thirty days before GA).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import Conflict, FieldError, NotFound
from pilothouse.core.models import Role, User
from pilothouse.launches.common import TEMPLATE_OBJECT_TYPE, clean_name, invalid, resolve_user
from pilothouse.launches.models import (
    LaunchTemplate,
    TemplateGate,
    TemplateItem,
    TemplateStage,
)

__all__ = [
    "MAX_OFFSET_DAYS",
    "create_template",
    "delete_template",
    "get_template",
    "list_templates",
    "template_snapshot",
    "update_template",
]

MAX_OFFSET_DAYS = 3650
MAX_STAGES = 20
MAX_ITEMS_PER_STAGE = 100


def get_template(session: Session, template_id: int) -> LaunchTemplate:
    template = session.get(LaunchTemplate, template_id)
    if template is None:
        raise NotFound(f"no launch template with id {template_id}")
    return template


def list_templates(session: Session) -> list[LaunchTemplate]:
    return list(session.scalars(select(LaunchTemplate).order_by(LaunchTemplate.name)))


def template_snapshot(session: Session, template: LaunchTemplate) -> dict[str, Any]:
    """The template's whole structure, approvers by e-mail, for the audit log."""
    emails = {u.id: u.email for u in session.scalars(select(User))}
    return {
        "name": template.name,
        "description": template.description,
        "stages": [
            {
                "name": stage.name,
                "offset_days": stage.offset_days,
                "items": [
                    f"{'required' if i.required else 'optional'} {i.owner_role}: {i.title} "
                    f"({i.offset_days:+d})"
                    for i in stage.items
                ],
                "gates": [
                    f"{g.name}: {', '.join(emails.get(a, str(a)) for a in g.approver_ids)}"
                    for g in stage.gates
                ],
            }
            for stage in template.stages
        ],
    }


def _offset(raw: Any, field: str) -> int:
    try:
        value = int(raw or 0)
    except (TypeError, ValueError):
        raise invalid(field, f"a whole number of days expected, got {raw!r}") from None
    if abs(value) > MAX_OFFSET_DAYS:
        raise invalid(field, f"at most {MAX_OFFSET_DAYS} days from the GA date")
    return value


def _items(raw: Sequence[Mapping[str, Any]], path: str) -> list[TemplateItem]:
    if len(raw) > MAX_ITEMS_PER_STAGE:
        raise invalid(path, f"at most {MAX_ITEMS_PER_STAGE} items per stage")
    return [
        TemplateItem(
            position=index,
            title=clean_name(item.get("title"), f"{path}.{index}.title"),
            owner_role=str(item.get("owner_role") or "").strip()[:64],
            offset_days=_offset(item.get("offset_days"), f"{path}.{index}.offset_days"),
            required=bool(item.get("required", True)),
        )
        for index, item in enumerate(raw)
    ]


def _gates(session: Session, raw: Sequence[Mapping[str, Any]], path: str) -> list[TemplateGate]:
    gates = []
    for index, gate in enumerate(raw):
        here = f"{path}.{index}"
        approvers: list[int] = []
        for number, ref in enumerate(gate.get("approvers") or []):
            user_id = resolve_user(session, ref, f"{here}.approvers.{number}")
            if user_id is not None and user_id not in approvers:
                approvers.append(user_id)
        if not approvers:
            raise invalid(f"{here}.approvers", "a gate needs at least one named approver")
        gates.append(
            TemplateGate(
                position=index,
                name=clean_name(gate.get("name"), f"{here}.name", 200),
                approver_ids=approvers,
            )
        )
    return gates


def _stages(session: Session, raw: Sequence[Mapping[str, Any]]) -> list[TemplateStage]:
    if len(raw) < 2:
        raise invalid("stages", "a launch template needs at least two stages (say, beta and GA)")
    if len(raw) > MAX_STAGES:
        raise invalid("stages", f"at most {MAX_STAGES} stages")
    stages, seen = [], set()
    for index, stage in enumerate(raw):
        path = f"stages.{index}"
        name = clean_name(stage.get("name"), f"{path}.name", 100)
        if name.lower() in seen:
            raise invalid(f"{path}.name", f"stage {name!r} appears twice")
        seen.add(name.lower())
        stages.append(
            TemplateStage(
                position=index,
                name=name,
                offset_days=_offset(stage.get("offset_days"), f"{path}.offset_days"),
                items=_items(stage.get("items") or [], f"{path}.items"),
                gates=_gates(session, stage.get("gates") or [], f"{path}.gates"),
            )
        )
    return stages


def _check_unique(session: Session, name: str, template_id: int | None) -> None:
    query = select(func.count()).select_from(LaunchTemplate)
    query = query.where(func.lower(LaunchTemplate.name) == name.lower())
    if template_id is not None:
        query = query.where(LaunchTemplate.id != template_id)
    if session.scalar(query):
        raise Conflict(
            f"a launch template named {name!r} exists already",
            errors=[FieldError("name", "already taken")],
        )


def create_template(session: Session, actor: Actor, values: Mapping[str, Any]) -> LaunchTemplate:
    """Create a template from ``{name, description, stages: [{name, offset_days, items,
    gates}]}``; every problem names its field (``stages.1.items.0.title``)."""
    actor.require(Role.editor, write=True)
    name = clean_name(values.get("name"), "name", 200)
    _check_unique(session, name, None)
    template = LaunchTemplate(
        name=name,
        description=str(values.get("description") or "").strip(),
        created_by_id=actor.user_id,
        stages=_stages(session, values.get("stages") or []),
    )
    session.add(template)
    session.flush()
    record_change(
        session,
        actor,
        object_type=TEMPLATE_OBJECT_TYPE,
        object_id=template.id,
        action=Action.created,
        label=template.name,
        after=template_snapshot(session, template),
    )
    return template


def update_template(
    session: Session, actor: Actor, template: LaunchTemplate, values: Mapping[str, Any]
) -> LaunchTemplate:
    """Change name/description and, when ``stages`` is given, replace the whole structure.
    Launches made earlier keep their own copy."""
    actor.require(Role.editor, write=True)
    before = template_snapshot(session, template)
    if "name" in values and values["name"] is not None:
        name = clean_name(values["name"], "name", 200)
        _check_unique(session, name, template.id)
        template.name = name
    if "description" in values and values["description"] is not None:
        template.description = str(values["description"]).strip()
    if values.get("stages") is not None:
        new_stages = _stages(session, values["stages"])
        template.stages.clear()
        session.flush()
        template.stages.extend(new_stages)
    session.flush()
    record_change(
        session,
        actor,
        object_type=TEMPLATE_OBJECT_TYPE,
        object_id=template.id,
        action=Action.updated,
        label=template.name,
        before=before,
        after=template_snapshot(session, template),
    )
    return template


def delete_template(session: Session, actor: Actor, template: LaunchTemplate) -> None:
    """Delete a template; launches made from it keep their stages and the template's name."""
    actor.require(Role.editor, write=True)
    record_change(
        session,
        actor,
        object_type=TEMPLATE_OBJECT_TYPE,
        object_id=template.id,
        action=Action.deleted,
        label=template.name,
        before=template_snapshot(session, template),
    )
    session.delete(template)
    session.flush()
