"""Curated themes: list, read, rename, merge, split, move, hide, steer; all audited.

Synthesis finds themes; people own them afterwards. Every change here is made
by a person, recorded in the audit log (``feedback.theme_renamed``,
``feedback.themes_merged``, ``feedback.theme_split``, ``feedback.items_moved``,
``feedback.theme_hidden``/``feedback.theme_shown``, ``feedback.theme_steered``,
``feedback.theme_created``, ``feedback.proposal_accepted``/``_rejected``) and
protected from later synthesis runs: a moved item keeps ``assigned_by=person``
and re-synthesis never moves it, a renamed theme keeps ``label_is_custom`` and
is never relabelled. Re-synthesis only *proposes* (see :func:`list_proposals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.accounts.models import CustomerAccount
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Role
from pilothouse.feedback.models import (
    AssignedBy,
    FeedbackItem,
    FeedbackTheme,
    FeedbackThemeMember,
    FeedbackThemeProposal,
    ProposalKind,
    ProposalStatus,
    Sentiment,
    ThemeOrigin,
)
from pilothouse.feedback.service import FeedbackFilter, filtered_query
from pilothouse.feedback.theme_refresh import members_of, prototype, refresh_themes, relabel

__all__ = [
    "THEME_OBJECT_TYPE",
    "ProposalSummary",
    "ThemeDetail",
    "ThemeSummary",
    "accept_proposal",
    "count_open_proposals",
    "create_theme",
    "describe_theme",
    "get_proposal",
    "get_theme",
    "list_proposals",
    "list_themes",
    "merge_themes",
    "move_items",
    "reject_proposal",
    "rename_theme",
    "set_hidden",
    "split_theme",
    "steer_theme",
    "theme_item_ids",
    "theme_of_items",
]

THEME_OBJECT_TYPE = "feedback_theme"
MAX_LABEL = 200
MAX_KEYWORDS = 20


@dataclass(frozen=True)
class ThemeSummary:
    """One theme with its weight: how many items, customers and how much ARR stand behind it."""

    id: int
    label: str
    description: str
    keywords: tuple[str, ...]
    summary: str
    hidden: bool
    steered: bool
    item_count: int
    customer_count: int
    arr_cents: int
    negative_share: float
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ThemeDetail(ThemeSummary):
    """A theme with its representative quotes (feedback items, most central first)."""

    quotes: tuple[FeedbackItem, ...] = field(default_factory=tuple)
    example_item_ids: tuple[int, ...] = ()
    origin: str = "auto"
    label_is_custom: bool = False


@dataclass(frozen=True)
class ProposalSummary:
    """A change re-synthesis proposes, waiting for a person to accept or reject it.

    ``payload``: ``themes`` (ids involved), ``theme_labels``, ``groups`` (item ids
    per resulting theme) and ``labels`` (suggested label per group).
    """

    id: int
    kind: str
    status: str
    payload: dict[str, Any]
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


# --- reading -------------------------------------------------------------------------------


def _get(session: Session, theme_id: int) -> FeedbackTheme:
    theme = session.get(FeedbackTheme, int(theme_id))
    if theme is None:
        raise NotFound(f"no feedback theme {theme_id}")
    return theme


def _stats(
    session: Session, theme_ids: Sequence[int], filters: FeedbackFilter | None
) -> dict[int, tuple[int, int, int, float]]:
    """``(items, customers, ARR cents, negative share)`` per theme id."""
    query = select(
        FeedbackThemeMember.theme_id, FeedbackItem.account_id, FeedbackItem.sentiment
    ).join(FeedbackItem, FeedbackItem.id == FeedbackThemeMember.item_id)
    query = query.where(FeedbackThemeMember.theme_id.in_(theme_ids))
    if filters is not None:
        ids = filtered_query(session, filters).with_only_columns(FeedbackItem.id)
        query = query.where(FeedbackItem.id.in_(ids.scalar_subquery()))
    rows = session.execute(query).all()
    accounts = {a for _, a, _ in rows if a is not None}
    arr = dict(
        session.execute(
            select(CustomerAccount.id, CustomerAccount.arr_cents).where(
                CustomerAccount.id.in_(accounts)
            )
        ).all()
    )
    grouped: dict[int, list[tuple[int | None, Sentiment | None]]] = {}
    for theme_id, account_id, sentiment in rows:
        if theme_id is not None:
            grouped.setdefault(theme_id, []).append((account_id, sentiment))
    out = {}
    for theme_id, members in grouped.items():
        customers = {a for a, _ in members if a is not None}
        negative = sum(1 for _, s in members if s is Sentiment.negative)
        cents = sum(int(arr.get(a) or 0) for a in customers)
        out[theme_id] = (len(members), len(customers), cents, negative / len(members))
    return out


def _summary(theme: FeedbackTheme, stats: tuple[int, int, int, float]) -> dict[str, Any]:
    return {
        "id": theme.id,
        "label": theme.label,
        "description": theme.description or "",
        "keywords": tuple(theme.keywords or ()),
        "summary": theme.summary or "",
        "hidden": theme.hidden,
        "steered": theme.steered,
        "item_count": stats[0],
        "customer_count": stats[1],
        "arr_cents": stats[2],
        "negative_share": round(stats[3], 4),
        "created_at": theme.created_at,
        "updated_at": theme.updated_at,
    }


def list_themes(
    session: Session, *, include_hidden: bool = False, filters: FeedbackFilter | None = None
) -> list[ThemeSummary]:
    """Themes, most items first; with ``filters`` only the matching items count
    and themes with none of them are left out."""
    query = select(FeedbackTheme)
    if not include_hidden:
        query = query.where(FeedbackTheme.hidden.is_(False))
    themes = list(session.scalars(query))
    stats = _stats(session, [t.id for t in themes], filters)
    empty = (0, 0, 0, 0.0)
    out = [ThemeSummary(**_summary(t, stats.get(t.id, empty))) for t in themes]
    if filters is not None:
        out = [t for t in out if t.item_count]
    return sorted(out, key=lambda t: (-t.item_count, t.label.lower(), t.id))


def get_theme(session: Session, theme_id: int) -> ThemeDetail:
    """One theme (hidden ones too) with its quotes as feedback items."""
    theme = _get(session, theme_id)
    stats = _stats(session, [theme.id], None).get(theme.id, (0, 0, 0, 0.0))
    quote_ids = list(theme.quote_item_ids or [])
    found = {
        i.id: i for i in session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(quote_ids)))
    }
    return ThemeDetail(
        **_summary(theme, stats),
        quotes=tuple(found[i] for i in quote_ids if i in found),
        example_item_ids=tuple(theme.example_item_ids or ()),
        origin=theme.origin.value,
        label_is_custom=theme.label_is_custom,
    )


def theme_item_ids(session: Session, theme_id: int) -> list[int]:
    """Ids of the items in a theme, oldest first."""
    return members_of(session, _get(session, theme_id).id)


def theme_of_items(session: Session, item_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """``{item id: (theme id, label)}`` for the given items that are in a theme."""
    out: dict[int, tuple[int, str]] = {}
    wanted = sorted({int(i) for i in item_ids})
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(FeedbackThemeMember.item_id, FeedbackTheme.id, FeedbackTheme.label)
            .join(FeedbackTheme, FeedbackTheme.id == FeedbackThemeMember.theme_id)
            .where(FeedbackThemeMember.item_id.in_(wanted[start : start + 500]))
        )
        out.update({item_id: (theme_id, label) for item_id, theme_id, label in rows})
    return out


# --- curating ------------------------------------------------------------------------------


def _write(actor: Actor) -> None:
    actor.require(Role.editor, write=True)


def _label(raw: str, field_name: str = "label") -> str:
    label = " ".join(str(raw or "").split())
    if not label:
        raise ValidationFailed("a theme needs a label", errors=[FieldError(field_name, "required")])
    if len(label) > MAX_LABEL:
        raise ValidationFailed(
            "label too long", errors=[FieldError(field_name, f"at most {MAX_LABEL} characters")]
        )
    return label


def _items(session: Session, item_ids: Sequence[int], field_name: str = "item_ids") -> list[int]:
    wanted = sorted({int(i) for i in item_ids})
    found = set(session.scalars(select(FeedbackItem.id).where(FeedbackItem.id.in_(wanted))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(
            "unknown feedback items",
            errors=[FieldError(field_name, f"no feedback item {i}") for i in missing[:20]],
        )
    return wanted


def _place(session: Session, item_ids: Sequence[int], theme_id: int | None) -> list[int | None]:
    """Put items in a theme as a person's choice; returns the themes they left."""
    rows = {
        m.item_id: m
        for m in session.scalars(
            select(FeedbackThemeMember).where(FeedbackThemeMember.item_id.in_(item_ids))
        )
    }
    left: list[int | None] = []
    for item_id in item_ids:
        row = rows.get(item_id)
        if row is None:
            row = FeedbackThemeMember(item_id=item_id)
            session.add(row)
        else:
            left.append(row.theme_id)
        row.theme_id, row.assigned_by, row.score = theme_id, AssignedBy.person, None
        row.assigned_at = utcnow()
    session.flush()
    return left


def _record(
    session: Session,
    actor: Actor,
    theme: FeedbackTheme,
    name: str,
    *,
    after: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
    action: Action = Action.updated,
) -> None:
    """The audit entry of one change to a theme, named for what people did."""
    record_change(
        session,
        actor,
        object_type=THEME_OBJECT_TYPE,
        object_id=theme.id,
        action=action,
        label=theme.label,
        before=before,
        after=after,
        name=name,
    )


def rename_theme(session: Session, actor: Actor, theme_id: int, label: str) -> None:
    """Give a theme a person's label; synthesis never relabels it afterwards."""
    _write(actor)
    theme = _get(session, theme_id)
    before = {"label": theme.label}
    theme.label, theme.label_is_custom = _label(label), True
    _record(
        session, actor, theme, "feedback.theme_renamed", after={"label": theme.label}, before=before
    )
    session.flush()


def describe_theme(session: Session, actor: Actor, theme_id: int, description: str) -> None:
    """Change a theme's description (its steering prototype follows when steered)."""
    _write(actor)
    theme = _get(session, theme_id)
    before = {"description": theme.description}
    theme.description = str(description or "").strip()
    if theme.steered:
        theme.centroid = _prototype_bytes(session, theme)
    _record(
        session,
        actor,
        theme,
        "feedback.theme_described",
        after={"description": theme.description},
        before=before,
    )
    session.flush()


def set_hidden(session: Session, actor: Actor, theme_id: int, hidden: bool) -> None:
    """Hide a theme from lists (its items stay in it) or show it again."""
    _write(actor)
    theme = _get(session, theme_id)
    before = {"hidden": theme.hidden}
    theme.hidden = bool(hidden)
    _record(
        session,
        actor,
        theme,
        "feedback.theme_hidden" if hidden else "feedback.theme_shown",
        after={"hidden": theme.hidden},
        before=before,
    )
    session.flush()


def merge_themes(session: Session, actor: Actor, target_id: int, source_ids: Sequence[int]) -> None:
    """Move every item of the source themes into the target, then delete the sources."""
    _write(actor)
    target = _get(session, target_id)
    sources = [_get(session, s) for s in sorted({int(s) for s in source_ids} - {target.id})]
    if not sources:
        raise ValidationFailed(
            "nothing to merge", errors=[FieldError("source_ids", "name at least one other theme")]
        )
    moved = 0
    for source in sources:
        rows = session.scalars(
            select(FeedbackThemeMember).where(FeedbackThemeMember.theme_id == source.id)
        )
        for row in rows:
            row.theme_id = target.id
            moved += 1
        target.keywords = list(dict.fromkeys([*(target.keywords or []), *(source.keywords or [])]))[
            :MAX_KEYWORDS
        ]
        target.example_item_ids = sorted(
            {*(target.example_item_ids or []), *(source.example_item_ids or [])}
        )
    session.flush()
    after = {"merged": [s.id for s in sources], "labels": [s.label for s in sources]}
    for source in sources:
        _carry_links(session, actor, source.id, target.id)
        session.delete(source)
    session.flush()
    refresh_themes(session, [target.id])
    _record(session, actor, target, "feedback.themes_merged", after={**after, "items_moved": moved})
    session.flush()


def _carry_links(session: Session, actor: Actor, source_id: int, target_id: int) -> None:
    """Re-point a merged theme's links (to roadmap items, decisions, ...) at the target."""
    source = ObjectRef(THEME_OBJECT_TYPE, str(source_id))
    target = ObjectRef(THEME_OBJECT_TYPE, str(target_id))
    for link in links_of(session, source):
        if (link.from_type, link.from_id) == (source.type, source.id):
            other = ObjectRef(link.to_type, link.to_id)
            if other != target:
                add_link(session, actor, target, other, link.kind)
        else:
            other = ObjectRef(link.from_type, link.from_id)
            if other != target:
                add_link(session, actor, other, target, link.kind)
        remove_link(session, actor, link)


def split_theme(
    session: Session, actor: Actor, theme_id: int, item_ids: Sequence[int], label: str
) -> int:
    """Move ``item_ids`` out of a theme into a new theme called ``label``; returns its id."""
    _write(actor)
    theme = _get(session, theme_id)
    label = _label(label)
    wanted = _items(session, item_ids)
    members = set(members_of(session, theme.id))
    outside = [i for i in wanted if i not in members]
    if outside or not wanted:
        raise ValidationFailed(
            "split items must belong to the theme",
            errors=[FieldError("item_ids", f"item {i} is not in theme {theme.id}") for i in outside]
            or [FieldError("item_ids", "name at least one item")],
        )
    new = FeedbackTheme(
        label=label,
        label_is_custom=True,
        origin=ThemeOrigin.manual,
        model_id=theme.model_id,
        keywords=[],
        quote_item_ids=[],
        example_item_ids=[],
        description="",
        summary="",
    )
    session.add(new)
    session.flush()
    _place(session, wanted, new.id)
    refresh_themes(session, [theme.id, new.id])
    relabel(session, [theme, new])
    _record(
        session,
        actor,
        theme,
        "feedback.theme_split",
        after={"new_theme": new.id, "new_label": label, "items": wanted},
    )
    session.flush()
    return new.id


def move_items(
    session: Session, actor: Actor, item_ids: Sequence[int], theme_id: int | None
) -> None:
    """Put items in a theme (``None``: in none); synthesis will not move them again."""
    _write(actor)
    target = _get(session, theme_id) if theme_id is not None else None
    wanted = _items(session, item_ids)
    if not wanted:
        raise ValidationFailed("no items", errors=[FieldError("item_ids", "name at least one")])
    left = _place(session, wanted, target.id if target else None)
    refresh_themes(session, [t for t in left if t is not None] + ([target.id] if target else []))
    record_change(
        session,
        actor,
        object_type=THEME_OBJECT_TYPE,
        object_id=target.id if target else "none",
        action=Action.updated,
        label=target.label if target else "no theme",
        before={},
        after={"items": wanted, "from": sorted({t for t in left if t is not None})},
        name="feedback.items_moved",
    )
    session.flush()


def _keywords(raw: Sequence[str]) -> list[str]:
    words = [" ".join(str(w).split()).lower() for w in raw or ()]
    return list(dict.fromkeys(w for w in words if w))[:MAX_KEYWORDS]


def _prototype_bytes(session: Session, theme: FeedbackTheme) -> bytes:
    from pilothouse.feedback.embeddings import embedder, to_bytes

    theme.model_id = embedder().model_id
    return to_bytes(prototype(session, theme))


def steer_theme(
    session: Session,
    actor: Actor,
    theme_id: int,
    *,
    description: str,
    keywords: Sequence[str],
    example_item_ids: Sequence[int],
) -> None:
    """Steer a theme with a description, keywords and example items.

    New items are then compared with the theme's prototype (its embedded text
    plus the mean of its examples), and the examples join the theme.
    """
    _write(actor)
    theme = _get(session, theme_id)
    examples = _items(session, example_item_ids, "example_item_ids")
    before = {
        "description": theme.description,
        "keywords": list(theme.keywords or []),
        "example_item_ids": list(theme.example_item_ids or []),
        "steered": theme.steered,
    }
    theme.description = str(description or "").strip()
    theme.keywords = _keywords(keywords)
    theme.example_item_ids = examples
    theme.steered = True
    if theme.origin is ThemeOrigin.auto:
        theme.origin = ThemeOrigin.steered
    theme.centroid = _prototype_bytes(session, theme)
    if examples:
        left = _place(session, examples, theme.id)
        refresh_themes(session, [t for t in left if t is not None] + [theme.id])
    after = {
        "description": theme.description,
        "keywords": theme.keywords,
        "example_item_ids": examples,
        "steered": True,
    }
    _record(session, actor, theme, "feedback.theme_steered", after=after, before=before)
    session.flush()


def create_theme(
    session: Session,
    actor: Actor,
    *,
    label: str,
    description: str = "",
    keywords: Sequence[str] = (),
    example_item_ids: Sequence[int] = (),
) -> int:
    """A person's theme. With a description, keywords or examples it is steered."""
    _write(actor)
    theme = FeedbackTheme(
        label=_label(label),
        label_is_custom=True,
        origin=ThemeOrigin.manual,
        description=str(description or "").strip(),
        keywords=_keywords(keywords),
        quote_item_ids=[],
        example_item_ids=[],
        summary="0 items.",
    )
    session.add(theme)
    session.flush()
    _record(
        session,
        actor,
        theme,
        "feedback.theme_created",
        after={"label": theme.label, "description": theme.description, "keywords": theme.keywords},
        action=Action.created,
    )
    if theme.description or theme.keywords or example_item_ids:
        steer_theme(
            session,
            actor,
            theme.id,
            description=theme.description,
            keywords=theme.keywords,
            example_item_ids=example_item_ids,
        )
    session.flush()
    return theme.id


# --- the review queue ----------------------------------------------------------------------


def _proposal_summary(row: FeedbackThemeProposal) -> ProposalSummary:
    return ProposalSummary(
        row.id,
        row.kind.value,
        row.status.value,
        dict(row.payload or {}),
        row.created_at,
        row.decided_by_label,
        row.decided_at,
    )


def list_proposals(session: Session, status: str | None = "open") -> list[ProposalSummary]:
    """Proposals of re-synthesis, newest first (``status=None``: all)."""
    query = select(FeedbackThemeProposal).order_by(FeedbackThemeProposal.id.desc())
    if status:
        query = query.where(FeedbackThemeProposal.status == ProposalStatus(status))
    return [_proposal_summary(p) for p in session.scalars(query)]


def get_proposal(session: Session, proposal_id: int) -> ProposalSummary:
    row = session.get(FeedbackThemeProposal, int(proposal_id))
    if row is None:
        raise NotFound(f"no theme proposal {proposal_id}")
    return _proposal_summary(row)


def _open_proposal(session: Session, proposal_id: int) -> FeedbackThemeProposal:
    row = session.get(FeedbackThemeProposal, int(proposal_id))
    if row is None:
        raise NotFound(f"no theme proposal {proposal_id}")
    if row.status is not ProposalStatus.open:
        raise Conflict(f"proposal {proposal_id} is already {row.status.value}")
    return row


def _decide(
    session: Session, actor: Actor, row: FeedbackThemeProposal, status: ProposalStatus
) -> None:
    row.status, row.decided_at = status, utcnow()
    row.decided_by_id, row.decided_by_label = actor.user_id, actor.label
    record_change(
        session,
        actor,
        object_type="feedback_theme_proposal",
        object_id=row.id,
        action=Action.updated,
        label=f"{row.kind.value} proposal",
        before={"status": "open"},
        after={"status": status.value},
        name=f"feedback.proposal_{status.value}",
    )
    session.flush()


def _auto_only(session: Session, item_ids: Sequence[int]) -> list[int]:
    """The items of a proposal that no person has placed (those stay where people put them)."""
    placed = set(
        session.scalars(
            select(FeedbackThemeMember.item_id).where(
                FeedbackThemeMember.item_id.in_(item_ids),
                FeedbackThemeMember.assigned_by == AssignedBy.person,
            )
        )
    )
    return [int(i) for i in item_ids if int(i) not in placed]


def _auto_theme(session: Session, label: str, model_id: str | None) -> FeedbackTheme:
    theme = FeedbackTheme(
        label=label or "Unlabelled theme",
        origin=ThemeOrigin.auto,
        model_id=model_id,
        keywords=[],
        quote_item_ids=[],
        example_item_ids=[],
        description="",
        summary="",
    )
    session.add(theme)
    session.flush()
    return theme


def _move_auto(session: Session, item_ids: Sequence[int], theme_id: int) -> list[int | None]:
    rows = {
        m.item_id: m
        for m in session.scalars(
            select(FeedbackThemeMember).where(FeedbackThemeMember.item_id.in_(item_ids))
        )
    }
    left: list[int | None] = []
    for item_id in item_ids:
        row = rows.get(item_id) or FeedbackThemeMember(item_id=item_id, assigned_by=AssignedBy.auto)
        if item_id not in rows:
            session.add(row)
        left.append(row.theme_id)
        row.theme_id, row.assigned_at = theme_id, utcnow()
    session.flush()
    return left


def _apply(session: Session, actor: Actor, row: FeedbackThemeProposal) -> list[int]:
    payload = dict(row.payload or {})
    theme_ids = [int(t) for t in payload.get("themes", [])]
    groups = [[int(i) for i in g] for g in payload.get("groups", [])]
    labels = list(payload.get("labels") or [""] * len(groups))
    existing = {
        t.id: t
        for t in session.scalars(select(FeedbackTheme).where(FeedbackTheme.id.in_(theme_ids)))
    }
    gone = [t for t in theme_ids if t not in existing]
    if gone:
        raise Conflict(f"theme {gone[0]} no longer exists; reject this proposal")
    if row.kind is ProposalKind.merge:
        target = max(existing.values(), key=lambda t: len(members_of(session, t.id)))
        merge_themes(session, actor, target.id, [t for t in theme_ids if t != target.id])
        if not target.label_is_custom and labels and labels[0]:
            target.label = labels[0]
        return [target.id]
    model_id = next(iter(existing.values())).model_id if existing else None
    if row.kind is ProposalKind.split_theme:
        owner = theme_ids[0]
        current = set(members_of(session, owner))
        groups = [[i for i in g if i in current] for g in groups]
    made: list[int] = []
    touched: set[int] = set(theme_ids)
    for index, group in enumerate(groups):
        if row.kind is ProposalKind.split_theme and index == 0:
            continue  # the first (largest) part stays in the theme
        items = _auto_only(session, group)
        if not items:
            continue
        theme = _auto_theme(session, labels[index] if index < len(labels) else "", model_id)
        touched |= {t for t in _move_auto(session, items, theme.id) if t is not None}
        made.append(theme.id)
    refresh_themes(session, touched | set(made))
    fresh = [t for t in (session.get(FeedbackTheme, m) for m in made) if t is not None]
    suggested = {t.id: t.label for t in fresh}
    relabel(session, fresh)  # keywords from the members, against each other
    for theme in fresh:
        if suggested[theme.id] != "Unlabelled theme":
            theme.label = suggested[theme.id]
    return made


def accept_proposal(session: Session, actor: Actor, proposal_id: int) -> None:
    """Carry out a proposal: create, merge or split themes (people's placements stay)."""
    _write(actor)
    row = _open_proposal(session, proposal_id)
    made = _apply(session, actor, row)
    row.payload = {**dict(row.payload or {}), "result_themes": made}
    _decide(session, actor, row, ProposalStatus.accepted)


def reject_proposal(session: Session, actor: Actor, proposal_id: int) -> None:
    """Decline a proposal; nothing changes."""
    _write(actor)
    _decide(session, actor, _open_proposal(session, proposal_id), ProposalStatus.rejected)


def count_open_proposals(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(FeedbackThemeProposal)
            .where(FeedbackThemeProposal.status == ProposalStatus.open)
        )
        or 0
    )
