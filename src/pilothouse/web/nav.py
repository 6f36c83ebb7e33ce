"""Navigation: each domain adds its section here, so the menu shows only what exists."""

from __future__ import annotations

from dataclasses import dataclass

from pilothouse.core.models import Role

__all__ = ["NAV", "NavItem", "visible_nav"]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    role: Role = Role.viewer


#: The sections in menu order; a domain appends its entry when it lands.
NAV: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Metrics", "/metrics"),
    NavItem("Experiments", "/experiments"),
    NavItem("Feedback", "/feedback"),
    NavItem("Roadmap", "/roadmap"),
    NavItem("Launches", "/launches"),
    NavItem("Decisions", "/decisions"),
    NavItem("Product areas", "/areas"),
    NavItem("Jobs", "/jobs"),
    NavItem("Users", "/admin/users", Role.admin),
    NavItem("Audit log", "/admin/audit", Role.admin),
    NavItem("Settings", "/admin/settings", Role.admin),
]


def visible_nav(role: Role | None) -> list[NavItem]:
    """The items a person with ``role`` may open; none before sign-in."""
    if role is None:
        return []
    return [item for item in NAV if role.allows(item.role)]
