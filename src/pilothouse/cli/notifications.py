"""``pilothouse notifications ...``: read someone's notifications, send the daily digest."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core.notifications import service
from pilothouse.core.notifications.jobs import send_daily_digests
from pilothouse.core.pagination import PageRequest
from pilothouse.core.users import get_user_by_email

__all__ = ["app"]

app = typer.Typer(help="Notifications: list them, send the daily digest.", no_args_is_help=True)

COLUMNS = ["id", "created_at", "kind", "title", "object", "url", "read"]


def _row(view: service.NotificationView) -> dict[str, Any]:
    return {
        "id": view.id,
        "created_at": view.created_at.isoformat(),
        "kind": view.kind,
        "title": view.title,
        "object": view.reference.label if view.reference is not None else None,
        "url": view.url,
        "read": view.read_at.isoformat() if view.read_at else None,
    }


@app.command("list")
@cli_errors
def list_(
    user: Annotated[str, typer.Option("--user", help="E-mail of the person whose list to show.")],
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest N notifications.")] = 50,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List a person's notifications, newest first."""
    with open_runtime() as runtime, runtime.database.session() as session:
        person = get_user_by_email(session, user)
        page = service.list_notifications(
            session, person.id, PageRequest(limit=limit), unread=True if unread else None
        )
        rows = [_row(v) for v in service.present(session, page.items, runtime)]
    emit_rows(rows, COLUMNS, fmt, title=f"Notifications of {user}")


@app.command("digest")
@cli_errors
def digest(
    now: Annotated[
        bool, typer.Option("--now", help="Send now everything that waits for the digest.")
    ] = False,
) -> None:
    """Send the daily digest e-mails (the daily schedule does this; --now runs it here)."""
    if not now:
        raise fail("say --now to send the digest from this shell")
    with open_runtime() as runtime:
        if not runtime.settings.smtp_host:
            raise fail("no SMTP server is set: set PILOTHOUSE_SMTP_HOST first")
        result = send_daily_digests(runtime, datetime.now().astimezone())
    typer.echo(
        f"Sent {result['recipients']} digest e-mail(s) with {result['notifications']} "
        "notification(s).",
        err=True,
    )
