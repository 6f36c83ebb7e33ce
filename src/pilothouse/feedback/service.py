"""Feedback items: create, update, triage, link to roadmap items; all audited.

Every way in (API, form, importers, demo) goes through :func:`create_feedback` or
:func:`save_feedback`, so the rules live once: text required and at most
:data:`MAX_TEXT` characters, ratings in range, the author found or created as a
contact of the shared accounts domain (by e-mail), the account found by id or
external id (imports may create unknown ones, as tracking does), and the product
area by id, slug or name. Re-imports find an item by ``(source_name,
external_id)`` and update it, never duplicating it.

The roadmap reads evidence through :func:`accounts_of_feedback`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts
from pilothouse.accounts.models import CustomerAccount
from pilothouse.core import areas as core_areas
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, Change, plain, record_change, record_changes, snapshot
from pilothouse.core.db import utcnow
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.ids import parse_id
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Link, ProductArea, Role
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.feedback.models import (
    FeedbackItem,
    FeedbackStatus,
    FeedbackThemeMember,
    Sentiment,
    SourceKind,
)
from pilothouse.roadmap import items as roadmap_items

__all__ = [
    "FEEDBACK_OBJECT_TYPE",
    "MAX_TEXT",
    "FeedbackFilter",
    "accounts_of_feedback",
    "feedback_of_themes",
    "change_status",
    "clean_values",
    "create_feedback",
    "feedback_ref",
    "filtered_query",
    "get_feedback",
    "items_by_external_id",
    "link_roadmap_item",
    "list_feedback",
    "insert_items",
    "new_item_row",
    "roadmap_links",
    "save_feedback",
    "unlink_roadmap_item",
    "update_existing",
    "update_feedback",
]

FEEDBACK_OBJECT_TYPE = "feedback_item"
EVIDENCE_KIND = "evidence"
MAX_TEXT = 20_000
MAX_TAGS = 30
AUDITED_FIELDS = (
    "title",
    "text",
    "source_kind",
    "source_name",
    "external_id",
    "url",
    "contact_id",
    "account_id",
    "created_at",
    "rating",
    "nps_score",
    "language",
    "product_area_id",
    "tags",
    "status",
    "sentiment",
    "duplicate_of_id",
)
#: Moves the triage workflow allows; any status may also stay as it is.
TRANSITIONS: dict[FeedbackStatus, set[FeedbackStatus]] = {
    FeedbackStatus.new: {FeedbackStatus.triaged, FeedbackStatus.linked, FeedbackStatus.closed},
    FeedbackStatus.triaged: {FeedbackStatus.new, FeedbackStatus.linked, FeedbackStatus.closed},
    FeedbackStatus.linked: {FeedbackStatus.triaged, FeedbackStatus.closed},
    FeedbackStatus.closed: {FeedbackStatus.triaged},
}
#: Input names that are not columns but are resolved into ``contact_id``/``account_id``.
REFERENCE_INPUTS = ("author_email", "author_name", "account", "account_name", "product_area")


def feedback_ref(item: FeedbackItem) -> ObjectRef:
    return ObjectRef(FEEDBACK_OBJECT_TYPE, str(item.id))


def _label(item: FeedbackItem) -> str:
    return (item.title or item.text)[:120]


# --- cleaning input ------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field, message))

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise ValidationFailed(f"{first.field}: {first.message}", errors=self.items)


def _text(values: Mapping[str, Any], errors: _Errors, *, required: bool) -> str | None:
    raw = values.get("text")
    if raw is None and not required:
        return None
    text = str(raw or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        errors.add("text", "the feedback text is empty")
    elif len(text) > MAX_TEXT:
        errors.add("text", f"{len(text):,} characters; at most {MAX_TEXT:,}")
    return text


def _int_in(name: str, raw: Any, low: int, high: int, errors: _Errors) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        number = float(str(raw).strip()) if not isinstance(raw, int | float) else float(raw)
    except ValueError:
        errors.add(name, f"a whole number from {low} to {high} expected, got {raw!r}")
        return None
    if isinstance(raw, bool) or not math.isfinite(number) or number != int(number):
        errors.add(name, f"a whole number from {low} to {high} expected, got {raw!r}")
        return None
    if not low <= number <= high:
        errors.add(name, f"must be from {low} to {high}, got {int(number)}")
        return None
    return int(number)


def _when(raw: Any, errors: _Errors) -> datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time())
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            errors.add("created_at", f"an ISO 8601 date or time expected, got {raw!r}")
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum_value(cls: Any, name: str, raw: Any, errors: _Errors) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return cls(str(raw).strip().lower())
    except ValueError:
        errors.add(name, f"one of {', '.join(m.value for m in cls)} expected, got {raw!r}")
        return None


def _tags(raw: Any, errors: _Errors) -> list[str]:
    values = raw.split(",") if isinstance(raw, str) else list(raw or [])
    tags: list[str] = []
    for value in values:
        tag = str(value).strip().lower()[:64]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        errors.add("tags", f"at most {MAX_TAGS} tags")
    return tags


def _area(session: Session, raw: Any, errors: _Errors) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    try:
        area_id = parse_id(text)
        if area_id is not None:
            return core_areas.get_area(session, area_id).id
        by_name = session.scalar(
            select(ProductArea.id).where(func.lower(ProductArea.name) == text.lower())
        )
        return by_name or core_areas.get_area_by_slug(session, text.lower()).id
    except NotFound:
        errors.add("product_area", f"no product area {text!r}")
        return None


def _account(
    session: Session, values: Mapping[str, Any], errors: _Errors, create: bool
) -> CustomerAccount | None:
    raw = values.get("account")
    if raw is None or str(raw).strip() == "":
        return None
    key = str(raw).strip()[:200]
    try:
        return accounts.find_account(session, key)
    except NotFound:
        if not create:
            errors.add("account", f"no customer account {key!r}")
            return None
    name = str(values.get("account_name") or "").strip()
    accounts.merge_tracked(session, {key: {"name": name} if name else {}}, {})
    return accounts.find_account(session, key)


def _author(
    session: Session, values: Mapping[str, Any], account: CustomerAccount | None, errors: _Errors
) -> tuple[int | None, CustomerAccount | None]:
    email = str(values.get("author_email") or "").strip()
    if not email:
        return None, account
    if "@" not in email or len(email) > 320 or " " in email:
        errors.add("author_email", f"not an e-mail address: {email[:80]!r}")
        return None, account
    if errors.items:  # don't create people for input that will be refused
        return None, account
    name = str(values.get("author_name") or "").strip()
    contact = accounts.contact_for_email(session, email, name=name, account=account)
    return contact.id, account or contact.account


def _plain_columns(values: Mapping[str, Any], errors: _Errors, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    text = _text(values, errors, required=not partial)
    if text is not None:
        out["text"] = text
    for name, limit in (("title", 300), ("source_name", 100), ("external_id", 200)):
        if name in values:
            value = str(values[name] or "").strip()
            if len(value) > limit:
                errors.add(name, f"at most {limit} characters")
            out[name] = value or (None if name == "external_id" else "")
    if "url" in values:
        url = str(values["url"] or "").strip()
        if url and not url.startswith(("http://", "https://")):
            errors.add("url", "must start with http:// or https://")
        out["url"] = url[:2000] or None
    if "language" in values:
        out["language"] = str(values["language"] or "").strip().lower()[:16] or None
    return out


def clean_values(
    session: Session, values: Mapping[str, Any], *, partial: bool = False, create_accounts: bool
) -> dict[str, Any]:
    """Column values from input values; raises :class:`ValidationFailed` with every problem.

    Args:
        partial: only the given fields (an update); otherwise text is required.
        create_accounts: an unknown ``account`` key becomes a new account (imports).
    """
    errors = _Errors()
    out = _plain_columns(values, errors, partial)
    if "source_kind" in values or not partial:
        kind = _enum_value(SourceKind, "source_kind", values.get("source_kind"), errors)
        if kind is None and not partial and "source_kind" not in [e.field for e in errors.items]:
            kind = SourceKind.internal
        if kind is not None:
            out["source_kind"] = kind
    for name, low, high in (("rating", 1, 5), ("nps_score", 0, 10)):
        if name in values:
            out[name] = _int_in(name, values[name], low, high, errors)
    if values.get("created_at") not in (None, ""):
        out["created_at"] = _when(values["created_at"], errors)
    if "sentiment" in values:
        out["sentiment"] = _enum_value(Sentiment, "sentiment", values["sentiment"], errors)
    if "tags" in values:
        out["tags"] = _tags(values["tags"], errors)
    if "product_area" in values:
        out["product_area_id"] = _area(session, values["product_area"], errors)
    account = _account(session, values, errors, create_accounts) if "account" in values else None
    contact_id, account = _author(session, values, account, errors)
    if contact_id is not None:
        out["contact_id"] = contact_id
    if account is not None or values.get("account") == "":
        out["account_id"] = account.id if account else None
    errors.raise_if_any()
    return out


# --- reading -------------------------------------------------------------------------------


def get_feedback(session: Session, feedback_id: int | str) -> FeedbackItem:
    text = str(feedback_id).strip()
    item_id = parse_id(text)
    item = session.get(FeedbackItem, item_id) if item_id is not None else None
    if item is None:
        raise NotFound(f"no feedback item {text!r}")
    return item


@dataclass(frozen=True)
class FeedbackFilter:
    """Each field narrows the list. ``account`` is an account id or external id."""

    source: str | None = None
    source_kind: SourceKind | None = None
    status: FeedbackStatus | None = None
    account: str | None = None
    product_area: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None


def filtered_query(session: Session, where: FeedbackFilter) -> Any:
    query = select(FeedbackItem)
    if where.source:
        query = query.where(FeedbackItem.source_name == where.source)
    if where.source_kind:
        query = query.where(FeedbackItem.source_kind == where.source_kind)
    if where.status:
        query = query.where(FeedbackItem.status == where.status)
    if where.account:
        query = query.where(
            FeedbackItem.account_id == accounts.find_account(session, where.account).id
        )
    if where.product_area:
        errors = _Errors()
        area_id = _area(session, where.product_area, errors)
        errors.raise_if_any()
        query = query.where(FeedbackItem.product_area_id == area_id)
    if where.since:
        query = query.where(FeedbackItem.created_at >= where.since)
    if where.until:
        query = query.where(FeedbackItem.created_at < where.until)
    if where.search:
        pattern = f"%{where.search.lower()}%"
        query = query.where(
            or_(
                func.lower(FeedbackItem.text).like(pattern),
                func.lower(FeedbackItem.title).like(pattern),
            )
        )
    return query


def list_feedback(
    session: Session, page: PageRequest, where: FeedbackFilter | None = None
) -> Page[FeedbackItem]:
    """One page of feedback, newest first unless ``page.newest_first`` is off."""
    return paginate(
        session, filtered_query(session, where or FeedbackFilter()), FeedbackItem.id, page
    )


# --- writing -------------------------------------------------------------------------------


def _audit(
    session: Session,
    actor: Actor,
    item: FeedbackItem,
    action: Action,
    before: dict[str, Any] | None = None,
) -> None:
    record_change(
        session,
        actor,
        object_type=FEEDBACK_OBJECT_TYPE,
        object_id=item.id,
        action=action,
        label=_label(item),
        before=before,
        after=snapshot(item, AUDITED_FIELDS),
    )


def create_feedback(
    session: Session, actor: Actor, values: Mapping[str, Any], *, create_accounts: bool = False
) -> FeedbackItem:
    """Store one new feedback item; a second one with the same source and external id is refused."""
    item = FeedbackItem(**new_item_row(session, actor, values, create_accounts=create_accounts))
    if item.external_id and _by_external(session, item.source_name, item.external_id):
        raise ValidationFailed(
            f"{item.source_name} item {item.external_id!r} exists already",
            errors=[FieldError("external_id", "already taken for this source")],
        )
    session.add(item)
    session.flush()
    _audit(session, actor, item, Action.created)
    return item


def new_item_row(
    session: Session, actor: Actor, values: Mapping[str, Any], *, create_accounts: bool = False
) -> dict[str, Any]:
    """Every column of a new item from checked ``values`` (raises ``ValidationFailed``).

    Complete, with the defaults filled in, so thousands of rows can go into one
    multi-row INSERT (:func:`insert_items`); :func:`create_feedback` builds its
    item from the same row.
    """
    actor.require(Role.editor, write=True)
    columns = clean_values(session, values, create_accounts=create_accounts)
    columns["source_name"] = columns.get("source_name") or columns["source_kind"].value
    now = utcnow()
    row: dict[str, Any] = {
        **dict.fromkeys(("external_id", "url", "contact_id", "account_id", "rating")),
        **dict.fromkeys(("nps_score", "language", "product_area_id", "sentiment")),
        "title": "",
        "duplicate_of_id": None,
        "tags": [],
        "status": FeedbackStatus.new,
        "created_at": now,
        "recorded_at": now,
        "updated_at": now,
        "created_by_id": actor.user_id,
    }
    row.update(columns)
    return row


def insert_items(session: Session, actor: Actor, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Store rows of :func:`new_item_row` with one multi-row INSERT and their audit entries.

    The caller makes sure no ``(source_name, external_id)`` is taken. Returns the
    new ids in the order of ``rows``. 10,000 items take about a second where
    the unit of work needed several (an INSERT and an event object per item).
    """
    if not rows:
        return []
    query = insert(FeedbackItem).returning(FeedbackItem.id, sort_by_parameter_order=True)
    ids = list(session.scalars(query, list(rows)))
    record_changes(
        session,
        actor,
        (
            Change(
                FEEDBACK_OBJECT_TYPE,
                item_id,
                Action.created,
                label=(row["title"] or row["text"])[:120],
                after={name: plain(row[name]) for name in AUDITED_FIELDS},
            )
            for item_id, row in zip(ids, rows, strict=True)
        ),
    )
    return ids


def items_by_external_id(
    session: Session, source_name: str, external_ids: Iterable[str]
) -> dict[str, FeedbackItem]:
    """The stored items of one source with these external ids, by id (what re-imports update).

    One query per 500 ids, so a file of 10,000 rows costs 20 queries, not 10,000,
    and a small file never loads a large source.
    """
    wanted = sorted({str(e).strip() for e in external_ids if str(e or "").strip()})
    found: dict[str, FeedbackItem] = {}
    for start in range(0, len(wanted), 500):
        query = select(FeedbackItem).where(
            FeedbackItem.source_name == source_name,
            FeedbackItem.external_id.in_(wanted[start : start + 500]),
        )
        found.update((i.external_id, i) for i in session.scalars(query) if i.external_id)
    return found


def _by_external(session: Session, source_name: str, external_id: str) -> FeedbackItem | None:
    return session.scalar(
        select(FeedbackItem).where(
            FeedbackItem.source_name == source_name, FeedbackItem.external_id == external_id
        )
    )


def save_feedback(
    session: Session, actor: Actor, values: Mapping[str, Any], *, create_accounts: bool = True
) -> tuple[FeedbackItem, str]:
    """Create the item, or update the one with the same source and external id.

    Returns:
        The item and what happened: ``created``, ``updated`` or ``unchanged``.
    """
    source = str(values.get("source_name") or values.get("source_kind") or "")
    external_id = str(values.get("external_id") or "").strip()
    existing = _by_external(session, source, external_id) if external_id and source else None
    if existing is None:
        return create_feedback(session, actor, values, create_accounts=create_accounts), "created"
    return existing, update_existing(session, actor, existing, values, create_accounts)


def update_existing(
    session: Session,
    actor: Actor,
    item: FeedbackItem,
    values: Mapping[str, Any],
    create_accounts: bool = True,
) -> str:
    """Apply a re-imported row to the item it names; returns ``updated`` or ``unchanged``."""
    before = snapshot(item, AUDITED_FIELDS)
    update_feedback(session, actor, item, values, create_accounts=create_accounts)
    return "updated" if snapshot(item, AUDITED_FIELDS) != before else "unchanged"


def update_feedback(
    session: Session,
    actor: Actor,
    item: FeedbackItem,
    values: Mapping[str, Any],
    *,
    create_accounts: bool = False,
) -> FeedbackItem:
    """Change the given fields; ``status`` moves through :func:`change_status`'s rules."""
    actor.require(Role.editor, write=True)
    columns = clean_values(session, values, partial=True, create_accounts=create_accounts)
    status = _enum_value(FeedbackStatus, "status", values.get("status"), errors := _Errors())
    errors.raise_if_any()
    if "duplicate_of" in values:
        columns["duplicate_of_id"] = _duplicate_of(session, item, values["duplicate_of"])
    if status is not None:  # checked before anything changes: a refusal leaves the item as it was
        _check_transition(item, status)
    before = snapshot(item, AUDITED_FIELDS)
    for name, value in columns.items():
        if name == "source_name" and not value:
            continue
        setattr(item, name, value)
    if status is not None:
        item.status = status
    session.flush()
    _audit(session, actor, item, Action.updated, before)
    return item


def _duplicate_of(session: Session, item: FeedbackItem, raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    original = get_feedback(session, raw)
    if original.id == item.id or original.duplicate_of_id == item.id:
        raise ValidationFailed(
            "an item cannot duplicate itself",
            errors=[FieldError("duplicate_of", "same item or a cycle")],
        )
    return original.id


def _check_transition(item: FeedbackItem, status: FeedbackStatus) -> None:
    if status != item.status and status not in TRANSITIONS[item.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[item.status]))
        raise ValidationFailed(
            f"feedback cannot go from {item.status.value} to {status.value}",
            errors=[FieldError("status", f"from {item.status.value}: {allowed}")],
        )


def change_status(
    session: Session, actor: Actor, item: FeedbackItem, status: FeedbackStatus | str
) -> FeedbackItem:
    """Move an item through ``new → triaged → linked → closed`` (closed items may reopen)."""
    return update_feedback(session, actor, item, {"status": str(status)})


# --- roadmap links -------------------------------------------------------------------------


def roadmap_links(session: Session, item: FeedbackItem) -> list[Link]:
    """The item's links to roadmap items, oldest first."""
    return [
        link
        for link in links_of(session, feedback_ref(item))
        if link.from_type == FEEDBACK_OBJECT_TYPE and link.to_type == roadmap_items.ITEM_OBJECT_TYPE
    ]


def link_roadmap_item(
    session: Session, actor: Actor, item: FeedbackItem, roadmap_ref: str | int
) -> Link:
    """Link feedback to a roadmap item as evidence; a new or triaged item becomes ``linked``."""
    target = roadmap_items.find_item(session, roadmap_ref)
    link = add_link(
        session, actor, feedback_ref(item), roadmap_items.item_ref(target), EVIDENCE_KIND
    )
    if item.status in (FeedbackStatus.new, FeedbackStatus.triaged):
        change_status(session, actor, item, FeedbackStatus.linked)
    return link


def unlink_roadmap_item(
    session: Session, actor: Actor, item: FeedbackItem, roadmap_ref: str | int
) -> None:
    """Remove the item's links to that roadmap item; with none left, ``linked`` → ``triaged``."""
    target = roadmap_items.find_item(session, roadmap_ref)
    found = False
    for link in roadmap_links(session, item):
        if _resolves_to(session, link.to_id, target.id):
            remove_link(session, actor, link)
            found = True
    if not found:
        raise NotFound(f"feedback {item.id} is not linked to {target.key}")
    session.flush()
    if item.status is FeedbackStatus.linked and not roadmap_links(session, item):
        change_status(session, actor, item, FeedbackStatus.triaged)


def _resolves_to(session: Session, ref: str, item_id: int) -> bool:
    try:
        return roadmap_items.find_item(session, ref).id == item_id
    except NotFound:
        return False


def accounts_of_feedback(
    session: Session, feedback_ids: Sequence[int | str]
) -> dict[Any, int | None]:
    """The customer account behind each feedback item, keyed as given (ids or id strings).

    Ids that name no feedback item are left out. The roadmap counts evidence with it.
    """
    wanted: dict[int, list[int | str]] = {}
    for key in feedback_ids:
        text = str(key).strip()
        if text.isdigit():
            wanted.setdefault(int(text), []).append(key)
    found: dict[Any, int | None] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        query = select(FeedbackItem.id, FeedbackItem.account_id).where(
            FeedbackItem.id.in_(ids[start : start + 500])
        )
        for feedback_id, account_id in session.execute(query):
            for key in wanted[feedback_id]:
                found[key] = account_id
    return found


def feedback_of_themes(session: Session, theme_ids: Sequence[int | str]) -> dict[str, list[str]]:
    """The feedback item ids (as text) in each theme, keyed by the theme id as text.

    The roadmap counts a theme linked as evidence by its items with it: one query per
    500 themes, never one per theme.
    """
    wanted = sorted({int(t) for t in theme_ids if str(t).strip().isdigit()})
    found: dict[str, list[str]] = {str(t): [] for t in wanted}
    for start in range(0, len(wanted), 500):
        query = select(FeedbackThemeMember.theme_id, FeedbackThemeMember.item_id).where(
            FeedbackThemeMember.theme_id.in_(wanted[start : start + 500])
        )
        for theme_id, item_id in session.execute(query.order_by(FeedbackThemeMember.item_id)):
            found[str(theme_id)].append(str(item_id))
    return found
