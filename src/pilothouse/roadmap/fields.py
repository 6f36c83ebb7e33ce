"""Custom fields: admins define them; items carry values; filters, sorts and formulas read them.

Types are text, number, single select, multi select, date, user and URL. Number
fields are usable in score formulas by their key. A field that a saved formula
uses cannot be deleted unless the deletion is forced, after which that formula
reports the missing field by name instead of a score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import is_reading, reading_memo
from pilothouse.core.errors import BadRequest, Conflict, FieldError, NotFound
from pilothouse.core.models import Role
from pilothouse.roadmap.common import clean_key, clean_name, invalid, parse_date, resolve_user
from pilothouse.roadmap.expressions import FormulaError, parse_formula
from pilothouse.roadmap.models import (
    NUMERIC_INPUTS,
    FieldType,
    FieldValue,
    RoadmapField,
    RoadmapItem,
    ScoreFormula,
)

__all__ = [
    "RESERVED_KEYS",
    "create_field",
    "delete_field",
    "field_condition",
    "find_field",
    "formulas_using",
    "list_fields",
    "plain_value",
    "set_values",
    "update_field",
    "values_of",
]

AUDITED_FIELD_FIELDS = ("key", "name", "type", "options", "description", "position")
#: Keys a custom field may not take: the built-in inputs and evidence names of formulas.
RESERVED_KEYS = frozenset(
    {*NUMERIC_INPUTS, "feedback_count", "customer_count", "customer_arr_cents", "score"}
)
SELECTS = (FieldType.single_select, FieldType.multi_select)
MAX_OPTIONS = 200


def list_fields(session: Session) -> list[RoadmapField]:
    """Every custom field in order; a reading session asks once (the item page and its
    scores both need them)."""
    kept = reading_memo(session, "roadmap_fields") if is_reading(session) else {}
    if "all" in kept:
        return list(kept["all"])
    found = list(
        session.scalars(select(RoadmapField).order_by(RoadmapField.position, RoadmapField.id))
    )
    if is_reading(session):
        kept["all"] = found
    return list(found)


def find_field(session: Session, ref: str | int) -> RoadmapField:
    """A custom field by id or key."""
    text = str(ref).strip()
    query = select(RoadmapField).where(
        RoadmapField.id == int(text) if text.isdigit() else RoadmapField.key == text
    )
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no custom field {text!r}")
    return found


def _clean_options(field_type: FieldType, options: Sequence[str]) -> list[str]:
    if field_type not in SELECTS:
        if options:
            raise invalid("options", "only select fields have options")
        return []
    cleaned: list[str] = []
    for index, option in enumerate(options):
        text = str(option).strip()
        if not text or "|" in text or len(text) > 100:
            raise invalid(f"options.{index}", "1 to 100 characters, without '|'")
        if text.lower() in (o.lower() for o in cleaned):
            raise invalid(f"options.{index}", f"{text!r} is listed twice")
        cleaned.append(text)
    if not cleaned or len(cleaned) > MAX_OPTIONS:
        raise invalid("options", f"a select field needs 1 to {MAX_OPTIONS} options")
    return cleaned


def _check_unique(session: Session, field_id: int | None, key: str, name: str) -> None:
    for column, value, label in ((RoadmapField.key, key, "key"), (RoadmapField.name, name, "name")):
        query = select(func.count()).select_from(RoadmapField).where(column == value)
        if field_id is not None:
            query = query.where(RoadmapField.id != field_id)
        if session.scalar(query):
            raise Conflict(
                f"a custom field with {label} {value!r} exists already",
                errors=[FieldError(label, "already taken")],
            )


def _audit(
    session: Session, actor: Actor, field: RoadmapField, action: Action, before: Any = None
) -> None:
    record_change(
        session,
        actor,
        object_type="roadmap_field",
        object_id=field.id,
        action=action,
        label=field.name,
        before=before,
        after=None if action is Action.deleted else snapshot(field, AUDITED_FIELD_FIELDS),
    )


def create_field(
    session: Session,
    actor: Actor,
    *,
    name: str,
    type: FieldType,
    key: str | None = None,
    options: Sequence[str] = (),
    description: str = "",
) -> RoadmapField:
    """Define a custom field; its key defaults to the name in snake case."""
    actor.require(Role.admin, write=True)
    try:
        type = FieldType(type)
    except ValueError:
        raise invalid("type", ", ".join(t.value for t in FieldType)) from None
    name = clean_name(name, max_length=100)
    key = clean_key(key if key is not None else _snake(name))
    if key in RESERVED_KEYS:
        raise invalid("key", f"{key!r} is a built-in field")
    _check_unique(session, None, key, name)
    position = session.scalar(select(func.count()).select_from(RoadmapField)) or 0
    field = RoadmapField(
        key=key,
        name=name,
        type=type,
        options=_clean_options(type, options),
        description=description.strip(),
        position=position,
    )
    session.add(field)
    session.flush()
    _audit(session, actor, field, Action.created)
    return field


def _snake(name: str) -> str:
    text = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
    while "__" in text:
        text = text.replace("__", "_")
    return text if text[:1].isalpha() else f"f_{text}"


def update_field(
    session: Session,
    actor: Actor,
    field: RoadmapField,
    *,
    name: str | None = None,
    options: Sequence[str] | None = None,
    description: str | None = None,
    position: int | None = None,
) -> RoadmapField:
    """Rename, describe, move or change the options of a field (its type and key stay)."""
    actor.require(Role.admin, write=True)
    before = snapshot(field, AUDITED_FIELD_FIELDS)
    if name is not None:
        field.name = clean_name(name, max_length=100)
        _check_unique(session, field.id, field.key, field.name)
    if options is not None:
        cleaned = _clean_options(field.type, options)
        _refuse_dropping_used_options(session, field, cleaned)
        field.options = cleaned
    if description is not None:
        field.description = description.strip()
    if position is not None:
        field.position = position
    session.flush()
    _audit(session, actor, field, Action.updated, before)
    return field


def _refuse_dropping_used_options(session: Session, field: RoadmapField, kept: list[str]) -> None:
    for option in field.options:
        if option in kept:
            continue
        pattern = option if field.type is FieldType.single_select else f"%|{option}|%"
        used = session.scalar(
            select(func.count())
            .select_from(FieldValue)
            .where(FieldValue.field_id == field.id, FieldValue.text_value.like(pattern))
        )
        if used:
            raise Conflict(
                f"option {option!r} of {field.name!r} is used by {used} items; change them first",
                errors=[FieldError("options", f"{option!r} is in use")],
            )


def formulas_using(session: Session, key: str) -> list[ScoreFormula]:
    """The saved formulas that read field ``key``."""
    found = []
    for formula in session.scalars(select(ScoreFormula).order_by(ScoreFormula.id)):
        try:
            names = parse_formula(formula.expression).names
        except FormulaError:
            continue
        if key in names:
            found.append(formula)
    return found


def delete_field(
    session: Session, actor: Actor, field: RoadmapField, *, force: bool = False
) -> None:
    """Delete a field and its values; refused while a formula uses it, unless ``force``."""
    actor.require(Role.admin, write=True)
    users = formulas_using(session, field.key)
    if users and not force:
        names = ", ".join(repr(f.key) for f in users)
        raise Conflict(
            f"custom field {field.key!r} is used by the formulas {names}; change them first "
            "or delete with force (those formulas will then report the missing field)",
            errors=[FieldError("key", f"used by {names}")],
        )
    _audit(session, actor, field, Action.deleted, snapshot(field, AUDITED_FIELD_FIELDS))
    session.delete(field)
    session.flush()


# --- values --------------------------------------------------------------------------------


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise invalid(where, "a number expected")
    try:
        number = (
            float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        raise invalid(where, f"a number expected, got {value!r}") from None
    if not math.isfinite(number):
        raise invalid(where, "a finite number expected")
    return number


def _option(field: RoadmapField, value: Any, where: str) -> str:
    text = str(value).strip()
    for option in field.options:
        if option.lower() == text.lower():
            return option
    raise invalid(where, f"{text!r} is not an option (options: {', '.join(field.options)})")


def _coerce(
    session: Session, field: RoadmapField, value: Any, where: str
) -> tuple[str | None, float | None, date | None]:
    """The (text, number, date) columns that store ``value`` for ``field``."""
    kind = field.type
    if kind is FieldType.number:
        return None, _number(value, where), None
    if kind is FieldType.date:
        return None, None, parse_date(value, where)
    if kind is FieldType.single_select:
        return _option(field, value, where), None, None
    if kind is FieldType.multi_select:
        raw = value.split(",") if isinstance(value, str) else value
        if not isinstance(raw, list | tuple):
            raise invalid(where, "a list of options expected")
        chosen = {_option(field, v, where) for v in raw if str(v).strip()}
        ordered = [o for o in field.options if o in chosen]
        return ("|" + "|".join(ordered) + "|") if ordered else None, None, None
    if kind is FieldType.user:
        user_id = resolve_user(session, value, where)
        return (str(user_id) if user_id else None), None, None
    text = str(value).strip()
    if kind is FieldType.url and not text.lower().startswith(("http://", "https://")):
        raise invalid(where, "a URL starting with http:// or https://")
    if len(text) > 2000:
        raise invalid(where, "at most 2000 characters")
    return text or None, None, None


def plain_value(row: FieldValue) -> Any:
    """The JSON-ready value a row holds: str, float, ISO date, list of options or user id."""
    kind = row.field.type
    if kind is FieldType.number:
        return row.number_value
    if kind is FieldType.date:
        return row.date_value.isoformat() if row.date_value else None
    if kind is FieldType.multi_select:
        return [o for o in (row.text_value or "").split("|") if o]
    if kind is FieldType.user:
        return int(row.text_value) if row.text_value else None
    return row.text_value


def values_of(item: RoadmapItem) -> dict[str, Any]:
    """Custom field values of ``item`` by field key (fields without a value left out)."""
    return {row.field.key: plain_value(row) for row in item.field_values}


def set_values(
    session: Session,
    item: RoadmapItem,
    values: Mapping[str, Any],
    fields: Mapping[str, RoadmapField] | None = None,
) -> None:
    """Set custom field values by key; ``None`` or ``""`` removes a value."""
    by_key = fields if fields is not None else {f.key: f for f in list_fields(session)}
    current = {row.field.key: row for row in item.field_values}
    for key, raw in values.items():
        field = by_key.get(key)
        where = f"fields.{key}"
        if field is None:
            raise invalid(where, f"no custom field {key!r}")
        empty = raw is None or raw == "" or raw == []
        stored = (None, None, None) if empty else _coerce(session, field, raw, where)
        row = current.get(key)
        if stored == (None, None, None):
            if row is not None:
                item.field_values.remove(row)
            continue
        if row is None:
            row = FieldValue(field_id=field.id, field=field)
            item.field_values.append(row)
        row.text_value, row.number_value, row.date_value = stored


_OPERATORS = (">=", "<=", "!=", ">", "<", "=", ":")


def field_condition(session: Session, fields: Mapping[str, RoadmapField], expression: str) -> Any:
    """The SQL condition on items for a filter such as ``segment=Enterprise``,
    ``story_points>=3`` or ``launch_date<2026-07-01`` (``:`` is the same as ``=``)."""
    for op in _OPERATORS:
        key, sep, raw = expression.partition(op)
        if sep and key.strip() and not any(o in key for o in "<>!=:"):
            break
    else:
        raise BadRequest(
            f"field filter {expression!r}: use KEY=VALUE, KEY>=VALUE, KEY<=VALUE, KEY>VALUE, "
            "KEY<VALUE or KEY!=VALUE",
            errors=[FieldError("field", "KEY<op>VALUE expected")],
        )
    key, op = key.strip(), ("=" if op == ":" else op)
    field = fields.get(key)
    if field is None:
        raise invalid("field", f"no custom field {key!r}", f"field filter: no custom field {key!r}")
    return _condition(session, field, op, raw.strip())


def _condition(session: Session, field: RoadmapField, op: str, raw: str) -> ColumnElement[bool]:
    where = f"field.{field.key}"
    ordered = field.type in (FieldType.number, FieldType.date)
    if op not in ("=", "!=") and not ordered:
        raise invalid("field", f"{field.key} is a {field.type.value} field; use = or !=")
    if field.type is FieldType.multi_select:
        column: Any = FieldValue.text_value
        clause: Any = column.like(f"%|{_option(field, raw, where)}|%")
    else:
        text, number, day = _coerce(session, field, raw, where)
        column = {FieldType.number: FieldValue.number_value, FieldType.date: FieldValue.date_value}
        column = column.get(field.type, FieldValue.text_value)
        value = number if field.type is FieldType.number else day if ordered else text
        comparisons = {
            "=": column == value,
            ">=": column >= value,
            "<=": column <= value,
            ">": column > value,
            "<": column < value,
            "!=": column == value,
        }
        clause = comparisons[op]
    has = exists().where(
        FieldValue.item_id == RoadmapItem.id, FieldValue.field_id == field.id, clause
    )
    return ~has if op == "!=" else has
