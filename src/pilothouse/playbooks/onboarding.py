"""Onboarding checklists: a template of steps per role, assigned to a new person with a
manager; the person ticks steps off, the manager follows their reports' progress.

Who may do what: editors keep the templates and assign them. The person ticks their
own steps (any role may, as it is their own checklist); their manager and editors may
tick on their behalf. Every tick and untick is in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import Conflict, FieldError, Forbidden, NotFound
from pilothouse.core.models import Role, User
from pilothouse.playbooks.common import (
    SLUG,
    check_ref,
    clean_slug,
    clean_text,
    invalid,
    resolve_user,
)
from pilothouse.playbooks.models import (
    OnboardingAssignment,
    OnboardingStep,
    OnboardingStepDone,
    OnboardingTemplate,
)

__all__ = [
    "ASSIGNMENT_TYPE",
    "Progress",
    "all_assignments",
    "assign",
    "assignments_for_template",
    "assignments_of",
    "create_template",
    "find_assignment",
    "find_template",
    "list_templates",
    "progress",
    "reports_of",
    "set_step_done",
    "update_template",
]

ASSIGNMENT_TYPE = "onboarding_assignment"
MAX_STEPS = 100


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def list_templates(session: Session) -> list[OnboardingTemplate]:
    return list(session.scalars(select(OnboardingTemplate).order_by(OnboardingTemplate.title)))


def find_template(session: Session, role: str) -> OnboardingTemplate:
    text = str(role).strip().lower()
    query = select(OnboardingTemplate).where(OnboardingTemplate.role == text)
    template = session.scalar(query) if SLUG.match(text) else None
    if template is None:
        raise NotFound(f"no onboarding checklist for role {role!r}")
    return template


def _steps(session: Session, raw: Sequence[Mapping[str, Any]]) -> list[OnboardingStep]:
    if not raw:
        raise invalid("steps", "a checklist needs at least one step")
    if len(raw) > MAX_STEPS:
        raise invalid("steps", f"at most {MAX_STEPS} steps")
    steps = []
    for index, entry in enumerate(raw):
        where = f"steps.{index}"
        title = clean_text(entry.get("title"), f"{where}.title", required=True, max_length=300)
        detail = clean_text(entry.get("detail"), f"{where}.detail", max_length=5_000)
        link = entry.get("link")
        ref = check_ref(session, link, f"{where}.link") if link else None
        steps.append(
            OnboardingStep(
                position=index + 1,
                title=title,
                detail=detail,
                link_type=ref.type if ref else None,
                link_id=ref.id if ref else None,
            )
        )
    return steps


def create_template(
    session: Session,
    actor: Actor,
    role: str,
    title: str,
    steps: Sequence[Mapping[str, Any]],
    description: str = "",
) -> OnboardingTemplate:
    """A checklist for ``role``; each step ``{title, detail?, link?: TYPE:ID}``."""
    actor.require(Role.editor, write=True)
    slug = clean_slug(role, "role")
    if session.scalar(select(OnboardingTemplate.id).where(OnboardingTemplate.role == slug)):
        raise Conflict(f"role {slug!r} has a checklist", errors=[FieldError("role", "taken")])
    template = OnboardingTemplate(
        role=slug,
        title=clean_text(title, "title", required=True),
        description=clean_text(description, "description", max_length=5_000),
        steps=_steps(session, steps),
    )
    session.add(template)
    session.flush()
    record_change(
        session,
        actor,
        object_type="onboarding_template",
        object_id=template.id,
        action=Action.created,
        label=template.title,
        after={"role": slug, "steps": [s.title for s in template.steps]},
    )
    return template


def _snapshot(template: OnboardingTemplate) -> dict[str, Any]:
    """What the audit log keeps of a template: its fields and its steps in order."""
    steps = [
        s.title + (f" → {s.link_type}:{s.link_id}" if s.link_type else "") for s in template.steps
    ]
    return {
        "role": template.role,
        "title": template.title,
        "description": template.description,
        "steps": steps,
    }


def _kept_ids(
    template: OnboardingTemplate, raw: Sequence[Mapping[str, Any]]
) -> list[OnboardingStep | None]:
    """For each entry, the stored step it edits (by ``id``), or None for a new step."""
    stored = {s.id: s for s in template.steps}
    kept: list[OnboardingStep | None] = []
    for index, entry in enumerate(raw):
        ident = entry.get("id")
        if ident in (None, ""):
            kept.append(None)
            continue
        step = stored.get(int(ident)) if str(ident).isdigit() else None
        if step is None or step in kept:
            raise invalid(f"steps.{index}.id", f"{ident!r} is not a step of this checklist")
        kept.append(step)
    return kept


def _replace_steps(
    session: Session,
    template: OnboardingTemplate,
    wanted: list[OnboardingStep],
    kept: list[OnboardingStep | None],
) -> None:
    """Edit the stored steps in place (their ticks stay), add new ones, drop the rest.

    Positions are unique per template and checked per statement on PostgreSQL, so kept
    steps first move to negative positions, then to their new ones.
    """
    for step in [s for s in template.steps if s not in kept]:
        template.steps.remove(step)
    for new, old in zip(wanted, kept, strict=True):
        if old is not None:
            old.position = -new.position
    session.flush()
    for new, old in zip(wanted, kept, strict=True):
        if old is None:
            template.steps.append(new)
        else:
            old.position, old.title, old.detail = new.position, new.title, new.detail
            old.link_type, old.link_id = new.link_type, new.link_id
    session.flush()
    session.expire(template, ["steps"])


def update_template(
    session: Session,
    actor: Actor,
    template: OnboardingTemplate,
    values: Mapping[str, Any],
) -> OnboardingTemplate:
    """Change a checklist: ``role``, ``title``, ``description`` and ``steps`` in order.

    A step entry with the ``id`` of a stored step edits that step, so the people who
    ticked it keep their tick; a stored step no entry names is removed.
    """
    actor.require(Role.editor, write=True)
    before = _snapshot(template)
    slug = clean_slug(values.get("role", template.role), "role")
    taken = select(OnboardingTemplate.id).where(
        OnboardingTemplate.role == slug, OnboardingTemplate.id != template.id
    )
    if session.scalar(taken) is not None:
        raise Conflict(f"role {slug!r} has a checklist", errors=[FieldError("role", "taken")])
    title = clean_text(values.get("title", template.title), "title", required=True)
    description = clean_text(
        values.get("description", template.description), "description", max_length=5_000
    )
    raw = values.get("steps")
    if raw is not None:
        wanted = _steps(session, raw)
        _replace_steps(session, template, wanted, _kept_ids(template, raw))
    template.role, template.title, template.description = slug, title, description
    session.flush()
    record_change(
        session,
        actor,
        object_type="onboarding_template",
        object_id=template.id,
        action=Action.updated,
        label=template.title,
        before=before,
        after=_snapshot(template),
    )
    return template


def _people(
    session: Session, template: OnboardingTemplate, person: object, manager: object
) -> tuple[User, User | None]:
    """The person (who has no checklist for this role yet) and their manager, checked."""
    who = resolve_user(session, person, "person")
    if who is None:
        raise invalid("person", "who works through the checklist is needed")
    boss = resolve_user(session, manager, "manager")
    if boss is not None and boss.id == who.id:
        raise invalid("manager", "a person cannot be their own manager")
    taken = select(OnboardingAssignment.id).where(
        OnboardingAssignment.template_id == template.id, OnboardingAssignment.person_id == who.id
    )
    if session.scalar(taken) is not None:
        raise Conflict(
            f"{who.email} has the {template.role} checklist already",
            errors=[FieldError("person", "already assigned")],
        )
    return who, boss


def assign(
    session: Session,
    actor: Actor,
    template: OnboardingTemplate,
    person: object,
    manager: object = None,
    started_on: date | None = None,
) -> OnboardingAssignment:
    """Give ``person`` (id or e-mail) the checklist, followed by ``manager``."""
    actor.require(Role.editor, write=True)
    who, boss = _people(session, template, person, manager)
    assignment = OnboardingAssignment(
        template_id=template.id,
        person_id=who.id,
        manager_id=boss.id if boss else None,
        started_on=started_on or date.today(),
    )
    session.add(assignment)
    session.flush()
    record_change(
        session,
        actor,
        object_type=ASSIGNMENT_TYPE,
        object_id=assignment.id,
        action=Action.created,
        label=f"{template.title}: {who.email}",
        after={"person": who.email, "manager": boss.email if boss else None},
    )
    return assignment


def find_assignment(session: Session, assignment_id: int) -> OnboardingAssignment:
    assignment = session.get(OnboardingAssignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no onboarding checklist {assignment_id}")
    return assignment


def assignments_for_template(
    session: Session, template: OnboardingTemplate
) -> list[OnboardingAssignment]:
    """Everyone who has ``template``'s checklist, newest start first."""
    query = select(OnboardingAssignment).where(OnboardingAssignment.template_id == template.id)
    return list(
        session.scalars(
            query.order_by(OnboardingAssignment.started_on.desc(), OnboardingAssignment.id)
        )
    )


def assignments_of(session: Session, user_id: int | None) -> list[OnboardingAssignment]:
    """The checklists ``user_id`` works through."""
    query = select(OnboardingAssignment).where(OnboardingAssignment.person_id == user_id)
    return list(session.scalars(query.order_by(OnboardingAssignment.id)))


def all_assignments(session: Session) -> list[OnboardingAssignment]:
    """Every checklist in progress or done, newest start first (Product Ops' overview)."""
    query = select(OnboardingAssignment).order_by(
        OnboardingAssignment.started_on.desc(), OnboardingAssignment.id
    )
    return list(session.scalars(query))


def reports_of(session: Session, manager_id: int | None) -> list[OnboardingAssignment]:
    """The checklists of the people ``manager_id`` manages, oldest start first."""
    query = select(OnboardingAssignment).where(OnboardingAssignment.manager_id == manager_id)
    return list(session.scalars(query.order_by(OnboardingAssignment.started_on)))


def progress(assignment: OnboardingAssignment) -> Progress:
    steps = {s.id for s in assignment.template.steps}
    done = sum(1 for row in assignment.done_rows if row.step_id in steps)
    return Progress(done, len(steps))


def _may_tick(actor: Actor, assignment: OnboardingAssignment) -> None:
    if not actor.can_write:
        raise Forbidden("this token may only read")
    mine = actor.user_id is not None and actor.user_id in (
        assignment.person_id,
        assignment.manager_id,
    )
    if not mine and not actor.role.allows(Role.editor):
        raise Forbidden("only the person, their manager or an editor ticks these steps")


def set_step_done(
    session: Session, actor: Actor, assignment: OnboardingAssignment, step_id: int, done: bool
) -> bool:
    """Tick (``done``) or untick one step; returns whether anything changed."""
    _may_tick(actor, assignment)
    step = next((s for s in assignment.template.steps if s.id == step_id), None)
    if step is None:
        raise invalid("step", f"step {step_id} is not on this checklist")
    row = next((r for r in assignment.done_rows if r.step_id == step_id), None)
    if (row is not None) == done:
        return False
    if done:
        assignment.done_rows.append(OnboardingStepDone(step_id=step_id, done_by_id=actor.user_id))
    else:
        assignment.done_rows.remove(row)  # type: ignore[arg-type]
    session.flush()
    record_change(
        session,
        actor,
        object_type=ASSIGNMENT_TYPE,
        object_id=assignment.id,
        action=Action.updated,
        label=f"{assignment.template.title}: {assignment.person.email}",
        before={"step": step.title, "done": not done},
        after={"step": step.title, "done": done},
        name="onboarding.step_done" if done else "onboarding.step_undone",
    )
    return True
