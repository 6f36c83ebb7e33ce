"""Integers in a request must fit the database's integers.

FastAPI and pydantic accept any Python ``int``, but an id of ``2**63`` made SQLite's
driver raise ``OverflowError`` and PostgreSQL, whose id columns are 32-bit
``integer``, ``integer out of range``: 500s, found by the API fuzz test. One
app-wide dependency refuses such values up front with a 422 that names the field:

- integer path and query parameters (ids, versions, limits) must fit 32 bits, the
  range the OpenAPI document declares for them (``web/openapi.py``);
- integers anywhere in a declared JSON body must fit 64 bits (amounts in cents are
  64-bit columns); a body integer that fits 64 bits but not the 32-bit column it
  is stored in is refused by the database's range check, rendered as a 422 too
  (``web/problems.py``), without the field's name.
"""

from __future__ import annotations

import json
import re
import types
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from pilothouse.core.errors import FieldError, ValidationFailed

__all__ = ["INT32_MAX", "INT32_MIN", "INT64_MAX", "INT64_MIN", "integers_in_range"]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: 2**63 has 19 digits: a body without such a run of digits needs no parsing here.
_LONG_NUMBER = re.compile(rb"\d{19}")
#: Per route: the (location, name) of each integer path or query parameter.
_INTEGER_PARAMS: dict[int, list[tuple[str, str]]] = {}


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(arg is int for arg in get_args(annotation))
    return False


def _integer_params(dependant: Dependant) -> list[tuple[str, str]]:
    """The route's integer path and query parameters, its dependencies' included."""
    found = [("path", f.alias) for f in dependant.path_params if _is_int(f.field_info.annotation)]
    found += [
        ("query", f.alias) for f in dependant.query_params if _is_int(f.field_info.annotation)
    ]
    for sub in dependant.dependencies:
        found += [param for param in _integer_params(sub) if param not in found]
    return found


def _out_of_range(value: object, path: str) -> list[str]:
    """Dotted paths of the integers in a parsed JSON document that do not fit 64 bits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [] if INT64_MIN <= value <= INT64_MAX else [path or "body"]
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return []
    found = []
    for key, child in children:
        found += _out_of_range(child, f"{path}.{key}" if path else str(key))
    return found


async def _body_errors(request: Request) -> list[FieldError]:
    if "json" not in request.headers.get("content-type", ""):
        return []
    raw = await request.body()  # Starlette keeps it: the route reads the same bytes
    if not _LONG_NUMBER.search(raw):
        return []  # the common case: no number long enough to be out of range
    try:
        paths = _out_of_range(json.loads(raw), "")
    except (ValueError, RecursionError):
        return []  # malformed or absurdly deep: the route's own validation says so
    message = f"must be between {INT64_MIN} and {INT64_MAX}"
    return [FieldError(path, message) for path in paths]


async def integers_in_range(request: Request) -> None:
    """Refuse (422, naming the field) an integer that no column could hold."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    params = _INTEGER_PARAMS.get(id(route))
    if params is None:
        params = _INTEGER_PARAMS.setdefault(id(route), _integer_params(route.dependant))
    # Only declared bodies: event tracking takes any JSON, numbers of any size included.
    has_body = getattr(route, "body_field", None) is not None
    errors = await _body_errors(request) if has_body else []
    for location, name in params:
        source = request.path_params if location == "path" else request.query_params
        raw = source.get(name)
        try:
            value = int(raw) if raw is not None else None
        except ValueError:
            continue  # not a number at all: FastAPI's own validation names it
        if value is not None and not INT32_MIN <= value <= INT32_MAX:
            errors.append(FieldError(name, f"must be between {INT32_MIN} and {INT32_MAX}"))
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise ValidationFailed(detail, errors=errors)
