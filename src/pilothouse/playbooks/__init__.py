"""Playbooks: process documents in Markdown with owners, review dates and a full history,
linked to the templates they describe; onboarding checklists per role; search.

Other code uses it through ``playbooks.service`` (playbooks, Markdown files with YAML
front matter), ``playbooks.search`` and ``playbooks.onboarding``.
"""

from pilothouse.playbooks.models import (
    OnboardingAssignment,
    OnboardingStep,
    OnboardingTemplate,
    Playbook,
    PlaybookRevision,
)

__all__ = [
    "OnboardingAssignment",
    "OnboardingStep",
    "OnboardingTemplate",
    "Playbook",
    "PlaybookRevision",
]
