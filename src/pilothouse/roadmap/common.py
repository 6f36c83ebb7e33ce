"""Small checks the roadmap services share: names, people, product areas, quarters."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core import areas
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import ProductArea, User
from pilothouse.roadmap.models import KeyCounter

__all__ = [
    "QUARTER",
    "clean_key",
    "clean_name",
    "invalid",
    "next_key",
    "parse_date",
    "parse_quarter",
    "resolve_area",
    "resolve_user",
]

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_ALT_QUARTER = re.compile(r"^Q([1-4])[\s/-]*(\d{4})$", re.IGNORECASE)


def next_key(session: Session, prefix: str) -> str:
    """The next unused public key for ``prefix``, such as ``FEAT-13``; never reused."""
    counter = session.scalar(
        select(KeyCounter).where(KeyCounter.prefix == prefix).with_for_update()
    )
    if counter is None:
        counter = KeyCounter(prefix=prefix, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return f"{prefix}-{counter.last_number}"


def invalid(field: str, message: str, detail: str | None = None) -> ValidationFailed:
    """A 422 error about one field; ``detail`` defaults to ``"field: message"``."""
    return ValidationFailed(detail or f"{field}: {message}", errors=[FieldError(field, message)])


def clean_name(value: str | None, field: str = "name", max_length: int = 300) -> str:
    text = (value or "").strip()
    if not text:
        raise invalid(field, "must not be empty", f"a {field} is needed")
    if len(text) > max_length:
        raise invalid(field, f"at most {max_length} characters")
    return text


def clean_key(value: str, field: str = "key") -> str:
    """An identifier usable in formulas and filters: ``story_points``."""
    key = value.strip()
    if not _KEY.match(key) or len(key) > 64:
        raise invalid(
            field,
            "lower-case letters, digits and underscores, starting with a letter (at most 64)",
            f"{field} {key!r} is not a valid key",
        )
    return key


def parse_quarter(value: str | None, field: str = "target_quarter") -> str | None:
    """``2026-Q3`` (also accepts ``Q3 2026``); ``None`` or empty clears."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().upper()
    match = _ALT_QUARTER.match(text)
    if match:
        text = f"{match.group(2)}-Q{match.group(1)}"
    if not QUARTER.match(text):
        raise invalid(field, "a quarter such as 2026-Q3", f"{field} {value!r} is not a quarter")
    return text


def parse_date(value: object, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise invalid(field, "a date as YYYY-MM-DD", f"{field} {value!r} is not a date") from None


def resolve_user(session: Session, ref: object, field: str = "owner_id") -> int | None:
    """A person's id from an id or an e-mail address; only active people qualify."""
    if ref is None or ref == "":
        return None
    user: User | None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        user = session.get(User, int(ref))
    else:
        email = str(ref).strip().lower()
        user = session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.is_active:
        raise invalid(field, f"no active user {ref!r}")
    return user.id


def resolve_area(session: Session, ref: object, field: str = "product_area_id") -> int | None:
    """A product area's id from its id, slug or name."""
    if ref is None or ref == "":
        return None
    try:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            return areas.get_area(session, int(ref)).id
        text = str(ref).strip()
        by_name = session.scalar(
            select(ProductArea).where(func.lower(ProductArea.name) == text.lower())
        )
        return by_name.id if by_name else areas.get_area_by_slug(session, text.lower()).id
    except NotFound:
        raise invalid(field, f"no product area {ref!r}") from None
