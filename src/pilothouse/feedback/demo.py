"""Demo feedback: real customer messages of BANKING77 as Ledgerly's support inbox.

1,510 online-banking customer messages (BANKING77, CC BY 4.0, Casanueva et al.
2020; see ``demo_data/README.md``) ship inside the package, so the demo loads
after a plain ``pip install``. Each becomes a support ticket, in-app message,
e-mail or CSM note from a contact of a demo customer account, so themes count
customers and ARR. Dates follow the demo story: questions about card delivery
fall after card delivery tracking ships on day 85, failed top-ups rise in the
last 30 days and spike in the current week. The intent label of each row becomes a tag, which is
how the story's links find the themes (``feedback.demo_links``).

Idempotent: items carry stable external ids, so a reload adds nothing twice.
The new items get the arrival and triage history a team leaves, back-dated
(``feedback.demo_triage``), before synthesis and the story's links.
After loading, synthesis runs once so the demo opens with themes, sentiment
and duplicates (about 10 s for the 1,510 items on two cores, mostly embedding).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.feedback import service, themes
from pilothouse.feedback.demo_links import link_story_themes
from pilothouse.feedback.demo_triage import backdate_and_triage
from pilothouse.feedback.models import FeedbackItem
from pilothouse.feedback.synthesis_service import synthesize_feedback

__all__ = [
    "DATA_FILE",
    "EXTERNAL_PREFIX",
    "demo_messages",
    "intent_weights",
    "load_demo_feedback",
]

DATA_FILE = "banking77_subset.csv"
EXTERNAL_PREFIX = "ledgerly-banking77-"  # not the earlier demo's "banking77-NNNN" items
SEED = 20261206
DAYS = 120
FIX_DAY = 85  # card delivery tracking reaches every account
SPIKE_FROM = 90  # failed top-ups start rising
SPIKE_SHARE = 0.3  # of the failed top-ups arrive in the current week
#: (source kind, source name, share): where Ledgerly's feedback arrives.
CHANNELS = (
    ("support_ticket", "Zendesk", 0.5),
    ("in_app", "In-app feedback", 0.25),
    ("email", "Support inbox", 0.15),
    ("cs_note", "Account reviews", 0.1),
)
CARD_DELIVERY = frozenset({"card_arrival", "card_delivery_estimate"})
#: Intents a card holder writes about; the rest come from the account's finance admin.
CARD_HOLDER_PREFIXES = (
    "card_", "activate_my_card", "apple_pay", "atm_", "cash_withdrawal", "change_pin",
    "declined_card", "disposable_card", "getting_virtual", "lost_or_stolen", "passcode",
    "exchange_rate", "request_refund", "transaction_charged",
)  # fmt: skip
#: Customers to create when the events step left none (a demo loaded step by step).
FALLBACK_ACCOUNTS = (
    ("Northwind Freight", "grow", "SMB", 480_000),
    ("Bluebird Bakeries", "free", "SMB", 0),
    ("Copperline Studio", "grow", "SMB", 360_000),
    ("Harbor & Pine Legal", "scale", "mid-market", 2_400_000),
    ("Meridian Clinics", "scale", "mid-market", 3_600_000),
    ("Atlas Field Services", "enterprise", "enterprise", 12_000_000),
)


def demo_messages() -> list[tuple[str, str]]:
    """The bundled ``(text, intent)`` rows, in file order (their index is the external id)."""
    raw = resources.files("pilothouse.feedback").joinpath("demo_data", DATA_FILE).read_text("utf-8")
    return [(row["text"], row["intent"]) for row in csv.DictReader(io.StringIO(raw))]


def intent_weights(intent: str, week_from: int) -> np.ndarray:
    """Relative chance of each story day (0 … 120 = today) for a message of ``intent``.

    Messages come until yesterday, evenly, except: card-delivery questions fall to a
    third from :data:`FIX_DAY` (the fix worked), and failed top-ups rise from
    :data:`SPIKE_FROM` and a :data:`SPIKE_SHARE` of them arrive in the current week
    (from day ``week_from``, the Monday, up to now), so the home page shows a spike on
    any weekday.
    """
    days = np.arange(DAYS + 1, dtype=float)
    weights = np.ones(DAYS + 1)
    weights[DAYS] = 0.0
    if intent in CARD_DELIVERY:
        weights[days >= FIX_DAY] = 0.35
        weights[DAYS] = 0.0
    elif intent == "top_up_failed":
        late = (days >= SPIKE_FROM) & (days < week_from)
        weights[late] = 1.0 + 2.0 * (days[late] - SPIKE_FROM + 1) / (week_from - SPIKE_FROM)
        weights[week_from:] = 0.0
        weights *= (1 - SPIKE_SHARE) / weights.sum()
        weights[week_from:] = SPIKE_SHARE / (DAYS + 1 - week_from)
    return weights / weights.sum()


def _demo_start(now: datetime) -> datetime:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=DAYS)


def _all_accounts(session: Session) -> list[Any]:
    found, cursor = [], None
    while True:
        page = accounts_service.list_accounts(session, PageRequest(limit=500, cursor=cursor))
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def _ensure_accounts(session: Session, actor: Actor) -> list[Any]:
    """The demo's customer accounts; a few are created when the events step added none."""
    found = _all_accounts(session)
    if found:
        return found
    for number, (name, plan, segment, arr) in enumerate(FALLBACK_ACCOUNTS, start=1):
        values = {"external_id": f"acct-{number:03d}", "name": name, "plan": plan}
        values |= {"segment": segment, "arr_cents": arr, "domain": _domain(name)}
        found.append(accounts_service.create_account(session, actor, values))
    return found


def _domain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum()) + ".example"


@dataclass(frozen=True)
class _Author:
    account: str  # the account's external id
    email: str
    role: str  # the contact's ``role`` trait: finance_admin, card_holder or ""


def _authors(session: Session, accounts: list[Any]) -> list[list[_Author]]:
    """The people of each account who can write in: its contacts with an e-mail (their
    ``role`` trait kept), or a finance admin and a card holder at the account's domain."""
    found: list[list[_Author]] = []
    for account in accounts:
        page = accounts_service.list_contacts(session, PageRequest(limit=50), account_id=account.id)
        people = sorted(
            {(c.email, str((c.traits or {}).get("role") or "")) for c in page.items if c.email}
        )[:8]
        if not people:
            domain = account.domain or _domain(account.name or account.external_id)
            people = [(f"finance.admin@{domain}", "finance_admin")]
            people.append((f"cardholder@{domain}", "card_holder"))
        found.append([_Author(account.external_id, email, role) for email, role in people])
    return found


def _author(rng: np.random.Generator, accounts: list[list[_Author]], intent: str) -> _Author:
    """Someone at a random account: a card holder asks about their card, the finance
    admin about verification, top-ups and transfers (when the account has one)."""
    people = accounts[int(rng.integers(len(accounts)))]
    role = "card_holder" if intent.startswith(CARD_HOLDER_PREFIXES) else "finance_admin"
    fitting = [p for p in people if p.role == role] or people
    return fitting[int(rng.integers(len(fitting)))]


def _when(rng: np.random.Generator, start: datetime, now: datetime, day: int) -> datetime:
    """A moment of story ``day``: office-ish hours, and before ``now`` on today."""
    if day < DAYS:
        return start + timedelta(days=day, seconds=int(rng.integers(7 * 3600, 20 * 3600)))
    elapsed = int((now - start - timedelta(days=DAYS)).total_seconds())
    return start + timedelta(days=DAYS, seconds=int(rng.integers(0, max(elapsed, 1))))


def _rows(
    rng: np.random.Generator, authors: list[list[_Author]], known: set[str]
) -> list[dict[str, Any]]:
    now = utcnow()
    start = _demo_start(now)
    week_from = DAYS - (start + timedelta(days=DAYS)).weekday()
    messages = demo_messages()
    channel = rng.choice(len(CHANNELS), size=len(messages), p=[c[2] for c in CHANNELS])
    weights = {intent: intent_weights(intent, week_from) for _, intent in messages}
    rows = []
    for index, (text, intent) in enumerate(messages):
        when = _when(rng, start, now, int(rng.choice(DAYS + 1, p=weights[intent])))
        author = _author(rng, authors, intent)
        kind, name, _ = CHANNELS[int(channel[index])]
        external_id = f"{EXTERNAL_PREFIX}{index:04d}"
        if external_id in known:
            continue
        rows.append({
            "external_id": external_id,
            "text": text,
            "source_kind": kind,
            "source_name": name,
            "account": author.account,
            "author_email": author.email,
            "tags": [intent.replace("_", "-")],
            "created_at": when,
        })  # fmt: skip
    return rows


def load_demo_feedback(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the missing demo messages, synthesise themes once, and link the story's themes."""
    del runtime
    known = set(
        session.scalars(
            select(FeedbackItem.external_id).where(
                FeedbackItem.external_id.like(f"{EXTERNAL_PREFIX}%")
            )
        )
    )
    rng = np.random.default_rng(SEED)
    authors = _authors(session, _ensure_accounts(session, actor))
    rows = [service.new_item_row(session, actor, v) for v in _rows(rng, authors, known)]
    ids = service.insert_items(session, actor, rows)
    result = DemoResult(added={"feedback items": len(rows)} if rows else {})
    if triaged := backdate_and_triage(session, ids, utcnow()):
        result.added["feedback items triaged"] = triaged
    _synthesize(session, actor, result, len(rows))
    links = link_story_themes(session, actor)
    result.added |= {k: v for k, v in links.added.items() if v}
    result.notices += links.notices
    return result


def _synthesize(session: Session, actor: Actor, result: DemoResult, added: int) -> None:
    """Run synthesis so the demo has themes, sentiment and duplicates (about 10 s once)."""
    if not added and themes.list_themes(session, include_hidden=True):
        return
    report = synthesize_feedback(session, actor)
    if report.themes_created:
        result.added["feedback themes"] = report.themes_created
    if not report.ok:
        result.notices.append(f"feedback synthesis: {report.message}")
