"""Navigation: each domain adds its section here, so the menu shows only what exists.

The header has two places for links, so it fits a 1280 px screen however many sections
there are: the bar (``group="main"``, the product's sections a person works in every
day) and the *Workspace* menu (``group="workspace"``, places visited now and then:
product areas, jobs and the admin pages). A new entry goes to the bar unless it says
otherwise; keep the bar to about nine entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from pilothouse.core.models import Role

__all__ = ["NAV", "NavItem", "current_href", "visible_nav"]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    role: Role = Role.viewer
    group: str = "main"  # "main": the header bar; "workspace": the Workspace menu


#: The sections in menu order; a domain appends its entry when it lands.
NAV: list[NavItem] = [
    NavItem("Home", "/"),
    NavItem("Metrics", "/metrics"),
    NavItem("Experiments", "/experiments"),
    NavItem("Feedback", "/feedback"),
    NavItem("Roadmap", "/roadmap"),
    NavItem("Launches", "/launches"),
    NavItem("Decisions", "/decisions"),
    NavItem("Dashboards", "/dashboards"),
    NavItem("Playbooks", "/playbooks"),
    NavItem("Onboarding", "/onboarding", group="workspace"),
    NavItem("Product areas", "/areas", group="workspace"),
    NavItem("Jobs", "/jobs", group="workspace"),
    NavItem("Schedules", "/schedules", group="workspace"),
    NavItem("Automations", "/automations", group="workspace"),
    NavItem("Tools", "/tools", group="workspace"),
    NavItem("Weekly review", "/reports/weekly-review", group="workspace"),
    NavItem("Leadership digest", "/reports/leadership-digest", group="workspace"),
    NavItem("Process health", "/ops/health", group="workspace"),
    NavItem("Users", "/admin/users", Role.admin, group="workspace"),
    NavItem("Audit log", "/admin/audit", Role.admin, group="workspace"),
    NavItem("Settings", "/admin/settings", Role.admin, group="workspace"),
]


def visible_nav(role: Role | None) -> list[NavItem]:
    """The items a person with ``role`` may open; none before sign-in."""
    if role is None:
        return []
    return [item for item in NAV if role.allows(item.role)]


def current_href(items: list[NavItem], path: str) -> str | None:
    """The entry to highlight for ``path``: the longest ``href`` that is a prefix of it
    at a segment boundary, so ``/feedback/themes`` lights *Feedback* and ``/`` only Home."""
    best: str | None = None
    for item in items:
        href = item.href.rstrip("/") or "/"
        hit = path == href or (href != "/" and path.startswith(href + "/"))
        if hit and (best is None or len(href) > len(best)):
            best = item.href
    return best
