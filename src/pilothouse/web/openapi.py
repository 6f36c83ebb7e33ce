"""The OpenAPI document, with every error an operation can answer declared.

FastAPI declares only the success response and its own 422 model, while the app
answers every error with one RFC 9457 problem document (``web/problems.py``),
``application/problem+json``. This module post-processes the generated schema so
that clients and the API fuzz test (``tests/web/test_api_fuzz.py``) see the truth:

- a ``Problem`` component (with ``ProblemFieldError`` for per-field errors);
- on each operation, the error statuses that the shared machinery can produce for
  it, derived from how it is declared (see :func:`error_statuses`);
- FastAPI's default 422 (``HTTPValidationError``, a body the app never sends) is
  replaced by the problem document.

A route that answers something more (say 503) declares it with ``responses=``;
statuses a route declares itself are kept as they are.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from pilothouse.web.bounds import INT32_MAX, INT32_MIN
from pilothouse.web.deps import PublicAccess
from pilothouse.web.problems import PROBLEM_MEDIA_TYPE

__all__ = [
    "CSV_OR_JSON_ROWS",
    "Problem",
    "ProblemFieldError",
    "error_statuses",
    "install_openapi",
]

UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
PROBLEM_REF = "#/components/schemas/Problem"
FASTAPI_422_REF = "#/components/schemas/HTTPValidationError"

#: Why each status is answered, as shown in the docs.
ERROR_DESCRIPTIONS = {
    400: "The request cannot be carried out as asked (the detail says why).",
    401: "No valid API token or session; `WWW-Authenticate` names the scheme.",
    403: "Signed in, but the role or the token's scope does not allow this.",
    404: "The object named in the path or the input does not exist.",
    409: "The change conflicts with the current state (a stale version, a duplicate).",
    413: "The request body is larger than the server accepts.",
    422: "Invalid input; `errors` names each field and what is wrong with it.",
    429: "Too many requests; `Retry-After` says when to try again.",
}

#: ``responses={200: CSV_OR_JSON_ROWS}`` for exports that answer CSV or, with
#: ``format=json``, the same rows as a JSON array.
CSV_OR_JSON_ROWS: dict[str, Any] = {
    "description": "The rows as CSV (the default) or, with `format=json`, as a JSON array.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    },
}


class ProblemFieldError(BaseModel):
    """One problem with one input field."""

    field: str = Field(description="Dotted path of the field, such as `owner.email`.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every error the API answers."""

    type: str = Field(description="`urn:pilothouse:problem:<code>`, stable for programs.")
    title: str
    status: int
    detail: str = Field(description="What went wrong, for people.")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Per-field problems, when the input was at fault."
    )


def _is_public(dependant: Dependant) -> bool:
    return any(
        isinstance(sub.call, PublicAccess) or _is_public(sub) for sub in dependant.dependencies
    )


def error_statuses(method: str, operation: dict[str, Any], *, public: bool) -> set[int]:
    """The error statuses the shared machinery can answer for one operation.

    Input (parameters or a body, or any write) can be invalid (422), impossible
    (400) or name a missing object (404). Writes can conflict (409) and bodies can be
    too large (413). Anything not public can be refused (401, 403) or rate-limited
    (429: an address that sent many bad tokens, a write key over its rate).
    """
    has_input = bool(operation.get("parameters")) or "requestBody" in operation
    unsafe = method in UNSAFE_METHODS
    statuses: set[int] = set()
    if has_input or unsafe:
        statuses |= {400, 404, 422}
    if unsafe:
        statuses.add(409)
    if "requestBody" in operation or (unsafe and not public):
        statuses.add(413)
    if not public:
        statuses |= {401, 403, 429}
    return statuses


def _flat_routes(routes: list[Any]) -> list[tuple[str, Any, Dependant]]:
    """``(full path, methods, dependant)`` of every API route, included routers' too.

    Newer FastAPI keeps included routers as lazy entries that
    ``fastapi.routing.iter_route_contexts`` flattens; older ones copy every route.
    """
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined]
    except ImportError:
        return [(r.path, r.methods, r.dependant) for r in routes if isinstance(r, APIRoute)]
    return [
        (c.path, c.methods or (), c.original_route.dependant)
        for c in iter_route_contexts(routes)
        if isinstance(c.original_route, APIRoute)
    ]


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def _is_fastapi_default(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") == FASTAPI_422_REF


def _bound_integers(operation: dict[str, Any]) -> None:
    """Integer parameters are 32-bit (``web/bounds.py`` refuses the rest): say so."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        for variant in [schema, *schema.get("anyOf", [])]:
            if variant.get("type") == "integer":
                variant.setdefault("minimum", INT32_MIN)
                variant.setdefault("maximum", INT32_MAX)


def declare_errors(schema: dict[str, Any], routes: list[Any]) -> None:
    """Add the problem component and each operation's error responses, in place."""
    public = {
        (method.lower(), path): _is_public(dependant)
        for path, methods, dependant in _flat_routes(routes)
        for method in methods
    }
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in UNSAFE_METHODS | {"get", "head", "options"}:
                continue
            statuses = error_statuses(method, operation, public=public.get((method, path), False))
            _bound_integers(operation)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                declared = responses.get(str(status))
                if declared is None or _is_fastapi_default(declared):
                    responses[str(status)] = _problem_response(status)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    models = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(models.pop("$defs", {}))
    components["Problem"] = models
    if FASTAPI_422_REF not in str(schema.get("paths")):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the schema with its errors declared (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            declare_errors(schema, app.routes)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
