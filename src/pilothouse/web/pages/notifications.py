"""Notification pages: the list, the bell, e-mail preferences and unsubscribing.

The bell is a small fragment every page loads with htmx (and refreshes each minute),
so the header costs no query on pages that are cached or rendered on error paths.
Unsubscribe links work without signing in: the signed token is the proof.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pilothouse.core.errors import PilothouseError
from pilothouse.core.notifications import service
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import choices_for, set_delivery
from pilothouse.core.notifications.unsubscribe import read_unsubscription, unsubscribe
from pilothouse.web.deps import OwnWrite, Public, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: Seconds between refreshes of the bell's unread count.
BELL_POLL_SECONDS = 60


@router.get("/notifications")
def notifications_page(
    request: Request, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    rows = service.inbox(session, principal.user.id)
    views = service.present(session, rows, runtime)
    unread = sum(1 for v in views if v.unread)
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": views,
            "unread": unread,
            "total_unread": service.unread_count(session, principal.user.id),
        },
    )


@router.get("/notifications/bell")
def bell_fragment(request: Request, principal: Viewer, session: SessionDep) -> Response:
    count = service.unread_count(session, principal.user.id)
    return render(
        request, "notifications/_bell_count.html", {"count": count, "poll": BELL_POLL_SECONDS}
    )


@router.post("/notifications/read-all")
def read_all_form(principal: OwnWrite, session: SessionDep) -> Response:
    changed = service.mark_all_read(session, principal.user.id)
    return flash_redirect("/notifications", f"Marked {changed} notification(s) read.")


@router.post("/notifications/{notification_id}/read")
def read_one_form(notification_id: int, principal: OwnWrite, session: SessionDep) -> Response:
    row = service.mark_read(session, principal.user.id, notification_id)
    return flash_redirect("/notifications", f"Marked “{row.title}” read.")


@router.get("/account/notifications")
def preferences_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    return render(
        request,
        "notifications/preferences.html",
        {"choices": choices_for(session, principal.user.id), "deliveries": list(Delivery)},
    )


@router.post("/account/notifications")
async def save_preferences_form(
    request: Request, principal: OwnWrite, session: SessionDep
) -> Response:
    form = await request.form()
    user_id = principal.user.id
    for key, value in form.multi_items():
        if key.startswith("kind:") and isinstance(value, str):
            set_delivery(session, user_id, key[len("kind:") :], value)
    return flash_redirect("/account/notifications", "Your e-mail choices were saved.")


@router.get("/notifications/unsubscribe/{token}", dependencies=[Public])
def unsubscribe_page(
    request: Request, token: str, session: SessionDep, runtime: RuntimeDep
) -> Response:
    try:
        found = read_unsubscription(session, runtime.settings.resolved_secret_key(), token)
    except PilothouseError as exc:
        return render(
            request, "notifications/unsubscribe.html", {"error": exc.detail}, status=exc.status
        )
    return render(request, "notifications/unsubscribe.html", {"found": found, "token": token})


@router.post("/notifications/unsubscribe/{token}", dependencies=[Public])
def unsubscribe_form(
    request: Request,
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The confirmation button, and RFC 8058 one-click POSTs from mail clients."""
    try:
        found = unsubscribe(session, runtime.settings.resolved_secret_key(), token)
    except PilothouseError as exc:
        return render(
            request, "notifications/unsubscribe.html", {"error": exc.detail}, status=exc.status
        )
    return render(request, "notifications/unsubscribe.html", {"found": found, "done": True})
