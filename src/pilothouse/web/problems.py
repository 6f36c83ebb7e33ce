"""One error format: RFC 9457 problem details for the API, error pages for people.

Every error the app returns goes through :func:`install_error_handlers`, whether
a service raised a :class:`PilothouseError`, FastAPI rejected the input, or
Starlette answered 404/405 for an unknown route.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilothouse.core.errors import FieldError, PilothouseError, TooManyRequests, Unauthorized
from pilothouse.web.forms import rerender_form
from pilothouse.web.templating import flash_redirect, render_error

__all__ = ["PROBLEM_MEDIA_TYPE", "install_error_handlers", "is_api_request", "problem_body"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("pilothouse.web")
#: SQLSTATE 22003, numeric_value_out_of_range.
NUMERIC_OUT_OF_RANGE = "22003"


_HTTP_PROBLEMS = {
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
}


def is_api_request(request: Request) -> bool:
    """API paths answer in JSON; everything else is a page for a person."""
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"


def problem_body(
    status: int, code: str, title: str, detail: str, errors: list[FieldError] | None = None
) -> dict[str, Any]:
    """The problem-details document: ``type``, ``title``, ``status``, ``detail``, ``errors``."""
    body: dict[str, Any] = {
        "type": f"urn:pilothouse:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    return body


def _problem(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _page(request: Request, status: int, title: str, detail: str) -> Response:
    return render_error(request, status=status, title=title, detail=detail)


def _form_return_path(request: Request, exc: PilothouseError) -> str | None:
    """Where to send a person whose form post was refused: back to the form, with the reason."""
    if request.method != "POST" or exc.status not in (400, 409, 422):
        return None
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return None
    path = referer.path or "/"
    return path + (f"?{referer.query}" if referer.query else "")


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        location = _field_path(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx") or {}
            message = f"malformed JSON: {ctx.get('error', 'cannot parse')}"
            location = "body"  # pydantic's location is a character offset here
        errors.append(FieldError(location, message))
    return errors


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that render every error in the one format."""

    @app.exception_handler(PilothouseError)
    async def _domain_error(request: Request, exc: PilothouseError) -> Response:
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        if not is_api_request(request):
            again = await rerender_form(request, exc.status, exc.detail, exc.errors)
            if again is not None:
                return again
            back = _form_return_path(request, exc)
            if back is not None:
                return flash_redirect(back, exc.detail, kind="error")
            if isinstance(exc, Unauthorized):
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/login?next={target}", status_code=303)
            return _page(request, exc.status, exc.title, exc.detail)
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = 'Bearer realm="pilothouse"'
        body = problem_body(exc.status, exc.code, exc.title, exc.detail, exc.errors)
        return _problem(exc.status, body, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_input(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        if not is_api_request(request):
            again = await rerender_form(request, 422, detail, errors)
            return again if again is not None else _page(request, 422, "Invalid input", detail)
        return _problem(422, problem_body(422, "validation-error", "Invalid input", detail, errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        code, title = _HTTP_PROBLEMS.get(status, (None, None))
        if title is None:
            title = (
                HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
            )
        detail = exc.detail if isinstance(exc.detail, str) else title
        if not is_api_request(request):
            return _page(request, status, title, detail)
        code = code or title.lower().replace(" ", "-")
        return _problem(
            status, problem_body(status, code, title, detail), getattr(exc, "headers", None)
        )

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> Response:
        """A number too large for its column (PostgreSQL's check): bad input, not a bug.

        Integers are bounded before they reach the database (``web/bounds.py``), but a
        body integer that fits 64 bits can still overflow a 32-bit column.
        """
        if getattr(exc.orig, "sqlstate", None) != NUMERIC_OUT_OF_RANGE:
            return await _unexpected(request, exc)
        detail = "a number in the input is out of range for where it is stored"
        if not is_api_request(request):
            return _page(request, 422, "Invalid input", detail)
        return _problem(422, problem_body(422, "validation-error", "Invalid input", detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        detail = "something went wrong on the server; the error was logged"
        if not is_api_request(request):
            return _page(request, 500, "Internal error", detail)
        return _problem(500, problem_body(500, "internal-error", "Internal error", detail))
