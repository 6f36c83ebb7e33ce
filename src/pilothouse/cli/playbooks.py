"""``pilothouse playbooks ...``: list playbooks (stale ones flagged), show one, search."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime

app = typer.Typer(help="Playbooks: list, show, search.", no_args_is_help=True)
COLUMNS = ["slug", "title", "owner", "reviewed_on", "stale", "version"]


def _row(playbook: Any, stale: bool) -> dict[str, Any]:
    return {
        "slug": playbook.slug,
        "title": playbook.title,
        "owner": playbook.owner.email if playbook.owner else "",
        "reviewed_on": playbook.reviewed_on.isoformat() if playbook.reviewed_on else "",
        "stale": "stale" if stale else "",
        "version": playbook.version,
    }


@app.command("list")
@cli_errors
def list_playbooks(
    stale: Annotated[bool, typer.Option("--stale", help="Only playbooks due for review.")] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List playbooks by title; *stale* marks those not reviewed within the set days."""
    from pilothouse.playbooks import service

    with open_runtime() as runtime, runtime.database.session(reading=True) as session:
        days = runtime.settings.playbooks_stale_after_days
        rows = [
            _row(p, service.is_stale(p, days))
            for p in service.list_playbooks(session)
            if not stale or service.is_stale(p, days)
        ]
    emit_rows(rows, COLUMNS, fmt, title="Playbooks")


@app.command("show")
@cli_errors
def show_playbook(
    slug: Annotated[str, typer.Argument(help="The playbook's slug, such as launch-playbook.")],
    fmt: Annotated[
        str, typer.Option("--format", help="markdown (with front matter), json or history.")
    ] = "markdown",
) -> None:
    """Show one playbook as its Markdown file, as JSON, or its list of versions."""
    from pilothouse.playbooks import service
    from pilothouse.playbooks.presenters import playbook_read

    if fmt not in ("markdown", "json", "history"):
        raise fail(f"--format {fmt!r}: use markdown, json or history")
    with open_runtime() as runtime, runtime.database.session(reading=True) as session:
        playbook = service.find_playbook(session, slug)
        if fmt == "markdown":
            typer.echo(service.to_markdown(playbook), nl=False)
        elif fmt == "json":
            days = runtime.settings.playbooks_stale_after_days
            data = playbook_read(session, playbook, days).model_dump(mode="json")
            typer.echo(json.dumps(data, indent=2))
        else:
            for r in service.list_revisions(session, playbook):
                typer.echo(
                    f"v{r.version}  {r.action:<8} {r.created_at:%Y-%m-%d %H:%M}  {r.actor_label}"
                )


@app.command("search")
@cli_errors
def search_playbooks(
    q: Annotated[str, typer.Argument(help="Words that must all appear.")],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Full-text search across playbooks, best match first."""
    from pilothouse.playbooks.search import search_playbooks as search

    with open_runtime() as runtime, runtime.database.session(reading=True) as session:
        rows = [
            {"slug": h.playbook.slug, "title": h.playbook.title, "score": round(h.score, 3)}
            for h in search(session, q)
        ]
    emit_rows(rows, ["slug", "title", "score"], fmt, title=f"Playbooks matching {q!r}")
