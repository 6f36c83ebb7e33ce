"""Launch management: templates with stages, checklists and gates; launches made from them
for roadmap features; approvals, readiness, the calendar, release notes and the changelog.

Other domains use it through its service modules (``launching``, ``gates``,
``checklists``, ``release_notes``, ...) and link to launches with core links of type
``launch``. It reads roadmap items only through ``pilothouse.roadmap``'s services.
"""

from pilothouse.launches.models import (
    ApprovalDecision,
    Launch,
    LaunchStatus,
    LaunchTemplate,
)

__all__ = ["ApprovalDecision", "Launch", "LaunchStatus", "LaunchTemplate"]
