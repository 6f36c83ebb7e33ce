"""Evidence from linked feedback: how many feedback items, customers and how much ARR.

Feedback reaches an item through the core ``links`` table: a link from
``("feedback_item", <feedback id>)`` to ``("roadmap_item", <item id>)``, of any
kind. (The item's current or an earlier public key, such as ``FEAT-12``, is
accepted in ``to_id`` too.) Which customer account a feedback item came from is
the feedback domain's knowledge, so the roadmap asks it through one function:

    ``pilothouse.feedback.service.accounts_of_feedback(session, feedback_ids)``
    → ``{feedback_id: account_id or None}``

which the feedback domain implements (see :class:`FeedbackAccounts`). Until it
exists, the default resolver answers nothing: feedback is still counted, customers
and ARR are 0. The ARR of an account is read through the accounts service, in
integer cents.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts_service
from pilothouse.core.errors import NotFound
from pilothouse.core.models import Link
from pilothouse.roadmap.models import RoadmapItem

__all__ = [
    "EVIDENCE_NAMES",
    "FEEDBACK_SERVICE",
    "Evidence",
    "FeedbackAccounts",
    "evidence_for",
    "no_feedback_accounts",
]

FEEDBACK_SERVICE = "pilothouse.feedback.service"
#: The names under which formulas read evidence.
EVIDENCE_NAMES = ("feedback_count", "customer_count", "customer_arr_cents")


class FeedbackAccounts(Protocol):
    """Resolves feedback item ids to the id of the customer account behind each (or None)."""

    def __call__(
        self, session: Session, feedback_ids: Sequence[str]
    ) -> Mapping[str, int | None]: ...


def no_feedback_accounts(session: Session, feedback_ids: Sequence[str]) -> Mapping[str, int | None]:
    """The resolver used while no feedback domain is installed: knows no accounts."""
    del session, feedback_ids
    return {}


def _installed_resolver() -> FeedbackAccounts:
    try:
        module = importlib.import_module(FEEDBACK_SERVICE)
    except ModuleNotFoundError as exc:
        if exc.name in (FEEDBACK_SERVICE, "pilothouse.feedback"):
            return no_feedback_accounts
        raise
    resolver: FeedbackAccounts | None = getattr(module, "accounts_of_feedback", None)
    return resolver or no_feedback_accounts


@dataclass(frozen=True)
class Evidence:
    """Evidence of one item; ARR in integer cents, never a float."""

    feedback_count: int = 0
    customer_count: int = 0
    customer_arr_cents: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in EVIDENCE_NAMES}


def _linked_feedback(session: Session, items: Sequence[RoadmapItem]) -> dict[int, set[str]]:
    """Feedback ids linked to each item, from links addressed by id or by a key."""
    by_ref: dict[str, int] = {}
    for item in items:
        by_ref[str(item.id)] = item.id
        by_ref[item.key] = item.id
    found: dict[int, set[str]] = {item.id: set() for item in items}
    refs = list(by_ref)
    for start in range(0, len(refs), 500):
        query = select(Link.from_id, Link.to_id).where(
            Link.from_type == "feedback_item",
            Link.to_type == "roadmap_item",
            Link.to_id.in_(refs[start : start + 500]),
        )
        for feedback_id, to_id in session.execute(query):
            found[by_ref[to_id]].add(feedback_id)
    return found


def _arr(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    arr: dict[int, int] = {}
    for account_id in account_ids:
        try:
            account = accounts_service.get_account(session, account_id)
        except NotFound:
            continue
        arr[account_id] = account.arr_cents or 0
    return arr


def evidence_for(
    session: Session,
    items: Sequence[RoadmapItem],
    resolver: FeedbackAccounts | None = None,
) -> dict[int, Evidence]:
    """Evidence per item id, for many items with one pass over the links."""
    linked = _linked_feedback(session, items)
    all_feedback = sorted({f for ids in linked.values() for f in ids})
    resolve = resolver or _installed_resolver()
    accounts = dict(resolve(session, all_feedback)) if all_feedback else {}
    arr = _arr(session, {a for a in accounts.values() if a is not None})
    result = {}
    for item_id, feedback_ids in linked.items():
        customers = {accounts.get(f) for f in feedback_ids} - {None}
        result[item_id] = Evidence(
            feedback_count=len(feedback_ids),
            customer_count=len(customers),
            customer_arr_cents=sum(arr.get(a, 0) for a in customers if a is not None),
        )
    return result
