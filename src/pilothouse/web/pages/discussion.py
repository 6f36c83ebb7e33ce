"""The watch button and comments under an object's page (``_watch_and_comments.html``).

An object page includes the partial with one line; the partial loads
``/discussion/{type}/{id}`` with htmx, and every action answers with the panel
again, so the page itself needs no code. Without JavaScript the same URL is a page
of its own and the forms post back to it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from pilothouse.core.errors import PilothouseError
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role
from pilothouse.core.notifications import comments, watching
from pilothouse.core.notifications.markdown import render_markdown
from pilothouse.core.notifications.service import resolve_refs, safe_url
from pilothouse.web.deps import EditorWrite, OwnWrite, Principal, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
BodyField = Annotated[str, Form(max_length=comments.MAX_COMMENT_CHARS + 1000)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _page_url(request: Request, given: str | None = None) -> str | None:
    """The object page the panel sits on: htmx says so in ``HX-Current-URL``."""
    current = request.headers.get("hx-current-url")
    if current:
        parts = urlsplit(current)
        if not parts.netloc or parts.netloc == request.url.netloc:
            return safe_url(parts.path)
    return safe_url(given)


def _panel_context(
    session: Session, principal: Principal, runtime: Any, ref: ObjectRef
) -> dict[str, Any]:
    reference = resolve_refs(session, [ref], runtime).get(ref)
    return {
        "ref": ref,
        "reference": reference,
        "comments": comments.list_comments(session, ref),
        "watching": watching.is_watching(session, principal.user.id, ref),
        "watchers": len(watching.watchers_of(session, ref)),
        "may_comment": principal.identity.role.allows(Role.editor),
        "is_admin": principal.identity.role is Role.admin,
        "me": principal.user.id,
    }


def _panel(
    request: Request,
    session: Session,
    principal: Principal,
    runtime: Any,
    ref: ObjectRef,
    **extra: Any,
) -> Response:
    context = _panel_context(session, principal, runtime, ref) | extra
    context.setdefault("page_url", _page_url(request))
    htmx = _is_htmx(request)
    template = "notifications/_discussion.html" if htmx else "notifications/discussion.html"
    return render(request, template, context)


def _back(ref: ObjectRef, next_url: str | None, text: str) -> Response:
    target = safe_url(next_url) if next_url and next_url.startswith("/") else None
    return flash_redirect(target or f"/discussion/{ref.type}/{ref.id}", text)


@router.get("/discussion/mentions")
def mention_suggestions(
    _principal: Viewer, session: SessionDep, q: Annotated[str, Query(max_length=100)] = ""
) -> JSONResponse:
    """People to suggest after ``@`` in a comment box (``static/js/mentions.js``)."""
    return JSONResponse(comments.mention_suggestions(session, q))


@router.get("/discussion/{object_type}/{object_id}")
def discussion_panel(
    request: Request,
    object_type: str,
    object_id: str,
    principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    return _panel(request, session, principal, runtime, ref)


@router.post("/discussion/{object_type}/{object_id}")
def add_comment_form(
    request: Request,
    object_type: str,
    object_id: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    body: BodyField,
    next: Annotated[str | None, Form(max_length=500)] = None,  # noqa: A002
) -> Response:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    page_url = _page_url(request, next)
    try:
        with session.begin_nested():
            comments.add_comment(session, principal.actor, ref, body, url=page_url)
    except PilothouseError as exc:
        if not _is_htmx(request):
            raise
        return _panel(request, session, principal, runtime, ref, error=exc.detail, draft=body)
    if not _is_htmx(request):
        return _back(ref, next, "Your comment was added.")
    return _panel(request, session, principal, runtime, ref, page_url=page_url)


@router.post("/discussion/{object_type}/{object_id}/watch")
def watch_form(
    request: Request,
    object_type: str,
    object_id: str,
    principal: OwnWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    watch: Annotated[bool, Form()] = True,
    next: Annotated[str | None, Form(max_length=500)] = None,  # noqa: A002
) -> Response:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    if watch:
        watching.watch(session, principal.user.id, ref)
    else:
        watching.unwatch(session, principal.user.id, ref)
    if not _is_htmx(request):
        return _back(ref, next, "Watching." if watch else "Stopped watching.")
    return _panel(request, session, principal, runtime, ref)


@router.post("/comments/{comment_id}/edit")
def edit_comment_form(
    request: Request,
    comment_id: int,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    body: BodyField,
    next: Annotated[str | None, Form(max_length=500)] = None,  # noqa: A002
) -> Response:
    comment = comments.get_comment(session, comment_id)
    ref = ObjectRef(comment.object_type, comment.object_id)
    try:
        with session.begin_nested():
            comments.edit_comment(
                session, principal.actor, comment_id, body, url=_page_url(request, next)
            )
    except PilothouseError as exc:
        if not _is_htmx(request):
            raise
        return _panel(request, session, principal, runtime, ref, error=exc.detail)
    if not _is_htmx(request):
        return _back(ref, next, "Your comment was changed.")
    return _panel(request, session, principal, runtime, ref)


@router.post("/comments/{comment_id}/delete")
def delete_comment_form(
    request: Request,
    comment_id: int,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    next: Annotated[str | None, Form(max_length=500)] = None,  # noqa: A002
) -> Response:
    comment = comments.delete_comment(session, principal.actor, comment_id)
    ref = ObjectRef(comment.object_type, comment.object_id)
    if not _is_htmx(request):
        return _back(ref, next, "The comment was deleted.")
    return _panel(request, session, principal, runtime, ref)


@router.get("/comments/{comment_id}/history")
def comment_history_page(
    request: Request, comment_id: int, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    comment = comments.get_comment(session, comment_id)
    ref = ObjectRef(comment.object_type, comment.object_id)
    context = {
        "comment": comment,
        "html": render_markdown(comment.body),
        "ref": ref,
        "reference": resolve_refs(session, [ref], runtime).get(ref),
        "history": comments.revision_views(session, comment_id),
    }
    return render(request, "notifications/comment_history.html", context)
