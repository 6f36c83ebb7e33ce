"""``pilothouse init`` and ``pilothouse user ...``: people and roles from the shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy import func, select

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core import users
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role, User
from pilothouse.core.pagination import PageRequest

app = typer.Typer(help="Manage people and their roles.", no_args_is_help=True)


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise fail("--password-stdin given but standard input had no password")
        return password
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


@app.command("create")
@cli_errors
def create(
    email: Annotated[str, typer.Argument(help="E-mail address; also the sign-in name.")],
    role: Annotated[Role, typer.Option(help="What the person may do.")] = Role.viewer,
    name: Annotated[
        str | None, typer.Option(help="Display name (default: from the e-mail).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input (for scripts)."
        ),
    ] = False,
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="Create without a password; an admin sets one later."),
    ] = False,
) -> None:
    """Create a person. Prompts for a password unless --password-stdin or --no-password."""
    password = None if no_password else _read_password(password_stdin)
    display = name or email.split("@")[0].replace(".", " ").title()
    with open_runtime() as runtime, runtime.database.session() as session:
        user = users.create_user(
            session,
            Actor.command_line(),
            runtime.passwords,
            email=email,
            name=display,
            role=role,
            password=password,
        )
        typer.echo(f"Created {user.email} ({user.role.value}).", err=True)


@app.command("list")
@cli_errors
def list_(
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include deactivated people.")
    ] = False,
) -> None:
    """List people with their roles."""
    with open_runtime() as runtime, runtime.database.session() as session:
        page = users.list_users(
            session, PageRequest(limit=100_000), active=None if include_inactive else True
        )
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role.value,
                "active": u.is_active,
                "created_at": u.created_at.isoformat(),
            }
            for u in page.items
        ]
    emit_rows(rows, ["id", "email", "name", "role", "active", "created_at"], fmt, title="People")


@app.command("set-role")
@cli_errors
def set_role(
    email: Annotated[str, typer.Argument(help="E-mail of the person.")],
    role: Annotated[Role, typer.Argument(help="The new role.")],
) -> None:
    """Change a person's role."""
    with open_runtime() as runtime, runtime.database.session() as session:
        user = users.get_user_by_email(session, email)
        users.update_user(session, Actor.command_line(), user, role=role)
        typer.echo(f"{user.email} is now {role.value}.", err=True)


@app.command("set-password")
@cli_errors
def set_password(
    email: Annotated[str, typer.Argument(help="E-mail of the person.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password for someone (for example a forgotten one); ends their sessions."""
    password = _read_password(password_stdin, "New password")
    with open_runtime() as runtime, runtime.database.session() as session:
        user = users.get_user_by_email(session, email)
        users.change_password(
            session,
            Actor.command_line(),
            runtime.passwords,
            user,
            current_password=None,
            new_password=password,
        )
        typer.echo(f"Set a new password for {user.email}.", err=True)


@app.command("deactivate")
@cli_errors
def deactivate(email: Annotated[str, typer.Argument(help="E-mail of the person.")]) -> None:
    """Deactivate a person: they can no longer sign in, and their sessions and tokens end."""
    with open_runtime() as runtime, runtime.database.session() as session:
        user = users.get_user_by_email(session, email)
        users.update_user(session, Actor.command_line(), user, is_active=False)
        typer.echo(f"Deactivated {user.email}.", err=True)


@cli_errors
def init(
    email: Annotated[str, typer.Option(prompt="Admin e-mail", help="E-mail of the first admin.")],
    name: Annotated[str, typer.Option(prompt="Admin name", help="Name of the first admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set up a new installation: migrate the database and create the first admin."""
    from pilothouse.core.migrate import upgrade

    with open_runtime(require_schema=False) as runtime:
        upgrade(runtime.database)
        with runtime.database.session() as session:
            admins = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == Role.admin, User.is_active.is_(True))
            )
            if admins:
                raise fail("this installation has an admin already; use: pilothouse user create")
        password = _read_password(password_stdin)
        with runtime.database.session() as session:
            user = users.create_user(
                session,
                Actor.command_line(),
                runtime.passwords,
                email=email,
                name=name,
                role=Role.admin,
                password=password,
            )
        typer.echo(f"Created admin {user.email}. Start the server with: pilothouse serve", err=True)
