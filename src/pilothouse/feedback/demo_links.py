"""The demo story's evidence links: which theme answers which roadmap item.

After synthesis, each chain of the demo story (docs/demo.md) takes the theme that
holds most messages of the chain's intents (the demo knows every message's
intent from its bundled label). Synthesis splits a big topic finely ("Track
card", "Card arrive", "Delivery time"), so, as a product manager curating themes
would, the other themes that are mostly about the chain are merged into it and
it gets a human name (:func:`themes.merge_themes`, :func:`themes.rename_theme`:
audited, and re-synthesis keeps a person's name). The theme is linked to the
roadmap item as evidence, and a handful of its most typical messages of those
intents are linked to the item directly too. Idempotent: links are found again,
and a name a person gave is left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link, links_of
from pilothouse.demo.registry import DemoResult
from pilothouse.feedback import service, themes
from pilothouse.feedback.models import FeedbackItem
from pilothouse.roadmap import items as roadmap_items
from pilothouse.roadmap.listing import ItemFilter, filtered_items

__all__ = ["CHAINS", "StoryChain", "link_story_themes", "message_intents"]

TYPICAL = 5  # messages linked to the item directly, besides the whole theme
MOSTLY = 0.6  # a theme is about a chain when this share of its messages has its intents
AT_LEAST = 5  # ... and at least this many


@dataclass(frozen=True)
class StoryChain:
    theme_name: str
    intents: frozenset[str]
    item_title: str


CHAINS = (
    StoryChain(
        "Where is my card?",
        frozenset({"card_arrival", "card_delivery_estimate"}),
        "Card delivery tracking",
    ),
    StoryChain(
        "Identity verification",
        frozenset({"verify_my_identity", "why_verify_identity", "unable_to_verify_identity"}),
        "One-step identity verification",
    ),
    StoryChain(
        "Top-ups failing",
        frozenset({"top_up_failed", "top_up_reverted", "pending_top_up"}),
        "Instant top-ups with Apple Pay and Google Pay",
    ),
    StoryChain(
        "Transfers not arriving",
        frozenset({"transfer_not_received_by_recipient", "pending_transfer", "transfer_timing"}),
        "Transfer status and arrival time",
    ),
    StoryChain(
        "Exchange rates",
        frozenset({"exchange_rate", "card_payment_wrong_exchange_rate", "exchange_charge"}),
        "Show the exchange rate before card payments",
    ),
)


def message_intents(session: Session) -> dict[int, str]:
    """``{feedback item id: intent}`` of the stored demo messages."""
    from pilothouse.feedback.demo import EXTERNAL_PREFIX, demo_messages

    intents = [intent for _, intent in demo_messages()]
    query = select(FeedbackItem.id, FeedbackItem.external_id).where(
        FeedbackItem.external_id.like(f"{EXTERNAL_PREFIX}%")
    )
    out = {}
    for item_id, external_id in session.execute(query):
        index = external_id.removeprefix(EXTERNAL_PREFIX)
        if index.isdigit() and int(index) < len(intents):
            out[item_id] = intents[int(index)]
    return out


def _item(session: Session, title: str) -> roadmap_items.RoadmapItem | None:
    found = filtered_items(session, ItemFilter(search=title))
    return next((i for i in found if i.title == title), None)


def _chain_themes(
    chain: StoryChain, placed: dict[int, tuple[int, str]], intents: dict[int, str], used: set[int]
) -> list[int]:
    """Themes that are mostly about the chain (at least :data:`MOSTLY` of their demo
    messages, and :data:`AT_LEAST` messages), the one holding most of its messages first."""
    members: Counter[int] = Counter()
    ours: Counter[int] = Counter()
    for item_id, (theme_id, _) in placed.items():
        if theme_id in used:
            continue
        members[theme_id] += 1
        ours[theme_id] += intents.get(item_id) in chain.intents
    mostly = [t for t, n in ours.most_common() if n >= AT_LEAST and n >= MOSTLY * members[t]]
    best = ours.most_common(1)[0][0] if +ours else None
    if best is None:
        return []
    return [best, *[t for t in mostly if t != best]]


def _curate(session: Session, actor: Actor, chain: StoryChain, found: list[int]) -> int:
    """Merge the chain's themes into the largest and name it, as a PM curating the
    synthesised themes would (both audited; re-synthesis keeps a person's name)."""
    target = found[0]
    if len(found) > 1:
        themes.merge_themes(session, actor, target, found[1:])
    detail = themes.get_theme(session, target)
    if not detail.label_is_custom:  # even when synthesis found the name: now it is kept
        themes.rename_theme(session, actor, target, chain.theme_name)
    return target


def _typical(
    session: Session, theme_id: int, chain: StoryChain, intents: dict[int, str]
) -> list[FeedbackItem]:
    """The theme's most central quotes of the chain's intents (then its examples)."""
    detail = themes.get_theme(session, theme_id)
    ids = [q.id for q in detail.quotes] + list(detail.example_item_ids)
    ids += themes.theme_item_ids(session, theme_id)
    wanted = list(dict.fromkeys(i for i in ids if intents.get(i) in chain.intents))[:TYPICAL]
    return [service.get_feedback(session, i) for i in wanted]


def _link_chain(
    session: Session, actor: Actor, chain: StoryChain, theme_id: int, intents: dict[int, str]
) -> tuple[int, int]:
    """Link the theme and its typical messages to the item; returns how many theme and
    message links are new."""
    item = _item(session, chain.item_title)
    if item is None:
        return 0, 0
    target = roadmap_items.item_ref(item)
    theme_ref = ObjectRef(themes.THEME_OBJECT_TYPE, str(theme_id))
    had = {(link.to_type, link.to_id) for link in links_of(session, theme_ref)}
    add_link(session, actor, theme_ref, target, service.EVIDENCE_KIND)
    new_messages = 0
    for feedback in _typical(session, theme_id, chain, intents):
        linked = {link.to_id for link in service.roadmap_links(session, feedback)}
        if target.id not in linked and item.key not in linked:
            service.link_roadmap_item(session, actor, feedback, item.key)
            new_messages += 1
    return int((target.type, target.id) not in had), new_messages


def link_story_themes(session: Session, actor: Actor) -> DemoResult:
    """Link every chain's theme to its roadmap item (see the module docstring)."""
    result = DemoResult()
    intents = message_intents(session)
    used: set[int] = set()
    for chain in CHAINS:
        placed = themes.theme_of_items(session, list(intents))  # again: merges change it
        found = _chain_themes(chain, placed, intents, used)
        if not found:
            result.notices.append(f"feedback: no theme found for {chain.theme_name!r}")
            continue
        theme_id = _curate(session, actor, chain, found)
        if len(found) > 1:
            result.added["themes merged"] = result.added.get("themes merged", 0) + len(found) - 1
        used.add(theme_id)
        if _item(session, chain.item_title) is None:
            result.notices.append(f"feedback: no roadmap item {chain.item_title!r} to link")
        for name, count in zip(
            ("theme evidence links", "feedback evidence links"),
            _link_chain(session, actor, chain, theme_id, intents),
            strict=True,
        ):
            if count:
                result.added[name] = result.added.get(name, 0) + count
    return result
