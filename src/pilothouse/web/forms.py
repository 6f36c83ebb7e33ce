"""Forms never lose input: a refused post re-renders its form with the values and errors.

When a service refuses a form post (``ValidationFailed``, ``Conflict``, a malformed
field FastAPI rejected), the error handler in :mod:`pilothouse.web.problems` calls
:func:`rerender_form`. It renders the page the form was posted from again (an
internal GET of the ``Referer`` through the app's router, with the same cookies,
so the page is built by its own handler and permissions), then
:func:`pilothouse.web.form_html.patch_form` puts the typed values back, writes each
message beside its field (``aria-invalid``, ``aria-describedby``) and a summary with
links to the fields at the top of the form. The answer carries the error's status
(422 for invalid input), so nothing about the failure is hidden from scripts either.

Why not per-form code: the same behaviour then holds for every form of every domain,
including forms added later, with no template changes. A form page that cannot be
rendered again (no same-site Referer, the page no longer shows that form) falls back
to the previous behaviour, a redirect with the reason as a flash message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile
from starlette.types import Message

from pilothouse.core.errors import FieldError
from pilothouse.web.form_html import FieldProblem, patch_form

__all__ = ["FORM_STATUSES", "is_form_post", "referer_path", "rerender_form"]

#: Refusals that mean "fix the input and try again" (the others get an error page).
FORM_STATUSES = frozenset({400, 409, 422})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_DROPPED_HEADERS = frozenset({b"content-type", b"content-length", b"hx-request", b"hx-target"})


def is_form_post(request: Request) -> bool:
    """A browser form submission (not htmx, not the API), the kind this module re-renders."""
    return (
        request.method == "POST"
        and request.headers.get("content-type", "").startswith(_FORM_TYPES)
        and not request.headers.get("hx-request")
    )


def referer_path(request: Request) -> str | None:
    """The same-site page the form was posted from, as ``path?query``; None if unknown."""
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path or (referer.netloc and referer.netloc != request.url.netloc):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


async def _posted_values(request: Request) -> dict[str, list[str]]:
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - a body that cannot be parsed has no values to keep
        return {}
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile):
            values.setdefault(name, []).append(value)
    return values


def _page_scope(request: Request, target: str) -> dict[str, Any]:
    split = urlsplit(target)
    scope = dict(request.scope)
    scope.update(
        method="GET",
        path=split.path,
        raw_path=split.path.encode(),
        query_string=split.query.encode(),
        headers=[(k, v) for k, v in request.scope["headers"] if k not in _DROPPED_HEADERS],
        state={k: v for k, v in request.scope.get("state", {}).items() if k != "principal"},
    )
    return scope


async def _render_page(request: Request, target: str) -> str | None:
    """The HTML of page ``target`` as the same person sees it; None unless it answers 200."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    try:
        await request.app.router(_page_scope(request, target), receive, send)
    except Exception:  # noqa: BLE001 - the page itself failed: fall back to the flash message
        return None
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    if start is None or start["status"] != 200:
        return None
    headers = dict(start.get("headers", []))
    if not headers.get(b"content-type", b"").startswith(b"text/html"):
        return None
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return body.decode("utf-8", errors="replace")


async def rerender_form(
    request: Request, status: int, detail: str, errors: Sequence[FieldError]
) -> Response | None:
    """The form page again with the typed values and the errors; None when it cannot be."""
    if status not in FORM_STATUSES or not is_form_post(request):
        return None
    target = referer_path(request)
    if target is None:
        return None
    page = await _render_page(request, target)
    if page is None:
        return None
    values = await _posted_values(request)
    problems = [FieldProblem(e.field, e.message) for e in errors]
    patched = patch_form(page, request.url.path, values, problems, detail)
    if patched is None:
        return None
    return HTMLResponse(patched, status_code=status)
