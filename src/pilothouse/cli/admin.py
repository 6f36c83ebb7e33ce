"""``pilothouse serve``, ``db``, ``demo`` and ``config``: run and look after an installation."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from pilothouse.cli.common import cli_errors, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.core.config import SECRET_FIELDS, Settings

__all__ = ["config_app", "db_app", "demo_app", "event_loop", "serve"]

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo workspace.", no_args_is_help=True)
config_app = typer.Typer(help="Settings.", no_args_is_help=True)


@cli_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: PILOTHOUSE_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PILOTHOUSE_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (default: PILOTHOUSE_WORKERS, 1). With more than one, "
            "this process owns the embedded event store and serves it to them.",
        ),
    ] = None,
) -> None:
    """Run the web app and API. Applies pending migrations first."""
    from pilothouse.core.schema_version import is_current

    settings = Settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    processes = workers or settings.workers
    if processes > 1 and reload:
        raise typer.BadParameter(
            "--reload runs one process; leave out --workers", param_hint="--workers"
        )
    with open_runtime(require_schema=False) as runtime:
        if not is_current(runtime.database):  # Alembic costs a second of imports
            from pilothouse.core.migrate import upgrade

            upgrade(runtime.database)
    typer.echo(f"Pilothouse on http://{bind_host}:{bind_port}/  (Ctrl+C to stop)", err=True)
    options = {"host": bind_host, "port": bind_port, "log_level": settings.log_level.lower()}
    # The apps read it for request_execution "auto"; --workers wins over the environment.
    os.environ["PILOTHOUSE_WORKERS"] = str(processes)
    options["loop"] = event_loop(settings.model_copy(update={"workers": processes}))
    if processes == 1:
        if reload:  # uvicorn restarts on Python changes; templates are re-read on change
            os.environ["PILOTHOUSE_RELOAD_TEMPLATES"] = "true"
        _run_uvicorn(reload=reload, **options)
        return
    with _serving_event_store(settings) as socket_path:
        os.environ["PILOTHOUSE_EVENT_STORE_SOCKET"] = str(socket_path)
        typer.echo(f"{processes} server processes; the event store is served by this one", err=True)
        _run_uvicorn(workers=processes, **options)


def event_loop(settings: Settings) -> str:
    """uvicorn's ``loop`` for the server processes: asyncio's own where requests run inline.

    uvloop (uvicorn's choice when installed) accepts one new connection per turn of its
    loop. A process that runs its requests inline spends a turn running every request
    it has read, a second or more when overloaded, so new connections piled up unseen in
    the kernel's accept queue: at 200 requests/s on PostgreSQL some waited 30 s there,
    past the load shedding's reach. asyncio's loop accepts every waiting connection each
    turn (docs/benchmarks.md, session 14).
    """
    return "asyncio" if settings.inline_requests else "auto"


def _run_uvicorn(**options: Any) -> None:
    import uvicorn

    uvicorn.run(
        "pilothouse.web.app:create_app_from_env",
        factory=True,
        proxy_headers=True,
        server_header=False,
        **options,
    )


@contextmanager
def _serving_event_store(settings: Settings) -> Iterator[Path]:
    """Own the event store in this process and serve it to the workers on a socket."""
    from pilothouse.metrics.store import EventStore, prime_staging
    from pilothouse.metrics.store_service import StoreService, socket_folder

    store = EventStore(settings.effective_events_path)
    service = StoreService(store, socket_folder() / "store.sock").start()
    # The first commit's Arrow conversions, paid before the workers' first tracking call.
    threading.Thread(target=prime_staging, name="warm-up", daemon=True).start()
    try:
        yield service.socket_path
    finally:
        service.stop()


@db_app.command("upgrade")
@cli_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations. A migration that fails leaves the database at the previous revision."""
    from pilothouse.core.migrate import current_revision, upgrade

    with open_runtime(require_schema=False) as runtime:
        before = current_revision(runtime.database)
        upgrade(runtime.database, revision)
        after = current_revision(runtime.database)
    typer.echo(f"Database at revision {after} (was {before or 'empty'}).", err=True)


@db_app.command("current")
@cli_errors
def db_current() -> None:
    """Print the database's revision and the newest one this version ships."""
    from pilothouse.core.migrate import current_revision, head_revision

    with open_runtime(require_schema=False) as runtime:
        typer.echo(f"current: {current_revision(runtime.database) or 'empty'}")
        typer.echo(f"head:    {head_revision()}")


@demo_app.command("load")
@cli_errors
def demo_load() -> None:
    """Load the demo workspace (safe to repeat: nothing is added twice)."""
    from pilothouse.core.migrate import upgrade
    from pilothouse.demo import load_demo

    with open_runtime(require_schema=False) as runtime:
        upgrade(runtime.database)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("Loading demo data", total=None)
            results = load_demo(
                runtime,
                Actor.command_line(),
                on_step=lambda s: progress.update(task, description=s.description),
            )
    for step, result in results:
        added = ", ".join(f"{n} {what}" for what, n in result.added.items()) or "nothing new"
        typer.echo(f"{step.name}: {added}", err=True)
        for notice in result.notices:
            typer.echo(notice)


@config_app.command("show")
@cli_errors
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective settings, with secrets masked."""
    settings = Settings()
    values = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name == "database_url":
            value = _mask_url(settings.effective_database_url)
        elif name in SECRET_FIELDS:
            unset = f"(in {settings.home}/secret_key)" if name == "secret_key" else "(not set)"
            value = "(set)" if value is not None else unset
        values[name] = str(value)
    if as_json:
        typer.echo(json.dumps(values, indent=2))
        return
    for name, value in values.items():
        typer.echo(f"PILOTHOUSE_{name.upper():<34} {value}")


def _mask_url(url: str) -> str:
    """Hide the password of a database URL: ``postgresql://u:***@host/db``."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
