"""A small workspace with curated themes whose numbers are known by construction.

Three accounts (segment, plan, ARR in cents) and three themes built through the
real services (``create_theme`` + ``move_items``, no model needed):

* **Exports** — one item in each of the 8 weeks before this one and 10 this week
  (a spike: p = binom.sf(9, 18, 1/9) ≈ 5.4e-6); 18 items, accounts 1 and 2.
* **Billing** — 3 items two to four weeks ago, account 2 only.
* **Onboarding** — 2 positive items from account 3, five weeks ago.

plus one item in no theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from pilothouse.accounts import service as accounts_service
from pilothouse.core import areas
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service, themes
from pilothouse.feedback.insights import week_start

CLI = Actor.command_line()
ACCOUNTS = (
    ("acct-1", "Acme Labs", "enterprise", "pro", 100_000_00),
    ("acct-2", "Globex Bank", "smb", "starter", 5_000_00),
    ("acct-3", "Initech Health", "enterprise", "pro", 50_000_00),
)


@dataclass
class Workspace:
    exports: int
    billing: int
    onboarding: int
    items: dict[str, list[int]]
    unthemed: int
    now: datetime


def _item(session, text: str, account: str, when: datetime, sentiment: str | None = None) -> int:  # type: ignore[no-untyped-def]
    item = service.create_feedback(
        session,
        CLI,
        {"text": text, "account": account, "created_at": when, "source_kind": "support_ticket",
         "source_name": "zendesk", "product_area": "reporting" if "xport" in text else ""},
    )  # fmt: skip
    if sentiment:
        service.update_feedback(session, CLI, item, {"sentiment": sentiment})
    return item.id


def build_workspace(runtime: Runtime) -> Workspace:
    now = datetime.now(UTC)
    this_week = datetime.combine(week_start(now), datetime.min.time(), tzinfo=UTC)
    with runtime.database.session() as session:
        areas.create_area(session, CLI, name="Reporting", description="", owner_id=None)
        for key, name, segment, plan, arr in ACCOUNTS:
            accounts_service.create_account(
                session,
                CLI,
                {"external_id": key, "name": name, "segment": segment, "plan": plan,
                 "arr_cents": arr},
            )  # fmt: skip
        week = timedelta(weeks=1)
        exports = [
            _item(session, f"Export to PDF fails, week -{w}", "acct-1",
                  this_week - w * week + timedelta(hours=3), "negative")
            for w in range(1, 9)
        ]  # fmt: skip
        exports += [
            _item(session, f"CSV export times out again ({i})", "acct-2" if i % 2 else "acct-1",
                  min(now, this_week + timedelta(minutes=i)), "negative" if i < 6 else "neutral")
            for i in range(10)
        ]  # fmt: skip
        billing = [
            _item(session, f"Invoice is missing the VAT number ({w})", "acct-2", now - w * week)
            for w in (2, 3, 4)
        ]  # fmt: skip
        onboarding = [
            _item(session, f"Love the onboarding checklist ({i})", "acct-3", now - 5 * week,
                  "positive")
            for i in range(2)
        ]  # fmt: skip
        unthemed = _item(session, "Dark mode please", "acct-3", now - timedelta(days=1))
        ids = {}
        for label, members in (
            ("Exports", exports),
            ("Billing", billing),
            ("Onboarding", onboarding),
        ):
            ids[label] = themes.create_theme(session, CLI, label=label)
            themes.move_items(session, CLI, members, ids[label])
    return Workspace(
        ids["Exports"], ids["Billing"], ids["Onboarding"],
        {"exports": exports, "billing": billing, "onboarding": onboarding}, unthemed, now,
    )  # fmt: skip


@pytest.fixture
def workspace(runtime: Runtime) -> Workspace:
    return build_workspace(runtime)
