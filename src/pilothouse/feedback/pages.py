"""The feedback inbox: a filtered list and the form to log feedback for a customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pilothouse.accounts import service as accounts_service
from pilothouse.core import areas
from pilothouse.core.pagination import PageRequest
from pilothouse.feedback import service
from pilothouse.feedback.models import FeedbackStatus, SourceKind
from pilothouse.feedback.routes import Filters
from pilothouse.web.deps import EditorWrite, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/feedback", include_in_schema=False)
FORM_KINDS = [
    SourceKind.support_ticket,
    SourceKind.sales_note,
    SourceKind.cs_note,
    SourceKind.interview,
    SourceKind.email,
    SourceKind.in_app,
    SourceKind.internal,
]


@router.get("")
def inbox_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    where: Filters,
    cursor: str | None = None,
) -> Response:
    page = service.list_feedback(
        session, PageRequest(limit=50, cursor=cursor, newest_first=True), where
    )
    context = {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "where": where,
        "statuses": list(FeedbackStatus),
        "kinds": list(SourceKind),
        "form_kinds": FORM_KINDS,
        "areas": areas.list_areas(session, PageRequest(limit=200)).items,
        "accounts": accounts_service.list_accounts(session, PageRequest(limit=500)).items,
        "query": request.url.query,
    }
    template = "feedback/_rows.html" if request.headers.get("hx-request") else "feedback/inbox.html"
    return render(request, template, context)


@router.post("")
def log_feedback_form(
    principal: EditorWrite,
    session: SessionDep,
    text: Annotated[str, Form(max_length=20_000)],
    customer_email: Annotated[str, Form(max_length=320)] = "",
    account: Annotated[str, Form(max_length=200)] = "",
    source_kind: Annotated[str, Form(max_length=32)] = SourceKind.internal.value,
    product_area: Annotated[str, Form(max_length=200)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    item = service.create_feedback(
        session,
        principal.actor,
        {
            "text": text,
            "author_email": customer_email,
            "account": account,
            "source_kind": source_kind,
            "source_name": "web form",
            "product_area": product_area,
            "tags": tags,
        },
    )
    return flash_redirect("/feedback", f"Logged feedback #{item.id}.")
