"""Reading the short filter syntax of the CLI and the API: ``property.format = csv``.

``SOURCE.KEY OP VALUE`` where SOURCE is ``property``, ``user`` (user trait) or
``account`` (account trait); OP is one of ``= != < <= > >= in, not in, contains,
is set, is not set``; lists are comma-separated. Numbers compare as numbers.
Examples: ``account.plan in growth,enterprise``, ``property.rows >= 100``,
``user.role is set``.
"""

from __future__ import annotations

import re

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.metrics.definitions.model import FieldRef, FieldSource, Filter, FilterOp, ValueType

__all__ = ["parse_where"]

_SOURCES = {
    "property": FieldSource.PROPERTY,
    "properties": FieldSource.PROPERTY,
    "user": FieldSource.USER_TRAIT,
    "user_trait": FieldSource.USER_TRAIT,
    "account": FieldSource.ACCOUNT_TRAIT,
    "account_trait": FieldSource.ACCOUNT_TRAIT,
}
_PATTERN = re.compile(
    r"^\s*(?P<source>[a-z_]+)\.(?P<key>[^\s=!<>]+)\s*"
    r"(?P<op>is not set|is set|not in|in|contains|!=|<=|>=|=|<|>)\s*(?P<value>.*?)\s*$"
)


def _scalar(text: str) -> str | int | float:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def parse_where(text: str, field: str = "where") -> Filter:
    """One filter from its text form; raises naming the text when it cannot be read."""
    match = _PATTERN.match(text)
    if match is None or match["source"] not in _SOURCES:
        raise ValidationFailed(
            f"cannot read filter {text!r}: write SOURCE.KEY OP VALUE, e.g. 'property.format = csv' "
            "(SOURCE: property, user or account)",
            errors=[FieldError(field, "not SOURCE.KEY OP VALUE")],
        )
    op = FilterOp(match["op"])
    raw = match["value"]
    value: str | int | float | tuple[str | int | float, ...] | None
    if op in (FilterOp.IS_SET, FilterOp.IS_NOT_SET):
        if raw:
            raise ValidationFailed(
                f"{text!r}: '{op.value}' takes no value",
                errors=[FieldError(field, "unexpected value")],
            )
        value = None
    elif not raw:
        raise ValidationFailed(
            f"{text!r}: a value is missing", errors=[FieldError(field, "no value")]
        )
    elif op in (FilterOp.IN, FilterOp.NOT_IN):
        value = tuple(_scalar(v.strip()) for v in raw.split(",") if v.strip())
    else:
        value = _scalar(raw)
    sample = value[0] if isinstance(value, tuple) and value else value
    numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
    value_type = ValueType.NUMBER if numeric and op is not FilterOp.CONTAINS else ValueType.TEXT
    if value_type is ValueType.TEXT and isinstance(value, tuple):
        value = tuple(str(v) for v in value)
    elif value_type is ValueType.TEXT and value is not None:
        value = str(value)
    return Filter(FieldRef(_SOURCES[match["source"]], match["key"], value_type), op, value)
