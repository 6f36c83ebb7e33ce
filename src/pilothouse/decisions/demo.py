"""Demo decision log: what a product team decided about the demo roadmap and experiments.

Idempotent: decisions are found again by title, so a reload adds nothing twice and
leaves edits made in the demo workspace alone. Links go to the demo roadmap items
(by title) and demo experiments (by name) when those steps loaded them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import User
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.decisions import linking, service
from pilothouse.decisions.models import Decision
from pilothouse.demo.registry import DemoResult

__all__ = ["DECISIONS", "load_demo_decisions"]

_EX = "@pilothouse.example"
SUPERSEDED = ("Build every warehouse connector in-house", "Partner for ETL; build only Snowflake")

#: One dict per decision; ``items`` are roadmap item titles, ``experiments`` name prefixes.
DECISIONS: list[dict[str, Any]] = [
    {
        "title": "Keep the current landing page",
        "context": "We tested a redesigned landing page against the current one for three "
        "weeks on about 290,000 visitors (the Udacity public A/B data). Marketing wanted the "
        "new page for the spring campaign.",
        "options": [
            {"name": "Ship the new page", "pros": "Fresher look", "cons": "No measured lift"},
            {"name": "Keep the current page", "pros": "Proven baseline", "cons": "Dated design"},
            {"name": "Run the test longer", "pros": "More power", "cons": "Campaign waits"},
        ],
        "chosen_option": "Keep the current page",
        "rationale": "Conversion was 12.04% (old) vs 11.88% (new), not significant; the "
        "interval excludes the 2-point lift we needed. A longer run would not change that.",
        "status": "decided",
        "decided_by": "sofia.lindqvist",
        "consulted": ["kenji.watanabe", "priya.natarajan"],
        "decided_on": "2026-02-03",
        "product_area": "billing-plans",
        "tags": ["experiment", "conversion"],
        "experiments": ["Landing page redesign"],
    },
    {
        "title": "Keep the first gate at level 30",
        "context": "Moving the first gate from level 30 to 40 was meant to keep players longer.",
        "options": [
            {"name": "Gate at level 30", "pros": "Better day-7 retention", "cons": "—"},
            {"name": "Gate at level 40", "pros": "Slightly more rounds", "cons": "Retention fell"},
        ],
        "chosen_option": "Gate at level 30",
        "rationale": "Day-7 retention fell from 19.0% to 18.2% with the gate at 40. The split "
        "is off (SRM), so we also asked engineering to check the assignment.",
        "status": "decided",
        "decided_by": "lucas.moreau",
        "consulted": ["mateo.alvarez"],
        "decided_on": "2026-02-17",
        "product_area": "mobile-apps",
        "tags": ["experiment", "retention"],
        "experiments": ["First gate at level 40"],
    },
    {
        "title": "Which re-engagement e-mail to send to lapsed customers",
        "context": "Both targeted e-mails lifted visits; spend is noisier. CUPED is on.",
        "options": [
            {"name": "Women's e-mail to everyone", "pros": "Largest lift", "cons": "One size"},
            {"name": "Target by past purchases", "pros": "Relevant", "cons": "More work"},
            {"name": "No e-mail", "pros": "No fatigue", "cons": "Leaves revenue"},
        ],
        "status": "proposed",
        "decided_by": "daniel.okafor",
        "consulted": ["amara.mensah"],
        "product_area": "onboarding-activation",
        "tags": ["experiment", "lifecycle"],
        "experiments": ["Men's and women's e-mail campaigns"],
    },
    {
        "title": "Ship the onboarding checklist before sample dashboards",
        "context": "Both features serve activation; we can staff one this quarter.",
        "options": [
            {"name": "Checklist first", "pros": "Small, measurable", "cons": "Less wow"},
            {"name": "Sample dashboards first", "pros": "Shows value fast", "cons": "Big effort"},
        ],
        "chosen_option": "Checklist first",
        "rationale": "Half the effort for a similar RICE score; it also tells us which step "
        "people drop at, which shapes the sample dashboards.",
        "status": "decided",
        "decided_by": "daniel.okafor",
        "consulted": ["hannah.goldberg", "priya.natarajan"],
        "decided_on": "2026-04-08",
        "product_area": "onboarding-activation",
        "tags": ["activation", "sequencing"],
        "items": ["Onboarding checklist", "Sample dashboards on sign-up"],
    },
    {
        "title": SUPERSEDED[0],
        "context": "Customers ask for Snowflake, BigQuery and HubSpot connectors.",
        "options": [
            {"name": "Build in-house", "pros": "Full control", "cons": "Slow, costly upkeep"},
            {"name": "Partner for ETL", "pros": "Many sources fast", "cons": "Vendor cost"},
        ],
        "chosen_option": "Build in-house",
        "rationale": "Connectors felt core to the product at the time.",
        "status": "decided",
        "decided_by": "amara.mensah",
        "consulted": ["mateo.alvarez"],
        "decided_on": "2026-03-12",
        "product_area": "integrations",
        "tags": ["integrations", "build-vs-buy"],
        "items": ["Snowflake connector", "HubSpot sync"],
    },
    {
        "title": SUPERSEDED[1],
        "context": "After two months one connector was half done; the upkeep estimate tripled.",
        "options": [
            {"name": "Partner for ETL", "pros": "Breadth now", "cons": "Vendor cost"},
            {"name": "Keep building", "pros": "Control", "cons": "Two more quarters"},
        ],
        "chosen_option": "Partner for ETL",
        "rationale": "Supersedes the build-everything decision: we build only the Snowflake "
        "read path, where query speed matters, and use a partner for the rest.",
        "status": "decided",
        "decided_by": "amara.mensah",
        "consulted": ["mateo.alvarez", "priya.natarajan"],
        "decided_on": "2026-05-20",
        "product_area": "integrations",
        "tags": ["integrations", "build-vs-buy"],
        "items": ["Snowflake connector", "HubSpot sync"],
    },
    {
        "title": "Decline offline mode for dashboards",
        "context": "Requested by a few field-sales customers; sync conflicts are hard.",
        "options": [
            {"name": "Build offline mode", "pros": "Asked for", "cons": "Months of sync work"},
            {"name": "Decline for now", "pros": "Focus", "cons": "Some customers unhappy"},
        ],
        "chosen_option": "Decline for now",
        "rationale": "Fewer than 2% of accounts asked; cached read-only views cover most cases.",
        "status": "decided",
        "decided_by": "lucas.moreau",
        "consulted": ["grace.liu"],
        "decided_on": "2026-01-20",
        "product_area": "mobile-apps",
        "tags": ["mobile", "declined"],
        "items": ["Offline mode for dashboards"],
    },
    {
        "title": "Annual billing discount of 15%",
        "context": "Finance wants cash up front; sales wants a simple offer.",
        "options": [
            {"name": "15% off annual", "pros": "Market standard", "cons": "Lower ARR per seat"},
            {"name": "Two months free", "pros": "Easy to explain", "cons": "Same cost, fuzzier"},
        ],
        "status": "proposed",
        "decided_by": "sofia.lindqvist",
        "consulted": ["kenji.watanabe"],
        "product_area": "billing-plans",
        "tags": ["pricing"],
        "items": ["Annual billing discount"],
    },
]


def _items_by_title(session: Session) -> dict[str, Any]:
    try:
        from pilothouse.roadmap.listing import ItemFilter, filtered_items
    except ImportError:  # pragma: no cover
        return {}
    return {item.title: item for item in filtered_items(session, ItemFilter())}


def _experiments(session: Session) -> list[Any]:
    try:
        from pilothouse.experiments.registry import list_experiments
    except ImportError:  # pragma: no cover
        return []
    return list_experiments(session, PageRequest(limit=200)).items


def _links(spec: dict[str, Any], items: dict[str, Any], experiments: list[Any]) -> list[str]:
    refs = [f"roadmap_item:{items[t].id}" for t in spec.get("items", []) if t in items]
    for prefix in spec.get("experiments", []):
        refs += [f"experiment:{e.id}" for e in experiments if e.name.startswith(prefix)]
    return refs


def _values(spec: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in spec.items() if k not in ("items", "experiments")}
    values["decided_by"] = f"{spec['decided_by']}{_EX}"
    values["consulted"] = [f"{name}{_EX}" for name in spec["consulted"]]
    return values


def load_demo_decisions(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:  # noqa: ARG001
    """Add the demo decisions that are missing, linked to what they are about."""
    result = DemoResult()
    if session.scalar(select(User.id).where(User.email == f"daniel.okafor{_EX}")) is None:
        result.notices.append("decisions: skipped, the demo people are not there")
        return result
    existing = set(session.scalars(select(Decision.title)))
    items, experiments = _items_by_title(session), _experiments(session)
    added: dict[str, Decision] = {}
    for spec in DECISIONS:
        if spec["title"] in existing:
            continue
        added[spec["title"]] = service.create_decision(
            session, actor, _values(spec), links=_links(spec, items, experiments)
        )
    if set(SUPERSEDED) <= set(added):
        old, new = (added[title] for title in SUPERSEDED)
        service.supersede(session, actor, old, new)
    if added:
        result.added["decisions"] = len(added)
        result.added["decision links"] = sum(
            len(linking.decision_links(session, d)) for d in added.values()
        )
    return result
