"""``pilothouse token ...``: personal API tokens from the shell."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, open_runtime
from pilothouse.core import tokens, users
from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.models import TokenScope
from pilothouse.core.pagination import PageRequest

app = typer.Typer(help="Manage personal API tokens.", no_args_is_help=True)


@app.command("create")
@cli_errors
def create(
    user: Annotated[str, typer.Option("--user", help="E-mail of the token's owner.")],
    scope: Annotated[
        TokenScope, typer.Option(help="read, or write (acts with the owner's role).")
    ] = TokenScope.read,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Expire after N days.")] = None,
) -> None:
    """Create a token and print only the token on stdout, so scripts can capture it."""
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    with open_runtime() as runtime, runtime.database.session() as session:
        owner = users.get_user_by_email(session, user)
        _token, secret = tokens.create_token(
            session,
            Actor.command_line(),
            runtime.secrets,
            user=owner,
            name=name,
            scope=scope,
            expires_at=expires,
        )
    typer.echo(secret)


@app.command("list")
@cli_errors
def list_(
    user: Annotated[str | None, typer.Option("--user", help="Only this person's tokens.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List tokens (never their secrets)."""
    with open_runtime() as runtime, runtime.database.session() as session:
        owner_id = users.get_user_by_email(session, user).id if user else None
        page = tokens.list_tokens(session, PageRequest(limit=100_000), user_id=owner_id)
        rows = [
            {
                "id": t.id,
                "user": t.user.email,
                "name": t.name,
                "prefix": t.prefix,
                "scope": t.scope.value,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in page.items
        ]
    columns = ["id", "user", "name", "prefix", "scope", "created_at", "last_used_at", "revoked"]
    emit_rows(rows, columns, fmt, title="API tokens")


@app.command("revoke")
@cli_errors
def revoke(
    token_id: Annotated[int, typer.Argument(help="Id from 'pilothouse token list'.")],
) -> None:
    """Revoke a token; requests with it are refused from now on."""
    with open_runtime() as runtime, runtime.database.session() as session:
        token = tokens.get_token(session, token_id)
        tokens.revoke_token(session, Actor.command_line(), token)
        typer.echo(f"Revoked token {token.id} ({token.name}) of {token.user.email}.", err=True)
