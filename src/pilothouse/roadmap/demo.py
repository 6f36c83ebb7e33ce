"""Demo roadmap: OKRs bound to demo metrics, initiatives → features → ideas, RICE inputs.

Idempotent: objectives and items are found again by title, so a reload adds
nothing twice (and leaves edits made in the demo workspace alone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import ProductArea, Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.roadmap import items, objectives, views
from pilothouse.roadmap.models import Objective, RoadmapItem, RoadmapView

__all__ = ["load_demo_roadmap"]

_EX = "@pilothouse.example"

#: (title, period, owner, area, [(key result, metric slug, baseline, target, unit)])
OBJECTIVES: list[tuple[str, str, str, str, list[tuple[str, str | None, float, float, str]]]] = [
    (
        "Make the first week effortless",
        "2026-Q3",
        "daniel.okafor",
        "Onboarding & Activation",
        [
            ("Raise activation to 70%", "activation-rate", 55, 70, "%"),
            ("Grow weekly active users to 2,400", "weekly-active-users", 1800, 2400, "users"),
        ],
    ),
    (
        "Become the reporting tool teams live in",
        "2026-Q3",
        "kenji.watanabe",
        "Analytics & Reporting",
        [
            ("Double weekly report exports", "report-exports", 900, 1800, "exports"),
            ("Half of active accounts schedule a report", None, 12, 50, "%"),
        ],
    ),
    (
        "Grow expansion revenue",
        "2026-Q4",
        "sofia.lindqvist",
        "Billing & Plans",
        [("Lift free-to-paid conversion to 8%", "paid-conversion-rate", 5, 8, "%")],
    ),
]

#: (kind, title, parent title, owner, area, status, objective index, RICE, tags, quarter)
#: RICE is (reach per quarter, impact, confidence %, effort in person-months).
ITEMS: list[tuple[Any, ...]] = [
    (
        "initiative",
        "Guided onboarding",
        None,
        "daniel.okafor",
        "Onboarding & Activation",
        "in-progress",
        0,
        None,
        ["activation"],
        "2026-Q3",
    ),
    (
        "initiative",
        "Self-serve reporting",
        None,
        "kenji.watanabe",
        "Analytics & Reporting",
        "planned",
        1,
        None,
        ["reporting"],
        "2026-Q3",
    ),
    (
        "initiative",
        "Connect the data stack",
        None,
        "amara.mensah",
        "Integrations",
        "discovery",
        1,
        None,
        ["integrations"],
        "2026-Q4",
    ),
    (
        "initiative",
        "Pricing that grows with customers",
        None,
        "sofia.lindqvist",
        "Billing & Plans",
        "planned",
        2,
        None,
        ["monetisation"],
        "2026-Q4",
    ),
    (
        "feature",
        "Onboarding checklist",
        "Guided onboarding",
        "daniel.okafor",
        "Onboarding & Activation",
        "launched",
        0,
        (2400, 2, 80, 2),
        ["activation"],
        "2026-Q2",
    ),
    (
        "feature",
        "Sample dashboards on sign-up",
        "Guided onboarding",
        "daniel.okafor",
        "Onboarding & Activation",
        "in-progress",
        0,
        (2000, 1, 80, 1.5),
        ["activation"],
        "2026-Q3",
    ),
    (
        "feature",
        "Invite teammates during setup",
        "Guided onboarding",
        "hannah.goldberg",
        "Collaboration",
        "planned",
        0,
        (1500, 1, 50, 1),
        ["activation", "virality"],
        "2026-Q3",
    ),
    (
        "feature",
        "Scheduled report e-mails",
        "Self-serve reporting",
        "kenji.watanabe",
        "Analytics & Reporting",
        "in-progress",
        1,
        (1200, 2, 80, 3),
        ["reporting"],
        "2026-Q3",
    ),
    (
        "feature",
        "Excel export with formatting",
        "Self-serve reporting",
        "kenji.watanabe",
        "Analytics & Reporting",
        "planned",
        1,
        (900, 1, 100, 1),
        ["reporting", "exports"],
        "2026-Q3",
    ),
    (
        "feature",
        "Dashboard sharing links",
        "Self-serve reporting",
        "hannah.goldberg",
        "Collaboration",
        "discovery",
        1,
        (700, 2, 50, 2),
        ["sharing"],
        "2026-Q4",
    ),
    (
        "feature",
        "Snowflake connector",
        "Connect the data stack",
        "amara.mensah",
        "Integrations",
        "discovery",
        1,
        (300, 3, 80, 4),
        ["warehouse"],
        "2026-Q4",
    ),
    (
        "feature",
        "HubSpot sync",
        "Connect the data stack",
        "amara.mensah",
        "Integrations",
        "new",
        None,
        (450, 1, 50, 2),
        ["crm"],
        None,
    ),
    (
        "feature",
        "Seat-based plan upgrades in-app",
        "Pricing that grows with customers",
        "sofia.lindqvist",
        "Billing & Plans",
        "planned",
        2,
        (800, 2, 80, 2),
        ["billing"],
        "2026-Q4",
    ),
    (
        "feature",
        "Annual billing discount",
        "Pricing that grows with customers",
        "sofia.lindqvist",
        "Billing & Plans",
        "new",
        2,
        (600, 0.5, 100, 0.5),
        ["billing"],
        None,
    ),
    (
        "feature",
        "Offline mode for dashboards",
        None,
        "lucas.moreau",
        "Mobile Apps",
        "declined",
        None,
        (200, 1, 20, 5),
        ["mobile"],
        None,
    ),
    (
        "feature",
        "Audit log export",
        None,
        "mateo.alvarez",
        "Platform & Reliability",
        "planned",
        None,
        (150, 1, 80, 1),
        ["security", "enterprise"],
        "2026-Q3",
    ),
    (
        "idea",
        "Progress bar in the checklist",
        "Onboarding checklist",
        "daniel.okafor",
        "Onboarding & Activation",
        "new",
        None,
        (2400, 0.5, 50, 0.25),
        ["activation"],
        None,
    ),
    (
        "idea",
        "Report templates gallery",
        "Scheduled report e-mails",
        "kenji.watanabe",
        "Analytics & Reporting",
        "new",
        None,
        (800, 1, 50, 1),
        ["reporting"],
        None,
    ),
    (
        "idea",
        "Slack digest of key metrics",
        "Dashboard sharing links",
        "amara.mensah",
        "Integrations",
        "discovery",
        None,
        (600, 1, 80, 1),
        ["slack"],
        None,
    ),
    (
        "idea",
        "Usage-based add-on for exports",
        "Seat-based plan upgrades in-app",
        "sofia.lindqvist",
        "Billing & Plans",
        "new",
        None,
        (300, 2, 20, 2),
        ["billing"],
        None,
    ),
    (
        "idea",
        "Dark mode in the mobile app",
        None,
        "lucas.moreau",
        "Mobile Apps",
        "new",
        None,
        (500, 0.25, 80, 1),
        ["mobile"],
        None,
    ),
]


def _people(session: Session) -> dict[str, int]:
    return {u.email.split("@")[0]: u.id for u in session.scalars(select(User))}


def _areas(session: Session) -> dict[str, int]:
    return {a.name: a.id for a in session.scalars(select(ProductArea))}


def _load_objectives(
    session: Session, actor: Actor, people: dict[str, int], areas: dict[str, int]
) -> tuple[list[Objective], int]:
    existing = {o.title: o for o in session.scalars(select(Objective))}
    found, added = [], 0
    for title, period, owner, area, key_results in OBJECTIVES:
        if title not in existing:
            values = {
                "title": title,
                "period": period,
                "owner_id": people.get(owner),
                "product_area_id": areas.get(area),
                "key_results": [
                    {
                        "title": kr_title,
                        "metric_slug": slug,
                        "baseline_value": baseline,
                        "target_value": target,
                        "current_value": None if slug else baseline + (target - baseline) / 3,
                        "unit": unit,
                    }
                    for kr_title, slug, baseline, target, unit in key_results
                ],
            }
            existing[title] = objectives.create_objective(session, actor, values)
            added += 1
        found.append(existing[title])
    return found, added


def _item_values(
    row: tuple[Any, ...],
    people: dict[str, int],
    areas: dict[str, int],
    okrs: list[Objective],
    keys: dict[str, str],
) -> dict[str, Any]:
    kind, title, parent, owner, area, status, objective, rice, tags, quarter = row
    values: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "description": f"{title}: part of the demo roadmap.",
        "status": status,
        "owner_id": people.get(owner),
        "product_area_id": areas.get(area),
        "tags": tags,
        "target_quarter": quarter,
        "parent": keys.get(parent) if parent else None,
        "objectives": [okrs[objective].key] if objective is not None else [],
    }
    if rice is not None:
        values.update(dict(zip(("reach", "impact", "confidence", "effort"), rice, strict=True)))
    return values


#: Saved views the demo shares with the workspace: (name, kind, filters, columns).
VIEWS: list[tuple[str, str, dict[str, Any], list[str] | None]] = [
    ("Exec roadmap", "board", {"kind": "feature"}, None),
    ("Activation bets by RICE", "table", {"tag": "activation"}, None),
    ("Plan by quarter", "timeline", {}, None),
]


def _load_views(session: Session) -> int:
    """The demo's shared views, owned by the first admin (views belong to a person)."""
    admin = session.scalar(
        select(User).where(User.role == Role.admin, User.is_active).order_by(User.id)
    )
    if admin is None:
        return 0
    owner = Actor.for_user(admin)
    have = {v.name for v in session.scalars(select(RoadmapView))}
    added = 0
    for name, kind, filters, columns in VIEWS:
        if name not in have:
            values = {"name": name, "kind": kind, "filters": filters, "shared": True}
            views.create_view(session, owner, values | ({"columns": columns} if columns else {}))
            added += 1
    return added


def load_demo_roadmap(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo objectives and items that are missing."""
    del runtime
    result = DemoResult()
    people, areas = _people(session), _areas(session)
    okrs, added = _load_objectives(session, actor, people, areas)
    if added:
        result.added["objectives"] = added
    keys = {i.title: i.key for i in session.scalars(select(RoadmapItem))}
    for row in ITEMS:
        if row[1] in keys:
            continue
        item = items.create_item(session, actor, _item_values(row, people, areas, okrs, keys))
        keys[item.title] = item.key
        result.added["roadmap items"] = result.added.get("roadmap items", 0) + 1
    added_views = _load_views(session)
    if added_views:
        result.added["roadmap views"] = added_views
    return result
