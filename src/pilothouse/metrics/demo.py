"""Demo product events: 120 days of a B2B analytics SaaS, through the real ingestion path.

Accounts on four plans, their users, and what they do: sign up, onboard, build
dashboards, export reports, invite teammates, connect integrations, upgrade and
pay. Behaviour differs by plan so that breakdowns show something real, and a
mid-period onboarding change lifts activation, so the demo has a story to find.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.metrics import ingest
from pilothouse.metrics.segment import Group, Identify, ParsedBatch, TrackedEvent

__all__ = ["DEMO_DAYS", "copy_demo_definitions", "load_demo_events"]

DEMO_DAYS = 120
SEED = 20261125
ONBOARDING_CHANGE_DAY = 60  # the new onboarding checklist ships here
#: plan → (share of accounts, seats range, ARR in cents per seat per year, activity level)
PLANS = {
    "free": (0.45, (1, 3), 0, 0.6),
    "starter": (0.30, (2, 8), 12_000, 1.0),
    "growth": (0.18, (5, 25), 36_000, 1.4),
    "enterprise": (0.07, (20, 80), 90_000, 1.8),
}
SEGMENTS = {"free": "SMB", "starter": "SMB", "growth": "mid-market", "enterprise": "enterprise"}
INTEGRATIONS = ["Salesforce", "HubSpot", "Slack", "Snowflake", "BigQuery", "Zendesk"]
COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Pied Piper",
    "Aperture",
    "Massive Dynamic",
    "Monarch",
    "Nakatomi",
    "Virtucon",
]
COMPANY_SUFFIX = ["Labs", "Health", "Logistics", "Retail", "Bank", "Media", "Foods", "Energy"]


def _start(now: datetime) -> datetime:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=DEMO_DAYS)


def _accounts(rng: np.random.Generator) -> list[dict[str, object]]:
    names = [f"{w} {s}" for s in COMPANY_SUFFIX for w in COMPANY_WORDS]
    rng.shuffle(names)
    plans = list(PLANS)
    shares = [PLANS[p][0] for p in plans]
    accounts = []
    for index in range(120):
        plan = str(rng.choice(plans, p=shares))
        low, high = PLANS[plan][1]
        seats = int(rng.integers(low, high + 1))
        accounts.append(
            {
                "id": f"acct-{index + 1:03d}",
                "name": names[index],
                "plan": plan,
                "segment": SEGMENTS[plan],
                "seats": seats,
                "arr_cents": seats * PLANS[plan][2],
                "joined": int((DEMO_DAYS - 5) * rng.random() ** 0.6),  # growing: more join lately
            }
        )
    return accounts


def _events_for_user(
    rng: np.random.Generator, account: dict[str, object], joined: int
) -> Iterator[tuple[str, int, dict[str, object]]]:
    """(event, seconds since start, properties) for one user's life in the demo period."""
    activity = PLANS[str(account["plan"])][3]
    at = joined * 86400 + int(rng.integers(8 * 3600, 18 * 3600))
    yield (
        "Signed Up",
        at,
        {
            "plan": account["plan"],
            "referrer": str(
                rng.choice(["google", "direct", "partner", "linkedin"], p=[0.4, 0.3, 0.1, 0.2])
            ),
        },
    )
    improved = joined >= ONBOARDING_CHANGE_DAY
    steps = 4 if rng.random() < (0.72 if improved else 0.55) else int(rng.integers(1, 4))
    for step in range(1, steps + 1):
        at += int(rng.integers(60, 3600))
        yield "Onboarding Step Completed", at, {"step": step}
    if steps < 4:
        return
    at += int(rng.integers(300, 7200))
    yield "Dashboard Created", at, {"template": str(rng.choice(["blank", "sales", "product"]))}
    day = at // 86400
    while day < DEMO_DAYS:
        if rng.random() < 0.35 * activity:
            when = day * 86400 + int(rng.integers(7 * 3600, 20 * 3600))
            kind = rng.random()
            if kind < 0.55:
                yield (
                    "Report Exported",
                    when,
                    {"format": str(rng.choice(["csv", "pdf", "xlsx"], p=[0.5, 0.3, 0.2]))},
                )
            elif kind < 0.75:
                yield (
                    "Dashboard Viewed",
                    when,
                    {"source": str(rng.choice(["web", "email", "mobile"]))},
                )
            elif kind < 0.85:
                yield "Teammate Invited", when, {}
            elif kind < 0.92:
                yield "Integration Connected", when, {"integration": str(rng.choice(INTEGRATIONS))}
            else:
                yield "Comment Added", when, {}
        day += 1 if rng.random() < 0.8 else int(rng.integers(2, 8))


def _build(now: datetime) -> ParsedBatch:
    rng = np.random.default_rng(SEED)
    start = _start(now)
    batch = ParsedBatch()
    counter = 0
    for account in _accounts(rng):
        account_id = str(account["id"])
        traits = {k: account[k] for k in ("name", "plan", "segment", "arr_cents", "seats")}
        joined_at = start + timedelta(days=int(account["joined"]))  # type: ignore[arg-type]
        for seat in range(int(account["seats"])):  # type: ignore[call-overload]
            user_id = f"{account_id}-u{seat + 1:02d}"
            joined = int(account["joined"]) + int(rng.integers(0, 20))  # type: ignore[call-overload]
            if joined >= DEMO_DAYS:
                continue
            first = start + timedelta(days=joined)
            batch.identifies.append(
                Identify(
                    f"demo-id-{user_id}",
                    user_id,
                    None,
                    account_id,
                    {
                        "email": f"{user_id}@{account_id}.example",
                        "role": str(rng.choice(["analyst", "manager", "admin"])),
                    },
                    first,
                )
            )
            batch.groups.append(
                Group(f"demo-grp-{user_id}", account_id, user_id, None, traits, joined_at)
            )
            for event, seconds, properties in _events_for_user(rng, account, joined):
                counter += 1
                timestamp = start + timedelta(seconds=seconds)
                if timestamp >= now:
                    continue
                batch.events.append(
                    TrackedEvent(
                        f"demo-{counter}", event, user_id, None, account_id, timestamp, properties
                    )
                )
    return batch


DEFINITIONS = Path(__file__).resolve().parent / "demo_definitions"


def copy_demo_definitions(folder: Path) -> int:
    """Put the demo metric files into the metrics folder, never overwriting a file there."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = 0
    for source in sorted(DEFINITIONS.glob("*.yaml")):
        target = folder / f"demo_{source.name}"
        if not target.exists():
            shutil.copyfile(source, target)
            copied += 1
    return copied


def load_demo_events(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo events and metric definitions (idempotent: ids are fixed)."""
    del actor  # tracking data has no human author
    now = datetime.now(UTC)
    batch = _build(now)
    ingest.merge_entities(session, batch)
    written = runtime.event_store.write(
        events=batch.events, identifies=batch.identifies, groups=batch.groups, received_at=now
    )
    result = DemoResult()
    if written.stored:
        result.added["product events"] = written.stored
    copied = copy_demo_definitions(runtime.settings.effective_metrics_path)
    if copied:
        result.added["metric definition files"] = copied
    return result
