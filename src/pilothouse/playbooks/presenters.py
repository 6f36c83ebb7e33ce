"""Turning playbooks and checklists into their API shape (JSON routes and the CLI)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.links import ObjectRef
from pilothouse.core.models import User
from pilothouse.core.references import resolve
from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.models import OnboardingAssignment, OnboardingTemplate, Playbook
from pilothouse.playbooks.schemas import (
    AssignmentRead,
    LinkedRead,
    OnboardingStepRead,
    OnboardingTemplateRead,
    PersonBrief,
    PlaybookRead,
)

__all__ = ["assignment_read", "person", "playbook_read", "template_read"]


def person(user: User | None) -> PersonBrief | None:
    return PersonBrief(id=user.id, email=user.email, name=user.name) if user else None


def _linked(session: Session, pairs: list[tuple[int, ObjectRef]]) -> list[LinkedRead]:
    named = resolve(session, [ref for _, ref in pairs])
    return [
        LinkedRead(
            link_id=link_id,
            type=ref.type,
            id=ref.id,
            label=named[ref].label,
            url=named[ref].url,
            deleted=named[ref].deleted,
        )
        for link_id, ref in pairs
    ]


def playbook_read(session: Session, playbook: Playbook, stale_days: int) -> PlaybookRead:
    return PlaybookRead(
        id=playbook.id,
        slug=playbook.slug,
        title=playbook.title,
        body=playbook.body,
        owner=person(playbook.owner),
        reviewed_on=playbook.reviewed_on,
        stale=service.is_stale(playbook, stale_days),
        version=playbook.version,
        links=_linked(session, service.linked_refs(session, playbook)),
        created_at=playbook.created_at,
        updated_at=playbook.updated_at,
        url=f"/playbooks/{playbook.slug}",
    )


def template_read(session: Session, template: OnboardingTemplate) -> OnboardingTemplateRead:
    pairs = [
        (0, ObjectRef(s.link_type, s.link_id)) for s in template.steps if s.link_type and s.link_id
    ]
    links = {(p.type, p.id): p for p in _linked(session, pairs)}
    return OnboardingTemplateRead(
        id=template.id,
        role=template.role,
        title=template.title,
        description=template.description,
        steps=[
            OnboardingStepRead(
                id=s.id,
                position=s.position,
                title=s.title,
                detail=s.detail,
                link=links.get((s.link_type or "", s.link_id or "")),
            )
            for s in template.steps
        ],
    )


def assignment_read(assignment: OnboardingAssignment) -> AssignmentRead:
    progress = onboarding.progress(assignment)
    who = person(assignment.person)
    assert who is not None
    return AssignmentRead(
        id=assignment.id,
        role=assignment.template.role,
        title=assignment.template.title,
        person=who,
        manager=person(assignment.manager),
        started_on=assignment.started_on,
        done=progress.done,
        total=progress.total,
        percent=progress.percent,
        done_step_ids=sorted(r.step_id for r in assignment.done_rows),
    )
