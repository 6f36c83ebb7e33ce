"""Input checks the decision services share: text, dates, people, areas, tags and options.

Every check raises :class:`~pilothouse.core.errors.ValidationFailed` naming the field,
so the API, the pages and the CLI can all say exactly what to fix.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core import areas
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import ProductArea, User

__all__ = [
    "MAX_OPTIONS",
    "MAX_TAGS",
    "clean_options",
    "clean_tags",
    "clean_text",
    "invalid",
    "normalise",
    "parse_date",
    "resolve_area",
    "resolve_user",
    "resolve_users",
]

MAX_TAGS = 30
MAX_OPTIONS = 20
MAX_CONSULTED = 50
_SPACES = re.compile(r"\s+")


def invalid(field: str, message: str, detail: str | None = None) -> ValidationFailed:
    """A 422 error about one field; ``detail`` defaults to ``"field: message"``."""
    return ValidationFailed(detail or f"{field}: {message}", errors=[FieldError(field, message)])


def normalise(text: str) -> str:
    """Search form of ``text``: case-folded, accents removed, whitespace collapsed.

    Both the stored ``search_text`` and the query go through this, so ``Café`` finds
    ``cafe`` on SQLite and PostgreSQL alike without database-specific collations.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped).strip()


def clean_text(value: Any, field: str, *, required: bool = False, max_length: int = 20_000) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise invalid(field, "must not be empty", f"a {field} is needed")
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
        raise invalid(field, "a date as YYYY-MM-DD", f"{field} {value!r} is not a date") from None


def resolve_user(
    session: Session, ref: object, field: str, *, keep: frozenset[int] = frozenset()
) -> User | None:
    """An active person from an id or an e-mail address; empty means nobody.

    ``keep`` are people already on the decision: they stay valid after they were
    deactivated, so that a decision made by someone who left can still be edited.
    """
    if ref is None or ref == "":
        return None
    user: User | None
    text = str(ref).strip()
    if isinstance(ref, int) or text.isdigit():
        user = session.get(User, int(text))
    else:
        user = session.scalar(select(User).where(func.lower(User.email) == text.lower()))
    if user is None or not (user.is_active or user.id in keep):
        raise invalid(field, f"no active user {ref!r}")
    return user


def resolve_users(
    session: Session, refs: Any, field: str, *, keep: frozenset[int] = frozenset()
) -> list[User]:
    """People from a list (or comma-separated text) of ids and e-mails, without repeats."""
    values = refs.split(",") if isinstance(refs, str) else list(refs or [])
    found: dict[int, User] = {}
    for index, ref in enumerate(v for v in values if str(v).strip()):
        user = resolve_user(session, ref, f"{field}.{index}", keep=keep)
        assert user is not None
        found[user.id] = user
    if len(found) > MAX_CONSULTED:
        raise invalid(field, f"at most {MAX_CONSULTED} people")
    return list(found.values())


def resolve_area(session: Session, ref: object, field: str = "product_area") -> int | None:
    """A product area's id from its id, slug or name; empty means none."""
    if ref is None or ref == "":
        return None
    text = str(ref).strip()
    try:
        if isinstance(ref, int) or text.isdigit():
            return areas.get_area(session, int(text)).id
        by_name = session.scalar(
            select(ProductArea).where(func.lower(ProductArea.name) == text.lower())
        )
        return by_name.id if by_name else areas.get_area_by_slug(session, text.lower()).id
    except NotFound:
        raise invalid(field, f"no product area {ref!r}") from None


def clean_tags(raw: Any, field: str = "tags") -> list[str]:
    """Tags from a list or comma-separated text; trimmed, de-duplicated ignoring case."""
    values = raw.split(",") if isinstance(raw, str) else list(raw or [])
    tags: list[str] = []
    for value in values:
        tag = str(value).strip()
        if not tag:
            continue
        if len(tag) > 64:
            raise invalid(field, f"tag {tag[:20]!r}... is longer than 64 characters")
        if tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise invalid(field, f"at most {MAX_TAGS} tags")
    return tags


def clean_options(raw: Any, field: str = "options") -> list[dict[str, str]]:
    """The options considered, in order, each ``{name, pros, cons}`` with a unique name."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid(field, "a list of {name, pros, cons}")
    options: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"{field}.{index}"
        if not isinstance(entry, dict):
            raise invalid(where, "an object with name, pros and cons")
        name = clean_text(entry.get("name"), f"{where}.name", required=True, max_length=300)
        if name.casefold() in seen:
            raise invalid(f"{where}.name", f"option {name!r} is listed twice")
        seen.add(name.casefold())
        options.append(
            {
                "name": name,
                "pros": clean_text(entry.get("pros"), f"{where}.pros", max_length=5_000),
                "cons": clean_text(entry.get("cons"), f"{where}.cons", max_length=5_000),
            }
        )
    if len(options) > MAX_OPTIONS:
        raise invalid(field, f"at most {MAX_OPTIONS} options")
    return options
