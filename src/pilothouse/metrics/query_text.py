"""Query-time filters and breakdowns from the CLI and the API, with the field named.

The syntax and its typing rules live in :mod:`pilothouse.metrics.definitions.adhoc`
(``property.format = csv``, ``account.plan in growth, enterprise``, ``user.role is set``);
this module only says which parameter was wrong, so API errors carry ``where[1]``.
"""

from __future__ import annotations

from pilothouse.core.errors import BadRequest, FieldError, ValidationFailed
from pilothouse.metrics.definitions.adhoc import adhoc_dimension
from pilothouse.metrics.definitions.adhoc import parse_where as _parse_where
from pilothouse.metrics.definitions.model import Dimension, Filter

__all__ = ["parse_by", "parse_where"]


def parse_where(text: str, field: str = "where") -> Filter:
    """One filter; raises :class:`ValidationFailed` naming ``field`` when it cannot be read."""
    try:
        return _parse_where(text)
    except BadRequest as exc:
        raise ValidationFailed(exc.detail, errors=[FieldError(field, exc.detail)]) from None


def parse_by(text: str, field: str = "by") -> str | Dimension:
    """A catalog dimension name, or an ad-hoc ``source.key`` breakdown such as ``user.country``."""
    if "." not in text:
        return text
    try:
        return adhoc_dimension(text)
    except BadRequest as exc:
        raise ValidationFailed(exc.detail, errors=[FieldError(field, exc.detail)]) from None
