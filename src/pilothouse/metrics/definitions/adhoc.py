"""Filters and breakdowns given at query time (CLI ``--where``/``--by``, API parameters).

They use the YAML filter rules (same operators, same value typing), so a filter
means the same thing in a metric file, on the command line and in a URL.

Example:
    >>> where = parse_where("account.plan in pro, enterprise")
    >>> where.field.source.value, where.field.key, where.op.value, where.value
    ('account_trait', 'plan', 'in', ('pro', 'enterprise'))
    >>> parse_where("property.rows >= 100").field.value_type.value
    'number'
    >>> adhoc_dimension("user.country").name
    'user_country'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pilothouse.core.errors import BadRequest
from pilothouse.metrics.definitions.fields import Section
from pilothouse.metrics.definitions.loader import LoadedDocument
from pilothouse.metrics.definitions.model import Dimension, FieldRef, FieldSource, Filter, FilterOp
from pilothouse.metrics.definitions.specs import parse_filter

__all__ = ["InvalidFilter", "adhoc_dimension", "filter_from_mapping", "parse_where"]

SOURCE_ALIASES = {
    "property": FieldSource.PROPERTY,
    "properties": FieldSource.PROPERTY,
    "event": FieldSource.PROPERTY,
    "user": FieldSource.USER_TRAIT,
    "user_trait": FieldSource.USER_TRAIT,
    "account": FieldSource.ACCOUNT_TRAIT,
    "account_trait": FieldSource.ACCOUNT_TRAIT,
}
_OPERATORS = sorted((op.value for op in FilterOp), key=len, reverse=True)
_WHERE = re.compile(
    r"^\s*(?P<source>[a-z_]+)\.(?P<key>.+?)\s+(?P<op>"
    + "|".join(re.escape(op) for op in _OPERATORS)
    + r")(?:\s+(?P<value>.*?))?\s*$",
    re.IGNORECASE,
)


class InvalidFilter(BadRequest):
    code = "invalid-filter"
    title = "Invalid filter"


def filter_from_mapping(data: Mapping[str, Any], *, name: str = "filter") -> Filter:
    """A filter from a mapping shaped like a YAML filter; raises :class:`InvalidFilter`."""
    problems: list[Any] = []
    section = Section(LoadedDocument(name, dict(data)), (), dict(data), problems)
    result = parse_filter(section)
    if problems or result is None:
        raise InvalidFilter(
            "; ".join(f"{p.field}: {p.message}" for p in problems) or "invalid filter"
        )
    return result


def _value(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_where(text: str) -> Filter:
    """``SOURCE.KEY OP [VALUE]``: ``property.platform = web``, ``user.role in admin, owner``,
    ``account.arr_cents > 100000``, ``property.coupon is not set``. Quote a value to keep
    it text (``property.zip = "01234"``)."""
    match = _WHERE.match(text)
    if not match or match.group("source").lower() not in SOURCE_ALIASES:
        sources = ", ".join(sorted({"property", "user", "account"}))
        raise InvalidFilter(
            f"cannot read filter {text!r}: use SOURCE.KEY OP VALUE with SOURCE one of {sources}"
        )
    source = SOURCE_ALIASES[match.group("source").lower()]
    op = FilterOp(match.group("op").lower())
    data: dict[str, Any] = {source.value: match.group("key"), "op": op.value}
    raw = match.group("value")
    if raw is not None and raw.strip():
        if op in (FilterOp.IN, FilterOp.NOT_IN):
            data["values"] = [_value(v) for v in raw.strip().strip("()").split(",")]
        else:
            data["value"] = _value(raw)
    return filter_from_mapping(data, name="--where")


def adhoc_dimension(text: str) -> Dimension:
    """A breakdown not declared in the catalog: ``property.KEY``, ``user.KEY``, ``account.KEY``."""
    source_name, _, key = text.partition(".")
    source = SOURCE_ALIASES.get(source_name.lower())
    if source is None or not key:
        raise InvalidFilter(
            f"cannot read dimension {text!r}: use property.KEY, user.KEY or account.KEY"
        )
    slug = re.sub(r"[^a-z0-9]+", "_", f"{source_name}_{key}".lower()).strip("_")[:63]
    return Dimension(name=slug, field=FieldRef(source, key), label=text)
