"""Demo roadmap of Ledgerly: OKRs on catalog metrics, initiatives → features → ideas, RICE.

The items of the demo story (docs/demo.md) carry its exact titles: "Card delivery
tracking" (launched), "One-step identity verification" (launched), "Instant top-ups
with Apple Pay and Google Pay" (Now), "Transfer status and arrival time" (Next),
"Show the exchange rate before card payments" (Later) and "Spending limits per
card"; the others make the board, timeline and ranked table look like a real
team's. Items link to the metrics that tell whether they worked (kind
``measures``, to ``ObjectRef("metric", slug)``).

Idempotent: objectives and items are found again by title, so a reload adds
nothing twice (and leaves edits made in the demo workspace alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link, links_of
from pilothouse.core.models import ProductArea, Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.roadmap import items, kr_metrics, objectives, views
from pilothouse.roadmap.models import Objective, RoadmapItem, RoadmapView

__all__ = ["ITEMS", "MEASURES_KIND", "METRIC_TYPE", "OBJECTIVES", "DemoItem", "load_demo_roadmap"]

METRIC_TYPE = "metric"
MEASURES_KIND = "measures"
STORY_DAYS = 120  # the demo's today is day 120 of the story (docs/demo.md)
CURRENT_QUARTER = "current"  # an objective's period: the quarter the demo is loaded in

#: (title, period, owner, area, [(key result, metric slug, baseline, target, unit)]).
#: Baselines are the demo events' values before the fixes (card-delivery contacts: the 30
#: days before day 85); the metric's current value is over the last 30 days.
OBJECTIVES: list[tuple[str, str, str, str, list[tuple[str, str, float, float, str]]]] = [
    (
        "Cut avoidable support contacts",
        CURRENT_QUARTER,
        "kenji.watanabe",
        "Cards",
        [
            ("Card-delivery contacts down 40%", "card_delivery_contacts", 720, 430, "per 30 days"),
            ("Support contact rate below 4%", "support_contact_rate", 6.6, 4, "%"),
        ],
    ),
    (
        "Make the first week effortless",
        CURRENT_QUARTER,
        "daniel.okafor",
        "Onboarding & Verification",
        [("Raise activation to 70%", "activation_rate", 55, 70, "%")],
    ),
    (
        "Move money reliably",
        CURRENT_QUARTER,
        "amara.mensah",
        "Payments & Transfers",
        [
            ("Top-up success rate to 98%", "top_up_success_rate", 97, 98, "%"),
            ("Transfer completion 99.5%", "transfer_completion_rate", 99, 99.5, "%"),
        ],
    ),
]


@dataclass(frozen=True)
class DemoItem:
    """One roadmap item; ``objective`` indexes :data:`OBJECTIVES`, ``rice`` is (reach per
    quarter, impact, confidence %, effort in person-months), ``target_day`` the story day
    (120 = today) whose quarter it targets, ``metrics`` are catalog slugs."""

    kind: str
    title: str
    owner: str
    area: str
    status: str
    description: str
    parent: str | None = None
    objective: int | None = None
    rice: tuple[float, float, float, float] | None = None
    tags: tuple[str, ...] = ()
    target_day: int | None = None
    metrics: tuple[str, ...] = ()


_I, _F, _D = "initiative", "feature", "idea"
ITEMS: list[DemoItem] = [
    DemoItem(
        _I,
        "Self-serve card support",
        "kenji.watanabe",
        "Cards",
        "in-progress",
        "Answer card questions in the app before customers have to ask support.",
        objective=0,
        tags=("cards", "support-deflection"),
        target_day=140,
    ),
    DemoItem(
        _I,
        "A first week without friction",
        "daniel.okafor",
        "Onboarding & Verification",
        "in-progress",
        "From sign-up to the first card payment in a day, not a week.",
        objective=1,
        tags=("activation",),
        target_day=140,
    ),
    DemoItem(
        _I,
        "Money movement customers can trust",
        "amara.mensah",
        "Payments & Transfers",
        "in-progress",
        "Top-ups and transfers that work the first time and say where the money is.",
        objective=2,
        tags=("reliability",),
        target_day=140,
    ),
    DemoItem(
        _I,
        "Spend controls for finance teams",
        "hannah.goldberg",
        "Spend Management",
        "planned",
        "Let finance admins give every employee a card without losing control of spend.",
        tags=("spend-controls",),
        target_day=210,
    ),
    DemoItem(
        _F,
        "Card delivery tracking",
        "kenji.watanabe",
        "Cards",
        "launched",
        "Show where a new card is, from printing to the door, with a delivery date in the app "
        "and a push when it ships. 'Where is my card?' was the largest support topic.",
        parent="Self-serve card support",
        objective=0,
        rice=(3000, 2, 80, 2),
        tags=("cards", "support-deflection"),
        target_day=85,
        metrics=("card_delivery_contacts", "card_activation_rate"),
    ),
    DemoItem(
        _F,
        "One-step identity verification",
        "daniel.okafor",
        "Onboarding & Verification",
        "launched",
        "Verify the account holder with one photo of an ID and a selfie, in the sign-up flow, "
        "instead of three screens and an e-mail round trip.",
        parent="A first week without friction",
        objective=1,
        rice=(2500, 3, 80, 3),
        tags=("activation", "kyc"),
        target_day=45,
        metrics=("activation_rate",),
    ),
    DemoItem(
        _F,
        "Instant top-ups with Apple Pay and Google Pay",
        "sofia.lindqvist",
        "Top-ups & Balance",
        "in-progress",
        "Top up the business balance from a wallet in seconds; failed card top-ups are the "
        "fastest-growing support topic.",
        parent="Money movement customers can trust",
        objective=2,
        rice=(2200, 2, 80, 3),
        tags=("top-ups", "reliability"),
        target_day=141,
        metrics=("top_up_success_rate",),
    ),
    DemoItem(
        _F,
        "Transfer status and arrival time",
        "amara.mensah",
        "Payments & Transfers",
        "planned",
        "Show each outgoing transfer's status and when it will arrive, and let the recipient "
        "see a tracking link.",
        parent="Money movement customers can trust",
        objective=2,
        rice=(1800, 2, 80, 2),
        tags=("transfers", "support-deflection"),
        target_day=210,
        metrics=("transfer_completion_rate", "support_contact_rate"),
    ),
    DemoItem(
        _F,
        "Show the exchange rate before card payments",
        "kenji.watanabe",
        "Cards",
        "discovery",
        "Before a card payment in another currency, show the rate and fee Ledgerly will use.",
        parent="Self-serve card support",
        rice=(900, 1, 50, 1.5),
        tags=("cards", "fx"),
        metrics=("support_contact_rate",),
    ),
    DemoItem(
        _F,
        "Spending limits per card",
        "hannah.goldberg",
        "Spend Management",
        "in-progress",
        "Finance admins set a monthly and a per-payment limit on each card, with alerts.",
        parent="Spend controls for finance teams",
        rice=(1200, 2, 80, 2),
        tags=("spend-controls",),
        target_day=115,
        metrics=("card_spend",),
    ),
    DemoItem(
        _F,
        "Multi-currency accounts",
        "amara.mensah",
        "Payments & Transfers",
        "discovery",
        "Hold, receive and pay out EUR, GBP and USD balances in one business account.",
        rice=(600, 3, 50, 6),
        tags=("fx", "transfers"),
    ),
    DemoItem(
        _F,
        "Virtual cards for subscriptions",
        "kenji.watanabe",
        "Cards",
        "planned",
        "One virtual card per software subscription, frozen when the subscription ends.",
        parent="Spend controls for finance teams",
        rice=(800, 2, 80, 2),
        tags=("cards", "spend-controls"),
        target_day=210,
        metrics=("card_spend",),
    ),
    DemoItem(
        _F,
        "Receipt capture in the mobile app",
        "lucas.moreau",
        "Mobile Apps",
        "planned",
        "Photograph a receipt right after a card payment; it is matched to the payment.",
        parent="Spend controls for finance teams",
        rice=(1400, 1, 80, 2),
        tags=("mobile", "spend-controls"),
        target_day=210,
    ),
    DemoItem(
        _F,
        "Accounting export to Xero and QuickBooks",
        "hannah.goldberg",
        "Spend Management",
        "new",
        "Send categorised card payments and receipts to the accounting tool every night.",
        rice=(700, 2, 50, 3),
        tags=("integrations",),
    ),
    DemoItem(
        _F,
        "Biometric sign-in",
        "lucas.moreau",
        "Mobile Apps",
        "launched",
        "Face ID and fingerprint sign-in on iOS and Android.",
        rice=(1500, 0.5, 100, 0.5),
        tags=("mobile", "security"),
        target_day=30,
        metrics=("weekly_active_accounts",),
    ),
    DemoItem(
        _F,
        "Cash deposits at partner shops",
        "sofia.lindqvist",
        "Top-ups & Balance",
        "declined",
        "Pay cash into the business account at a partner shop.",
        rice=(150, 1, 20, 5),
        tags=("top-ups",),
    ),
    DemoItem(
        _D,
        "Push notification when the card ships",
        "kenji.watanabe",
        "Cards",
        "new",
        "A push and an e-mail the moment the card leaves the printer.",
        parent="Card delivery tracking",
        rice=(2000, 0.5, 80, 0.25),
        tags=("cards",),
    ),
    DemoItem(
        _D,
        "Save a card for repeat top-ups",
        "sofia.lindqvist",
        "Top-ups & Balance",
        "new",
        "Keep the last card used for top-ups so the next one is one tap.",
        parent="Instant top-ups with Apple Pay and Google Pay",
        rice=(1100, 1, 50, 1),
        tags=("top-ups",),
    ),
    DemoItem(
        _D,
        "Verify company directors in the same flow",
        "daniel.okafor",
        "Onboarding & Verification",
        "discovery",
        "Invite the other directors to verify from their phones while sign-up goes on.",
        parent="One-step identity verification",
        rice=(700, 2, 50, 2),
        tags=("activation", "kyc"),
    ),
    DemoItem(
        _D,
        "Approval flow for large card payments",
        "hannah.goldberg",
        "Spend Management",
        "new",
        "Payments above a threshold wait for a finance admin's tap.",
        parent="Spending limits per card",
        rice=(500, 2, 50, 2),
        tags=("spend-controls",),
    ),
    DemoItem(
        _D,
        "Freeze a card from the home-screen widget",
        "lucas.moreau",
        "Mobile Apps",
        "new",
        "A widget that freezes the card in one tap when it goes missing.",
        rice=(600, 1, 80, 0.5),
        tags=("mobile", "cards"),
    ),
    DemoItem(
        _D,
        "Dark mode in the mobile app",
        "lucas.moreau",
        "Mobile Apps",
        "new",
        "Follow the phone's dark mode setting.",
        rice=(500, 0.25, 80, 1),
        tags=("mobile",),
    ),
]


def _quarter(day: int | None) -> str | None:
    """The quarter of story ``day``: the demo's dates follow the day it is loaded."""
    if day is None:
        return None
    when = date.today() + timedelta(days=day - STORY_DAYS)
    return f"{when.year}-Q{(when.month - 1) // 3 + 1}"


def _people(session: Session) -> dict[str, int]:
    return {u.email.split("@")[0]: u.id for u in session.scalars(select(User))}


def _areas(session: Session) -> dict[str, int]:
    return {a.name: a.id for a in session.scalars(select(ProductArea))}


def _objective_values(
    row: tuple[Any, ...], people: dict[str, int], areas: dict[str, int]
) -> dict[str, Any]:
    title, period, owner, area, key_results = row
    return {
        "title": title,
        "period": _quarter(STORY_DAYS) if period == CURRENT_QUARTER else period,
        "owner_id": people.get(owner),
        "product_area_id": areas.get(area),
        "key_results": [
            {
                "title": kr_title,
                "metric_slug": slug,
                "baseline_value": baseline,
                "target_value": target,
                "unit": unit,
            }
            for kr_title, slug, baseline, target, unit in key_results
        ],
    }


def _load_objectives(
    session: Session,
    actor: Actor,
    people: dict[str, int],
    areas: dict[str, int],
    catalog: kr_metrics.MetricCatalog | None,
) -> tuple[list[Objective], int]:
    existing = {o.title: o for o in session.scalars(select(Objective))}
    found, added = [], 0
    for row in OBJECTIVES:
        if row[0] not in existing:
            values = _objective_values(row, people, areas)
            existing[row[0]] = objectives.create_objective(session, actor, values, catalog=catalog)
            added += 1
        found.append(existing[row[0]])
    return found, added


def _item_values(
    spec: DemoItem,
    people: dict[str, int],
    areas: dict[str, int],
    okrs: list[Objective],
    keys: dict[str, str],
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": spec.kind,
        "title": spec.title,
        "description": spec.description,
        "status": spec.status,
        "owner_id": people.get(spec.owner),
        "product_area_id": areas.get(spec.area),
        "tags": list(spec.tags),
        "target_quarter": _quarter(spec.target_day),
        "parent": keys.get(spec.parent) if spec.parent else None,
        "objectives": [okrs[spec.objective].key] if spec.objective is not None else [],
    }
    if spec.rice is not None:
        values.update(
            dict(zip(("reach", "impact", "confidence", "effort"), spec.rice, strict=True))
        )
    return values


def _link_metrics(session: Session, actor: Actor, item: RoadmapItem, slugs: tuple[str, ...]) -> int:
    """Link ``item`` to the metrics that measure it; returns how many links are new."""
    ref = items.item_ref(item)
    have = {(link.to_type, link.to_id) for link in links_of(session, ref, kind=MEASURES_KIND)}
    added = 0
    for slug in slugs:
        if (METRIC_TYPE, slug) not in have:
            add_link(session, actor, ref, ObjectRef(METRIC_TYPE, slug), MEASURES_KIND)
            added += 1
    return added


#: Saved views the demo shares with the workspace: (name, kind, filters, columns).
VIEWS: list[tuple[str, str, dict[str, Any], list[str] | None]] = [
    ("Exec roadmap", "board", {"kind": "feature"}, None),
    ("Support deflection by RICE", "table", {"tag": "support-deflection"}, None),
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


def _count(result: DemoResult, name: str, number: int) -> None:
    if number:
        result.added[name] = result.added.get(name, 0) + number


def load_demo_roadmap(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo objectives, items, metric links and views that are missing. Key
    results are checked against the metric catalog (they must resolve) when there is one."""
    result = DemoResult()
    people, areas = _people(session), _areas(session)
    catalog = kr_metrics.metric_catalog(runtime)
    if catalog is None or not catalog.formats:  # the events step puts the catalog in place
        catalog = None
        result.notices.append("roadmap: no metric catalog; key-result metrics not checked")
    okrs, added = _load_objectives(session, actor, people, areas, catalog)
    _count(result, "objectives", added)
    found = {i.title: i for i in session.scalars(select(RoadmapItem))}
    keys = {title: item.key for title, item in found.items()}
    for spec in ITEMS:
        if spec.title not in found:
            item = items.create_item(session, actor, _item_values(spec, people, areas, okrs, keys))
            found[spec.title], keys[spec.title] = item, item.key
            _count(result, "roadmap items", 1)
        _count(
            result, "metric links", _link_metrics(session, actor, found[spec.title], spec.metrics)
        )
    _count(result, "roadmap views", _load_views(session))
    return result
