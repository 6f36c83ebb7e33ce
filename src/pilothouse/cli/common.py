"""What every command shares: settings, the runtime, one-line errors, output formats."""

from __future__ import annotations

import csv
import enum
import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError

from pilothouse.core.config import SecretKeyError, Settings
from pilothouse.core.drivers import MissingDriverError
from pilothouse.core.errors import PilothouseError
from pilothouse.core.runtime import Runtime
from pilothouse.core.schema_version import is_current

__all__ = [
    "OutputFormat",
    "cli_errors",
    "emit_rows",
    "fail",
    "open_runtime",
    "progress_bar",
    "stderr",
]

stderr = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on one line to stderr; raise the returned Exit.

    The message is printed as it is: brackets (``pilothouse[postgresql]``, a JSON
    path) are not Rich markup.
    """
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one clear line and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PilothouseError as exc:
            raise fail(
                exc.detail + "".join(f"; {e.field}: {e.message}" for e in exc.errors)
            ) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"PILOTHOUSE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            )
            raise fail(f"invalid settings: {problems}") from None
        except (OperationalError, ProgrammingError) as exc:
            raise fail(f"database error: {str(exc.orig).strip().splitlines()[0]}") from None
        except (PermissionError, FileNotFoundError, SecretKeyError, MissingDriverError) as exc:
            raise fail(str(exc)) from None
        except (ArgumentError, NoSuchModuleError) as exc:
            raise fail(f"invalid database URL: {exc}") from None
        except Exception as exc:
            if _is_migration_error(exc):
                raise fail(f"migration error: {exc}") from None
            raise

    return wrapper


def progress_bar(console: Console) -> Progress:
    """The bar long commands show on standard error: what, bar, done of all, time; gone after."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _is_migration_error(exc: Exception) -> bool:
    """Alembic's ``CommandError``, recognised without importing Alembic (half a second)."""
    alembic_util = sys.modules.get("alembic.util")
    return alembic_util is not None and isinstance(exc, alembic_util.CommandError)


@contextmanager
def open_runtime(*, require_schema: bool = True) -> Iterator[Runtime]:
    """A runtime from the environment; refuses to run on a database that is not migrated."""
    settings = Settings()
    if "jobs_mode" not in settings.model_fields_set:  # commands run their jobs themselves
        settings = settings.model_copy(update={"jobs_mode": "immediate"})
    runtime = Runtime.from_settings(settings)
    try:
        if require_schema and not is_current(runtime.database):
            raise fail("the database schema is not up to date; run: pilothouse db upgrade")
        yield runtime
    finally:
        runtime.close()


def emit_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: OutputFormat,
    title: str | None = None,
) -> None:
    """Print rows as a table for people, or as JSON/CSV for scripts (on stdout)."""
    if fmt is OutputFormat.json:
        typer.echo(
            json.dumps([{c: r.get(c) for c in columns} for r in rows], default=str, indent=2)
        )
        return
    if fmt is OutputFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console = Console()
    if not console.is_terminal:  # piped: no terminal width to respect, so don't truncate
        console = Console(width=250)
    console.print(table)
