"""Evidence from linked feedback: how many feedback items, customers and how much ARR.

Feedback reaches an item through the core ``links`` table: a link from
``("feedback_item", <feedback id>)`` or from a whole theme,
``("feedback_theme", <theme id>)``, to ``("roadmap_item", <item id>)``, of any
kind. (The item's current or an earlier public key, such as ``FEAT-12``, is
accepted in ``to_id`` too.) A linked theme counts every item in it; an item linked
both directly and through its theme counts once (the evidence is a set of
feedback ids). Which customer account a feedback item came from, and which items a
theme holds, is the feedback domain's knowledge, so the roadmap asks it through
two functions:

    ``pilothouse.feedback.service.accounts_of_feedback(session, feedback_ids)``
    → ``{feedback_id: account_id or None}``
    ``pilothouse.feedback.service.feedback_of_themes(session, theme_ids)``
    → ``{theme_id: [feedback_id, ...]}``

which the feedback domain implements (see :class:`FeedbackAccounts`). Until it
exists, the default resolver answers nothing: feedback is still counted, customers
and ARR are 0. The ARR of an account is read through the accounts service, in
integer cents.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts_service
from pilothouse.core.db import is_reading, reading_memo
from pilothouse.core.models import Link
from pilothouse.roadmap.models import RoadmapItem

__all__ = [
    "EVIDENCE_NAMES",
    "FEEDBACK_SERVICE",
    "Evidence",
    "EvidenceSources",
    "FeedbackAccounts",
    "evidence_for",
    "evidence_sources",
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


def _feedback_service() -> Any:
    try:
        return importlib.import_module(FEEDBACK_SERVICE)
    except ModuleNotFoundError as exc:
        if exc.name in (FEEDBACK_SERVICE, "pilothouse.feedback"):
            return None
        raise


def _installed_resolver() -> FeedbackAccounts:
    resolver: FeedbackAccounts | None = getattr(_feedback_service(), "accounts_of_feedback", None)
    return resolver or no_feedback_accounts


def _theme_members(session: Session, theme_ids: Sequence[str]) -> Mapping[str, list[str]]:
    """Feedback ids in each theme, through the feedback service (none without it)."""
    members = getattr(_feedback_service(), "feedback_of_themes", None)
    return members(session, theme_ids) if members and theme_ids else {}


@dataclass(frozen=True)
class Evidence:
    """Evidence of one item; ARR in integer cents, never a float."""

    feedback_count: int = 0
    customer_count: int = 0
    customer_arr_cents: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in EVIDENCE_NAMES}


@dataclass(frozen=True)
class EvidenceSources:
    """What an item's evidence is made of: linked themes, every feedback id counted
    (direct links and theme members, once each) and the customers behind them."""

    theme_ids: tuple[str, ...] = ()
    direct_feedback_ids: tuple[str, ...] = ()
    feedback_ids: tuple[str, ...] = ()
    #: ``{account id: ARR in cents}`` of the distinct customers behind the feedback.
    customers: Mapping[int, int] = field(default_factory=dict)

    def evidence(self) -> Evidence:
        return Evidence(
            feedback_count=len(self.feedback_ids),
            customer_count=len(self.customers),
            customer_arr_cents=sum(self.customers.values()),
        )


_SOURCE_TYPES = ("feedback_item", "feedback_theme")


def _linked(session: Session, items: Sequence[RoadmapItem]) -> dict[int, dict[str, set[str]]]:
    """Feedback and theme ids linked to each item, from links addressed by id or key."""
    by_ref: dict[str, int] = {}
    for item in items:
        by_ref[str(item.id)] = item.id
        by_ref[item.key] = item.id
    found = {item.id: {t: set[str]() for t in _SOURCE_TYPES} for item in items}
    refs = list(by_ref)
    for start in range(0, len(refs), 500):
        query = select(Link.from_type, Link.from_id, Link.to_id).where(
            Link.from_type.in_(_SOURCE_TYPES),
            Link.to_type == "roadmap_item",
            Link.to_id.in_(refs[start : start + 500]),
        )
        for from_type, from_id, to_id in session.execute(query):
            found[by_ref[to_id]][from_type].add(from_id)
    return found


def _arr(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    return accounts_service.arr_of_accounts(session, account_ids)


def evidence_sources(
    session: Session,
    items: Sequence[RoadmapItem],
    resolver: FeedbackAccounts | None = None,
) -> dict[int, EvidenceSources]:
    """What each item's evidence is made of, for many items with one pass over links.

    A reading session keeps each item's answer (the item page asks for its evidence and
    then for its impact chain's); a session that may write, or a custom resolver, does not.
    """
    if resolver is None and is_reading(session):
        kept: dict[int, EvidenceSources] = reading_memo(session, "roadmap_evidence_sources")
        missing = [item for item in items if item.id not in kept]
        if missing:
            kept.update(_evidence_sources(session, missing, None))
        return {item.id: kept[item.id] for item in items}
    return _evidence_sources(session, items, resolver)


def _evidence_sources(
    session: Session, items: Sequence[RoadmapItem], resolver: FeedbackAccounts | None
) -> dict[int, EvidenceSources]:
    linked = _linked(session, items)
    all_themes = sorted({t for found in linked.values() for t in found["feedback_theme"]})
    members = _theme_members(session, all_themes)
    counted: dict[int, set[str]] = {}
    for item_id, found in linked.items():
        via_themes = {f for t in found["feedback_theme"] for f in members.get(t, ())}
        counted[item_id] = found["feedback_item"] | via_themes
    all_feedback = sorted({f for ids in counted.values() for f in ids})
    resolve = resolver or _installed_resolver()
    accounts = dict(resolve(session, all_feedback)) if all_feedback else {}
    arr = _arr(session, {a for a in accounts.values() if a is not None})
    result = {}
    for item_id, feedback_ids in counted.items():
        customers = {a for f in feedback_ids if (a := accounts.get(f)) is not None}
        result[item_id] = EvidenceSources(
            theme_ids=tuple(sorted(linked[item_id]["feedback_theme"], key=_number)),
            direct_feedback_ids=tuple(sorted(linked[item_id]["feedback_item"], key=_number)),
            feedback_ids=tuple(sorted(feedback_ids, key=_number)),
            customers={a: arr.get(a, 0) for a in sorted(customers)},
        )
    return result


def _number(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


def evidence_for(
    session: Session,
    items: Sequence[RoadmapItem],
    resolver: FeedbackAccounts | None = None,
) -> dict[int, Evidence]:
    """Evidence per item id, for many items with one pass over the links."""
    sources = evidence_sources(session, items, resolver)
    return {item_id: found.evidence() for item_id, found in sources.items()}
