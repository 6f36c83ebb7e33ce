"""Demo decision log: what Ledgerly's product team decided (docs/demo.md).

The story's two decisions ("Ship card delivery tracking to every account", "Build
transfer tracking before multi-currency accounts") and believable others, one of them
superseded and two about experiments that did not work (iterate, do not ship).
Idempotent: decisions are found again by title, so a reload adds nothing twice and
leaves edits made in the demo workspace alone. Links go to the demo roadmap items and
themes (by title), launches and experiments (by name) that the earlier steps loaded;
ones missing then are added on a later reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
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
from pilothouse.launches.common import workspace_today

__all__ = ["DECISIONS", "load_demo_decisions"]

_EX = "@pilothouse.example"
STORY_DAYS = 120  # the demo's today is day 120 of the story (docs/demo.md)
SUPERSEDED = (
    "Keep card top-ups on the current card processor",
    "Move card top-ups to a processor with wallet support",
)

#: One dict per decision; ``day`` is the story's day it was decided (0 = 120 days ago);
#: ``items``/``launches`` are titles/names, ``experiments`` names, ``themes`` theme labels.
DECISIONS: list[dict[str, Any]] = [
    {
        "title": "Ship card delivery tracking to every account",
        "context": "'Where is my card?' was the largest support topic (about one contact in "
        "seven). We tested a delivery timeline in the app on half of new card orders for "
        "three weeks (days 62-82), with card activation as the primary metric.",
        "options": [
            {"name": "Ship to every account", "pros": "Measured lift", "cons": "Courier API cost"},
            {
                "name": "Ship to paid plans only",
                "pros": "Lower cost",
                "cons": "Free plans ask most",
            },
            {"name": "Keep testing", "pros": "Narrower interval", "cons": "Contacts keep coming"},
        ],
        "chosen_option": "Ship to every account",
        "rationale": "Card activation rose by about 4 points with the timeline, the interval "
        "excludes zero and the sample ratio was fine. Support expects the card-delivery "
        "contacts to fall by a third or more; we will check it after GA.",
        "status": "decided",
        "decided_by": "kenji.watanabe",
        "consulted": ["grace.liu", "priya.natarajan"],
        "day": 83,
        "product_area": "Cards",
        "tags": ["experiment", "support-deflection"],
        "items": ["Card delivery tracking"],
        "launches": ["Card delivery tracking"],
        "experiments": ["Delivery timeline in the app"],
        "themes": ["Where is my card?"],
    },
    {
        "title": "Build transfer tracking before multi-currency accounts",
        "context": "One team, one quarter. Customers ask where their transfers are every day; "
        "multi-currency accounts are the largest sales request from mid-market prospects.",
        "options": [
            {"name": "Transfer tracking first", "pros": "Fixes a daily pain", "cons": "No new ARR"},
            {"name": "Multi-currency first", "pros": "Opens deals", "cons": "Six months, licences"},
        ],
        "chosen_option": "Transfer tracking first",
        "rationale": "Transfers not arriving is the third-largest feedback theme and comes from "
        "paying customers; tracking is two months of work against six, and multi-currency "
        "needs the same transfer status model anyway.",
        "status": "decided",
        "decided_by": "amara.mensah",
        "consulted": ["kenji.watanabe", "priya.natarajan", "tomasz.nowak"],
        "day": 104,
        "product_area": "Payments & Transfers",
        "tags": ["sequencing", "transfers"],
        "items": ["Transfer status and arrival time", "Multi-currency accounts"],
        "themes": ["Transfers not arriving"],
    },
    {
        "title": "Replace the three-step identity check with one step",
        "context": "A third of new companies stalled at verification; the test of a single "
        "photo-and-selfie step ran from day 20 to day 40 with activation as the primary metric.",
        "options": [
            {"name": "One step for everyone", "pros": "Higher activation", "cons": "Vendor cost"},
            {"name": "Keep three steps", "pros": "No change", "cons": "Stalled sign-ups"},
        ],
        "chosen_option": "One step for everyone",
        "rationale": "Activation within seven days rose in the treatment group and the fraud "
        "team saw no rise in failed checks.",
        "status": "decided",
        "decided_by": "daniel.okafor",
        "consulted": ["priya.natarajan", "fatima.zahra"],
        "day": 41,
        "product_area": "Onboarding & Verification",
        "tags": ["experiment", "activation"],
        "items": ["One-step identity verification"],
        "launches": ["One-step identity verification"],
        "experiments": ["Verification in one step"],
        "themes": ["Identity verification"],
    },
    {
        "title": SUPERSEDED[0],
        "context": "The processor contract renews this year; a switch means a migration.",
        "options": [
            {"name": "Stay", "pros": "No migration", "cons": "No wallets"},
            {"name": "Switch", "pros": "Apple Pay and Google Pay", "cons": "Two months of work"},
        ],
        "chosen_option": "Stay",
        "rationale": "Top-up failures were rare and wallets were not asked for yet.",
        "status": "decided",
        "decided_by": "sofia.lindqvist",
        "consulted": ["amara.mensah"],
        "day": 30,
        "product_area": "Top-ups & Balance",
        "tags": ["top-ups", "build-vs-buy"],
        "items": ["Instant top-ups with Apple Pay and Google Pay"],
    },
    {
        "title": SUPERSEDED[1],
        "context": "Failed and reverted top-ups started rising in the last month and customers "
        "ask for Apple Pay and Google Pay top-ups.",
        "options": [
            {"name": "Switch now", "pros": "Wallets, fewer failures", "cons": "Migration risk"},
            {"name": "Patch the current flow", "pros": "Cheap", "cons": "No wallets"},
        ],
        "chosen_option": "Switch now",
        "rationale": "Supersedes staying on the current processor: the failures are on its "
        "side, and the new processor gives instant wallet top-ups.",
        "status": "decided",
        "decided_by": "sofia.lindqvist",
        "consulted": ["amara.mensah", "priya.natarajan"],
        "day": 96,
        "product_area": "Top-ups & Balance",
        "tags": ["top-ups", "build-vs-buy"],
        "items": ["Instant top-ups with Apple Pay and Google Pay"],
        "launches": ["Instant top-ups"],
        "themes": ["Top-ups failing"],
    },
    {
        "title": "Roll out the top-up retry prompt",
        "context": "The retry prompt test is running since day 100; the beta of instant "
        "top-ups starts with it or without it.",
        "options": [
            {"name": "Roll out with the beta", "pros": "Fewer failed top-ups", "cons": "Early"},
            {"name": "Wait for the result", "pros": "Evidence first", "cons": "Beta waits"},
        ],
        "status": "proposed",
        "decided_by": "sofia.lindqvist",
        "consulted": ["lucas.moreau"],
        "product_area": "Top-ups & Balance",
        "tags": ["experiment", "top-ups"],
        "launches": ["Instant top-ups"],
        "experiments": ["Top-up retry prompt"],
    },
    {
        "title": "Decline cash deposits at partner shops",
        "context": "A few retail customers asked to pay in cash takings.",
        "options": [
            {"name": "Partner network", "pros": "Asked for", "cons": "Fees, AML checks"},
            {"name": "Decline for now", "pros": "Focus", "cons": "Some customers unhappy"},
        ],
        "chosen_option": "Decline for now",
        "rationale": "Fewer than 2% of accounts asked, and bank transfers cover most of them.",
        "status": "decided",
        "decided_by": "sofia.lindqvist",
        "consulted": ["grace.liu"],
        "day": 55,
        "product_area": "Top-ups & Balance",
        "tags": ["top-ups", "declined"],
        "items": ["Cash deposits at partner shops"],
    },
    {
        "title": "Monthly limits per card first, merchant limits later",
        "context": "Finance admins want control; per-merchant limits need a category model.",
        "options": [
            {"name": "Monthly and per-payment", "pros": "Simple, ships this quarter", "cons": "-"},
            {"name": "Per-merchant too", "pros": "Finer control", "cons": "Another quarter"},
        ],
        "chosen_option": "Monthly and per-payment",
        "rationale": "Covers what most admins asked for; merchant limits follow with receipts.",
        "status": "decided",
        "decided_by": "hannah.goldberg",
        "consulted": ["kenji.watanabe"],
        "day": 70,
        "product_area": "Spend Management",
        "tags": ["spend-controls", "scope"],
        "items": ["Spending limits per card"],
        "launches": ["Spending limits per card"],
    },
    {
        "title": "Iterate on the transfer arrival estimate: show the status after sending",
        "context": "We showed half of the finance admins when a transfer would arrive, before "
        "they sent it, from day 30 to day 51, expecting them to send more transfers from "
        "Ledgerly. The test stopped on day 51; the team took a week to agree what to try next.",
        "options": [
            {"name": "Ship the estimate", "pros": "Built already", "cons": "No measured effect"},
            {
                "name": "Track the transfer after sending",
                "pros": "Answers the question",
                "cons": "Bank status feeds",
            },
            {"name": "Drop the idea", "pros": "Saves time", "cons": "Contacts keep coming"},
        ],
        "chosen_option": "Track the transfer after sending",
        "rationale": "Transfers sent per admin were the same in both groups and completion "
        "stayed within a point: customers ask where a transfer is after they send it, not "
        "before. We keep the estimate behind its flag and build transfer status and arrival "
        "time after sending.",
        "status": "decided",
        "decided_by": "amara.mensah",
        "consulted": ["priya.natarajan", "kenji.watanabe"],
        "day": 60,
        "product_area": "Payments & Transfers",
        "tags": ["experiment", "transfers", "iterate"],
        "items": ["Transfer status and arrival time"],
        "experiments": ["Transfer arrival estimate"],
        "themes": ["Transfers not arriving"],
    },
    {
        "title": "Do not ship the verification reminder e-mail",
        "context": "The reminder e-mail to companies not verified a day after sign-up was "
        "tested on half of the sign-ups from day 100 to day 114, with verification within "
        "three days as the primary metric.",
        "options": [
            {"name": "Ship the reminder", "pros": "Cheap to send", "cons": "No measured effect"},
            {"name": "Switch it off", "pros": "Fewer e-mails", "cons": "-"},
        ],
        "chosen_option": "Switch it off",
        "rationale": "Verification within three days was the same with and without the "
        "reminder: since one-step verification most companies verify within hours, and the "
        "few who do not are not waiting for an e-mail.",
        "status": "decided",
        "decided_by": "daniel.okafor",
        "consulted": ["fatima.zahra"],
        "day": 118,
        "product_area": "Onboarding & Verification",
        "tags": ["experiment", "activation", "declined"],
        "experiments": ["Verification reminder e-mail"],
    },
]


@dataclass
class _Targets:
    """What the demo decisions can link to, by human name (each domain's own lookup)."""

    items: dict[str, Any]
    launches: dict[str, Any]
    experiments: dict[str, Any]
    themes: dict[str, int]

    def refs(self, spec: dict[str, Any]) -> list[str]:
        refs = [
            f"roadmap_item:{self.items[t].id}" for t in spec.get("items", []) if t in self.items
        ]
        refs += [
            f"launch:{self.launches[n].id}" for n in spec.get("launches", []) if n in self.launches
        ]
        refs += [
            f"experiment:{self.experiments[n].id}"
            for n in spec.get("experiments", [])
            if n in self.experiments
        ]
        refs += [
            f"feedback_theme:{self.themes[n]}" for n in spec.get("themes", []) if n in self.themes
        ]
        return refs


def _targets(session: Session) -> _Targets:
    from pilothouse.experiments.registry import list_experiments
    from pilothouse.feedback.themes import list_themes
    from pilothouse.launches.launching import list_launches
    from pilothouse.roadmap.listing import ItemFilter, filtered_items

    experiments = list_experiments(session, PageRequest(limit=500)).items
    return _Targets(
        items={item.title: item for item in filtered_items(session, ItemFilter())},
        launches={launch.name: launch for launch in list_launches(session, PageRequest(500)).items},
        experiments={e.name: e for e in experiments},
        themes={t.label: t.id for t in list_themes(session, include_hidden=True)},
    )


def _values(spec: dict[str, Any], today: date) -> dict[str, Any]:
    skip = ("items", "launches", "experiments", "themes", "day")
    values = {k: v for k, v in spec.items() if k not in skip}
    values["decided_by"] = f"{spec['decided_by']}{_EX}"
    values["consulted"] = [f"{name}{_EX}" for name in spec["consulted"]]
    if "day" in spec:
        values["decided_on"] = (today - timedelta(days=STORY_DAYS - spec["day"])).isoformat()
    return values


def _missing_links(session: Session, actor: Actor, decision: Decision, refs: list[str]) -> int:
    """Link an existing decision to what it is about that was not there when it was
    written (experiments or themes a later step or reload added)."""
    have = {
        f"{link.target.type}:{link.target.id}" for link in linking.decision_links(session, decision)
    }
    added = 0
    for ref in refs:
        if ref not in have:
            kind, _, ident = ref.partition(":")
            linking.link_decision(session, actor, decision, kind, ident)
            added += 1
    return added


def load_demo_decisions(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo decisions that are missing, linked to what they are about."""
    result = DemoResult()
    if session.scalar(select(User.id).where(User.email == f"daniel.okafor{_EX}")) is None:
        result.notices.append("decisions: skipped, the demo people are not there")
        return result
    today = workspace_today(runtime.settings.timezone)
    existing = {d.title: d for d in session.scalars(select(Decision))}
    targets = _targets(session)
    added: dict[str, Decision] = {}
    links = 0
    for spec in DECISIONS:
        refs = targets.refs(spec)
        if spec["title"] in existing:
            links += _missing_links(session, actor, existing[spec["title"]], refs)
            continue
        added[spec["title"]] = service.create_decision(
            session, actor, _values(spec, today), links=refs
        )
        links += len(refs)
    if set(SUPERSEDED) <= set(added):
        old, new = (added[title] for title in SUPERSEDED)
        service.supersede(session, actor, old, new)
    if added:
        result.added["decisions"] = len(added)
    if links:
        result.added["decision links"] = links
    tested = _link_experiments_to_items(session, actor, targets)
    if tested:
        result.added["experiment links"] = tested
    return result


def _link_experiments_to_items(session: Session, actor: Actor, targets: _Targets) -> int:
    """Link each decided experiment to the roadmap items its decision is about.

    A shipped experiment reaches its items through its launch (the launches step);
    one that did not ship ("Transfer arrival estimate") would otherwise reach its item
    only through the decision, so the item page would not list the test behind it.
    """
    from pilothouse.experiments.experiment_links import add_experiment_link, experiment_links

    added = 0
    for spec in DECISIONS:
        items = [targets.items[t] for t in spec.get("items", []) if t in targets.items]
        for name in spec.get("experiments", []):
            experiment = targets.experiments.get(name)
            if experiment is None:
                continue
            have = {(v.type, v.id) for v in experiment_links(session, experiment)}
            for item in items:
                if ("roadmap_item", str(item.id)) not in have:
                    add_experiment_link(session, actor, experiment, "roadmap_item", str(item.id))
                    added += 1
    return added
