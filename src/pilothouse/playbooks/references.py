"""How playbooks and onboarding checklists are named and linked on every page
(``core.references``), the audit log included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select

from pilothouse.core.reference_types import numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.playbooks.models import OnboardingAssignment, OnboardingTemplate, Playbook

__all__ = ["resolve_assignments", "resolve_playbooks", "resolve_templates"]


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


def resolve_templates(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Onboarding checklist templates by id: their name, their page, the role as detail."""
    query = select(OnboardingTemplate.id, OnboardingTemplate.role, OnboardingTemplate.title)
    rows = context.session.execute(query.where(OnboardingTemplate.id.in_(numeric_ids(ids))))
    return {str(i): Found(title, f"/onboarding/templates/{role}", role) for i, role, title in rows}


def resolve_assignments(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """One person's checklist by id: ``PM onboarding: Mateo Alvarez``, linked to it."""
    query = select(OnboardingAssignment).where(OnboardingAssignment.id.in_(numeric_ids(ids)))
    out: dict[str, Found] = {}
    for a in context.session.scalars(query):
        who = a.person.name or a.person.email
        out[str(a.id)] = Found(f"{a.template.title}: {who}", f"/onboarding/{a.id}")
    return out


register_type("playbook", "Playbook", resolve_playbooks)
register_type("onboarding_template", "Onboarding checklist", resolve_templates)
register_type("onboarding_assignment", "Onboarding of a person", resolve_assignments)
