"""Input checks the playbook services share: text, slugs, dates, people, references.

Every check raises :class:`~pilothouse.core.errors.ValidationFailed` naming the field,
so the API, the pages, the CLI and Markdown files can all say exactly what to fix.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import User
from pilothouse.core.references import registered_types, resolve_one

__all__ = [
    "PLAYBOOK_TYPE",
    "SLUG",
    "TEMPLATE_TYPES",
    "check_ref",
    "clean_slug",
    "clean_text",
    "invalid",
    "parse_date",
    "resolve_user",
    "slugify",
    "storable",
]

PLAYBOOK_TYPE = "playbook"
#: What a playbook usually describes; any registered object type may be linked too.
TEMPLATE_TYPES = ("launch_template", "experiment_template", "roadmap_field")
#: What a slug (or role) looks like: lower-case words of letters and digits joined by dashes.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def invalid(field: str, message: str) -> ValidationFailed:
    """A 422 error about one field."""
    return ValidationFailed(f"{field}: {message}", errors=[FieldError(field, message)])


def storable(text: str, field: str) -> str:
    """``text`` if a database can store it: no NUL character (PostgreSQL refuses it in
    text) and no lone surrogate (not UTF-8); otherwise a 422 naming the field."""
    if "\x00" in text:
        raise invalid(field, "must not contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(field, "contains characters that are not valid Unicode text") from None
    return text


def slugify(text: str) -> str:
    """``"Launch playbook: B2B"`` → ``launch-playbook-b2b`` (ASCII, at most 80 characters)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:80].strip("-")


def clean_slug(value: object, field: str = "slug") -> str:
    slug = str(value or "").strip().lower()
    if not SLUG.match(slug) or len(slug) > 80:
        raise invalid(field, "lower-case letters, digits and single dashes, at most 80")
    return slug


def clean_text(value: Any, field: str, *, required: bool = False, max_length: int = 200) -> str:
    text = storable("" if value is None else str(value).strip(), field)
    if required and not text:
        raise invalid(field, "must not be empty")
    if len(text) > max_length:
        raise invalid(field, f"at most {max_length} characters")
    return text


def parse_date(value: object, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def resolve_user(
    session: Session, ref: object, field: str, *, keep: int | None = None
) -> User | None:
    """An active person from an id or an e-mail address; empty means nobody.

    ``keep`` is the person already there: still valid after they were deactivated.
    """
    if ref is None or ref == "":
        return None
    text = storable(str(ref).strip(), field)
    if isinstance(ref, int) or text.isdigit():
        user = session.get(User, int(text))
    else:
        user = session.scalar(select(User).where(func.lower(User.email) == text.lower()))
    if user is None or not (user.is_active or user.id == keep):
        raise invalid(field, f"no active user {ref!r}")
    return user


def check_ref(session: Session, text: object, field: str) -> ObjectRef:
    """``TYPE:ID`` of an existing object of a registered type (``launch_template:2``)."""
    raw = storable(str(text or "").strip(), field)
    kind, _, ident = raw.partition(":")
    if not kind or not ident:
        raise invalid(field, f"{raw!r} is not TYPE:ID (such as launch_template:2)")
    if kind not in registered_types():
        known = ", ".join(sorted(registered_types()))
        raise invalid(field, f"unknown type {kind!r}; one of {known}")
    ref = ObjectRef(kind, ident)
    if resolve_one(session, ref).deleted:
        raise invalid(field, f"no {kind} {ident!r}")
    return ref
