"""Keeping accounts and contacts: merges from tracking calls, edits and imports.

Tracking calls merge traits into the records they name (new keys added, existing
keys overwritten, as Segment does). These machine updates are not written to the
audit log one by one — the event stream is their record. Edits by people and CRM
imports go through :func:`create_account`/:func:`update_account` and are audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pilothouse.accounts.models import Contact, CustomerAccount
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import LIKE_ESCAPE, like_literal
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.pagination import Page, PageRequest, paginate

__all__ = [
    "AccountFilter",
    "account_suggestions",
    "arr_of_accounts",
    "contact_for_email",
    "create_account",
    "find_account",
    "get_account",
    "list_accounts",
    "list_contacts",
    "merge_account_traits",
    "merge_contact_traits",
    "merge_tracked",
    "update_account",
]

AUDITED_ACCOUNT_FIELDS = ("external_id", "name", "domain", "plan", "segment", "arr_cents")
#: Traits that fill the account's own columns, as well as staying in ``traits``.
ACCOUNT_COLUMNS = ("name", "domain", "plan", "segment", "arr_cents")


def _arr_cents(value: Any, field: str = "arr_cents") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ValidationFailed(
            f"{field} must be a whole number of cents, got {value!r}",
            errors=[FieldError(field, "integer cents expected")],
        )
    if value < 0:
        raise ValidationFailed(f"{field} cannot be negative", errors=[FieldError(field, "< 0")])
    return value


def _apply_columns(account: CustomerAccount, values: Mapping[str, Any]) -> None:
    for column in ACCOUNT_COLUMNS:
        if column not in values:
            continue
        value = values[column]
        if column == "arr_cents":
            account.arr_cents = _arr_cents(value)
        else:
            setattr(account, column, None if value is None else str(value)[:300])


def _chunks(keys: list[str], size: int = 500) -> list[list[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def merge_tracked(
    session: Session,
    account_traits: Mapping[str, Mapping[str, Any]],
    contact_traits: Mapping[str, tuple[Mapping[str, Any], str | None]],
) -> None:
    """Merge many tracked traits at once (one request's ``group`` and ``identify`` calls).

    Args:
        account_traits: external account id → traits, already combined in call order.
        contact_traits: user id → (traits, external account id or ``None``).
    """
    wanted = set(account_traits) | {a for _, a in contact_traits.values() if a}
    found: dict[str, CustomerAccount] = {}
    for chunk in _chunks(sorted(wanted)):
        query = select(CustomerAccount).where(CustomerAccount.external_id.in_(chunk))
        found.update({a.external_id: a for a in session.scalars(query)})
    for external_id in sorted(wanted):
        account = found.get(external_id)
        if account is None:
            account = found[external_id] = CustomerAccount(
                external_id=external_id, name="", traits={}
            )
            session.add(account)
        traits = account_traits.get(external_id, {})
        _apply_columns(account, traits)
        account.traits = {**(account.traits or {}), **traits}
    contacts: dict[str, Contact] = {}
    for chunk in _chunks(sorted(contact_traits)):
        query = select(Contact).where(Contact.external_id.in_(chunk))
        contacts.update({c.external_id: c for c in session.scalars(query) if c.external_id})
    for user_id, (traits, account_id) in contact_traits.items():
        contact = contacts.get(user_id)
        if contact is None:
            contact = Contact(external_id=user_id, traits={})
            session.add(contact)
        _apply_contact(contact, traits, found.get(account_id) if account_id else None)
    session.flush()


def _apply_contact(
    contact: Contact, traits: Mapping[str, Any], account: CustomerAccount | None
) -> None:
    if traits.get("email"):
        contact.email = str(traits["email"]).strip().lower()[:320]
    name = traits.get("name") or " ".join(
        str(traits[k])
        for k in ("first_name", "last_name", "firstName", "lastName")
        if traits.get(k)
    )
    if name:
        contact.name = str(name)[:300]
    if account is not None:
        contact.account = account
    contact.traits = {**(contact.traits or {}), **traits}


def merge_account_traits(
    session: Session, external_id: str, traits: Mapping[str, Any]
) -> CustomerAccount:
    """Create or update the account ``external_id`` from tracked traits (``group`` calls)."""
    account = session.scalar(
        select(CustomerAccount).where(CustomerAccount.external_id == external_id)
    )
    if account is None:
        account = CustomerAccount(
            external_id=external_id, name=str(traits.get("name") or ""), traits={}
        )
        session.add(account)
    _apply_columns(account, traits)
    account.traits = {**(account.traits or {}), **traits}
    return account


def merge_contact_traits(
    session: Session,
    external_id: str,
    traits: Mapping[str, Any],
    *,
    account: CustomerAccount | None = None,
) -> Contact:
    """Create or update the contact ``external_id`` (a tracked ``userId``) from traits."""
    contact = session.scalar(select(Contact).where(Contact.external_id == external_id))
    if contact is None:
        contact = Contact(external_id=external_id, traits={})
        session.add(contact)
    _apply_contact(contact, traits, account)
    return contact


def get_account(session: Session, account_id: int) -> CustomerAccount:
    account = session.get(CustomerAccount, account_id)
    if account is None:
        raise NotFound(f"no account with id {account_id}")
    return account


def arr_of_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    """``{account id: ARR in cents}`` (0 when unknown) for many accounts, 500 per query;
    ids of accounts that do not exist are left out."""
    wanted = sorted(set(account_ids))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        query = select(CustomerAccount.id, CustomerAccount.arr_cents).where(
            CustomerAccount.id.in_(wanted[start : start + 500])
        )
        found.update({i: arr or 0 for i, arr in session.execute(query)})
    return found


def find_account(session: Session, key: str) -> CustomerAccount:
    """An account by numeric id or by external id."""
    if key.isdigit():
        account = session.get(CustomerAccount, int(key))
        if account is not None:
            return account
    account = session.scalar(select(CustomerAccount).where(CustomerAccount.external_id == key))
    if account is None:
        raise NotFound(f"no account {key!r}")
    return account


@dataclass(frozen=True)
class AccountFilter:
    """Each field narrows the list; ``search`` matches name or external id."""

    plan: str | None = None
    segment: str | None = None
    search: str | None = None


def list_accounts(
    session: Session, page: PageRequest, where: AccountFilter | None = None
) -> Page[CustomerAccount]:
    query = select(CustomerAccount)
    if where is not None:
        if where.plan:
            query = query.where(CustomerAccount.plan == where.plan)
        if where.segment:
            query = query.where(CustomerAccount.segment == where.segment)
        if where.search:
            pattern = f"%{where.search.lower()}%"
            query = query.where(
                or_(
                    func.lower(CustomerAccount.name).like(pattern),
                    func.lower(CustomerAccount.external_id).like(pattern),
                )
            )
    return paginate(session, query, CustomerAccount.id, page)


#: Suggestions a form shows at a time while someone types an account.
SUGGESTIONS_SHOWN = 20


def account_suggestions(session: Session, text: str, limit: int = SUGGESTIONS_SHOWN) -> list[Any]:
    """Accounts whose external id or name contains ``text`` (any case), as
    ``(external_id, name)`` rows ordered by name, for a form's suggestions as someone
    types. Empty ``text`` suggests the first accounts by name.

    Replaces rendering the first 500 accounts into every feedback inbox page: a third of
    the page's time, and of no use to a workspace with more accounts than that.
    """
    query = select(CustomerAccount.external_id, CustomerAccount.name)
    needle = text.strip().lower()
    if needle:
        pattern = f"%{like_literal(needle)}%"
        query = query.where(
            or_(
                func.lower(CustomerAccount.external_id).like(pattern, escape=LIKE_ESCAPE),
                func.lower(CustomerAccount.name).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    query = query.order_by(func.lower(CustomerAccount.name), CustomerAccount.id).limit(limit)
    return list(session.execute(query))


def list_contacts(
    session: Session, page: PageRequest, *, account_id: int | None = None
) -> Page[Contact]:
    query = select(Contact)
    if account_id is not None:
        query = query.where(Contact.account_id == account_id)
    return paginate(session, query, Contact.id, page)


def create_account(session: Session, actor: Actor, values: Mapping[str, Any]) -> CustomerAccount:
    """Create an account by hand or from a CRM row; audited."""
    actor.require(Role.editor, write=True)
    external_id = str(values.get("external_id") or "").strip()
    if not external_id:
        raise ValidationFailed(
            "an account needs an external id",
            errors=[FieldError("external_id", "must not be empty")],
        )
    if session.scalar(select(CustomerAccount.id).where(CustomerAccount.external_id == external_id)):
        raise Conflict(
            f"account {external_id!r} exists already",
            errors=[FieldError("external_id", "already taken")],
        )
    account = CustomerAccount(external_id=external_id, traits=dict(values.get("traits") or {}))
    _apply_columns(account, values)
    session.add(account)
    session.flush()
    record_change(
        session,
        actor,
        object_type="customer_account",
        object_id=account.id,
        action=Action.created,
        label=account.name or external_id,
        after=snapshot(account, AUDITED_ACCOUNT_FIELDS),
    )
    return account


def update_account(
    session: Session, actor: Actor, account: CustomerAccount, values: Mapping[str, Any]
) -> CustomerAccount:
    """Change the given fields of an account; audited field by field."""
    actor.require(Role.editor, write=True)
    before = snapshot(account, AUDITED_ACCOUNT_FIELDS)
    _apply_columns(account, values)
    if "traits" in values and values["traits"] is not None:
        account.traits = {**(account.traits or {}), **values["traits"]}
    session.flush()
    record_change(
        session,
        actor,
        object_type="customer_account",
        object_id=account.id,
        action=Action.updated,
        label=account.name or account.external_id,
        before=before,
        after=snapshot(account, AUDITED_ACCOUNT_FIELDS),
    )
    return account


def contact_for_email(
    session: Session,
    email: str,
    *,
    name: str = "",
    account: CustomerAccount | None = None,
) -> Contact:
    """The contact with ``email``, created when unknown (feedback authors, CRM contacts).

    A new contact without an ``account`` joins the account whose ``domain`` is the
    e-mail's domain, if exactly one has it. Like tracked merges, not audited: the
    record that brought the person (a feedback item, an import) is.
    """
    address = email.strip().lower()[:320]
    contact = session.scalar(
        select(Contact).where(Contact.email == address).order_by(Contact.id).limit(1)
    )
    if contact is None:
        contact = Contact(email=address, name=name[:300], traits={})
        session.add(contact)
        if account is None and "@" in address:
            domain = address.rsplit("@", 1)[1]
            matches = list(
                session.scalars(
                    select(CustomerAccount).where(func.lower(CustomerAccount.domain) == domain)
                ).all()
            )
            account = matches[0] if len(matches) == 1 else None
    elif name and not contact.name:
        contact.name = name[:300]
    if account is not None and contact.account_id is None:
        contact.account = account
    session.flush()
    return contact
