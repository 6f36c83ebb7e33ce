"""Checking tool values from any door (API, form, CSV row) with one set of messages.

:func:`clean_values` returns the cleaned values and *every* problem found, each a
:class:`~pilothouse.core.errors.FieldError` naming the field, so a CSV preview can
list all of a row's problems at once and the API and the pages can point at the field.
Amounts typed by people (``cost`` as ``1,200.50``) become integer cents; the API's
``cost_cents`` is taken as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.errors import FieldError
from pilothouse.core.models import User
from pilothouse.tools.schemas import BILLINGS, CATEGORIES, MAX_CENTS, MAX_SEATS, STATUSES

__all__ = ["FIELDS", "clean_values", "parse_cost", "parse_date", "slugify", "split_list"]

#: Every field a tool has, as services, forms and CSV columns name them.
FIELDS = (
    "name",
    "category",
    "description",
    "owner",
    "admins",
    "cost",
    "cost_cents",
    "currency",
    "billing",
    "seats_bought",
    "seats_used",
    "contract_start",
    "renewal_date",
    "ended_on",
    "notice_days",
    "data_held",
    "sso",
    "status",
    "capabilities",
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SLUG = re.compile(r"[^a-z0-9]+")
_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off", ""}


class _Bad(ValueError):
    """A value that cannot be used; the message says why."""


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:80] or "tool"


def split_list(value: Any) -> list[str]:
    """A list, or text separated by ``;`` or ``,``, as trimmed non-empty strings."""
    if value is None:
        return []
    items = re.split(r"[;,]", value) if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def parse_cost(value: Any) -> int:
    """``1,200.50`` (currency units) → 120050 cents; negative or over 2 dp refused."""
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad(f"{value!r} is not an amount such as 1200.50") from None
    if not amount.is_finite():
        raise _Bad(f"{value!r} is not an amount such as 1200.50")
    if amount < 0:
        raise _Bad("must not be negative")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise _Bad("has more than two decimals")
    return _cents(int(cents))


def _cents(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad("must be a whole number of cents")
    if value < 0:
        raise _Bad("must not be negative")
    if value > MAX_CENTS:
        raise _Bad(f"must be at most {MAX_CENTS} cents")
    return value


def _count(value: Any, top: int = MAX_SEATS) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise _Bad(f"{value!r} is not a whole number") from None
    if isinstance(value, bool) or number < 0:
        raise _Bad("must not be negative" if number < 0 else "must be a whole number")
    if number > top:
        raise _Bad(f"must be at most {top}")
    return number


def parse_date(value: Any) -> date | None:
    """An ISO date (``2027-03-31``); empty means none; raises ValueError otherwise."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"{text!r} is not a date like 2027-03-31") from None


def _choice(value: Any, allowed: tuple[str, ...]) -> str:
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise _Bad(f"unknown value {str(value)!r}; use one of: {', '.join(allowed)}")
    return text


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise _Bad(f"{value!r} is not yes or no")


def _text(value: Any, limit: int, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise _Bad("must not be empty")
    if len(text) > limit:
        raise _Bad(f"must be at most {limit} characters")
    return text


def _person(session: Session, ref: Any) -> User | None:
    text = "" if ref is None else str(ref).strip()
    if not text:
        return None
    if isinstance(ref, int) or text.isdigit():
        user = session.get(User, int(text))
    else:
        user = session.scalar(select(User).where(func.lower(User.email) == text.lower()))
    if user is None or not user.is_active:
        raise _Bad(f"no active user {text!r}")
    return user


def _currency(value: Any) -> str:
    text = str(value or "").strip().upper()
    if not _CURRENCY.match(text):
        raise _Bad(f"{str(value)!r} is not a three-letter ISO 4217 code such as EUR")
    return text


def _capabilities(value: Any) -> list[str]:
    tags = list(dict.fromkeys(t.lower() for t in split_list(value)))
    if len(tags) > 30 or any(len(t) > 64 for t in tags):
        raise _Bad("at most 30 tags of at most 64 characters")
    return tags


def _one(session: Session, name: str, value: Any) -> Any:  # noqa: C901 - one branch per field
    """The cleaned value of one field; raises :class:`_Bad`."""
    if name == "name":
        return _text(value, 200, required=True)
    if name == "category":
        return _choice(value, CATEGORIES)
    if name in ("description", "data_held"):
        return _text(value, 5_000)
    if name == "owner":
        return _person(session, value)
    if name == "admins":
        return list(
            {u.id: u for u in (_person(session, r) for r in split_list(value)) if u}.values()
        )
    if name == "cost":
        return parse_cost(value)
    if name == "cost_cents":
        return _cents(value)
    if name == "currency":
        return _currency(value)
    if name == "billing":
        return _choice(value, BILLINGS)
    if name in ("seats_bought", "seats_used"):
        return _count(value)
    if name in ("contract_start", "renewal_date", "ended_on"):
        return parse_date(value)
    if name == "notice_days":
        return _count(value, 3650) or 0
    if name == "sso":
        return _flag(value)
    if name == "status":
        return _choice(value, STATUSES)
    if name == "capabilities":
        return _capabilities(value)
    raise _Bad("unknown field")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_values(
    session: Session, values: Mapping[str, Any], *, required: tuple[str, ...] = ()
) -> tuple[dict[str, Any], list[FieldError]]:
    """Cleaned values (``cost`` turned into ``cost_cents``) and every problem found."""
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in required:
        if _blank(values.get(name)):
            errors.append(FieldError(name, "is required"))
    for name, value in values.items():
        if name in required and _blank(value):
            continue
        try:
            clean["cost_cents" if name == "cost" else name] = _one(session, name, value)
        except _Bad as exc:
            errors.append(FieldError(name, str(exc)))
    return clean, errors
