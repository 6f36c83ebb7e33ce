"""How playbooks and onboarding checklists are named and linked on every page
(``core.references``), the audit log included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from pilothouse.core.reference_types import numeric_ids, slugged_resolver
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.playbooks.models import OnboardingAssignment, OnboardingTemplate, Playbook

__all__ = ["resolve_assignments", "resolve_playbooks", "resolve_templates"]


#: Playbooks by id or slug: title, page, slug as detail.
resolve_playbooks = slugged_resolver(Playbook, "title", "/playbooks/{slug}")


def resolve_templates(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Onboarding checklist templates by id: their name, their page, the role as detail."""
    query = select(OnboardingTemplate.id, OnboardingTemplate.role, OnboardingTemplate.title)
    rows = context.session.execute(query.where(OnboardingTemplate.id.in_(numeric_ids(ids))))
    return {str(i): Found(title, f"/onboarding/templates/{role}", role) for i, role, title in rows}


def resolve_assignments(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """One person's checklist by id: ``PM onboarding: Mateo Alvarez``, linked to it."""
    query = (
        select(OnboardingAssignment)
        .where(OnboardingAssignment.id.in_(numeric_ids(ids)))
        .options(joinedload(OnboardingAssignment.person), joinedload(OnboardingAssignment.template))
    )
    out: dict[str, Found] = {}
    for a in context.session.scalars(query):
        who = a.person.name or a.person.email
        out[str(a.id)] = Found(f"{a.template.title}: {who}", f"/onboarding/{a.id}")
    return out


register_type("playbook", "Playbook", resolve_playbooks)
register_type("onboarding_template", "Onboarding checklist", resolve_templates)
register_type("onboarding_assignment", "Onboarding of a person", resolve_assignments)
