"""``pilothouse decisions ...``: search the decision log and show one decision with its history."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core.pagination import PageRequest

app = typer.Typer(help="The decision log: search, show.", no_args_is_help=True)
PAGE = 200
COLUMNS = [
    "key",
    "title",
    "status",
    "chosen_option",
    "decided_on",
    "decided_by",
    "product_area",
    "tags",
]


def _row(decision: Any) -> dict[str, Any]:
    return {
        "key": decision.key,
        "title": decision.title,
        "status": decision.status.value,
        "chosen_option": decision.chosen_option,
        "decided_on": decision.decided_on.isoformat() if decision.decided_on else "",
        "decided_by": decision.decided_by.email if decision.decided_by else "",
        "product_area": decision.product_area.slug if decision.product_area else "",
        "tags": ", ".join(decision.tags),
    }


@app.command("list")
@cli_errors
def list_decisions(
    q: Annotated[str | None, typer.Option("--q", help="Words that must all appear.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="proposed, decided or superseded.")
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="Product area slug or name.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only decisions with this tag.")] = None,
    linked: Annotated[
        str | None, typer.Option("--linked", help="Only decisions about TYPE:ID.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """List decisions, newest first, optionally searched and filtered."""
    from pilothouse.decisions.models import DecisionStatus
    from pilothouse.decisions.search import DecisionFilter
    from pilothouse.decisions.search import list_decisions as search
    from pilothouse.decisions.targets import parse_ref

    try:
        wanted = DecisionStatus(status) if status else None
    except ValueError:
        raise fail(
            f"--status must be one of {', '.join(s.value for s in DecisionStatus)}"
        ) from None
    rows: list[dict[str, Any]] = []
    with open_runtime() as runtime, runtime.database.session() as session:
        where = DecisionFilter(
            q=q,
            status=wanted,
            product_area=area,
            tag=tag,
            linked=parse_ref(linked, "--linked") if linked else None,
        )
        cursor = None
        while True:
            page = search(session, where, PageRequest(PAGE, cursor))
            rows += [_row(d) for d in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    emit_rows(rows, COLUMNS, fmt, title="Decisions")


def _print_text(data: dict[str, Any], revisions: list[dict[str, Any]]) -> None:
    typer.echo(f"{data['key']}  {data['title']}  [{data['status']}]")
    if data["decided_on"] or data["decided_by"]:
        who = data["decided_by"]["email"] if data["decided_by"] else "unknown"
        typer.echo(f"decided {data['decided_on'] or '(no date)'} by {who}")
    if data["consulted"]:
        typer.echo("consulted: " + ", ".join(p["email"] for p in data["consulted"]))
    if data["superseded_by"]:
        typer.echo(f"superseded by {data['superseded_by']}")
    if data["supersedes"]:
        typer.echo("supersedes " + ", ".join(data["supersedes"]))
    for heading, body in (("Context", data["context"]), ("Rationale", data["rationale"])):
        if body:
            typer.echo(f"\n{heading}:\n{body}")
    if data["options"]:
        typer.echo("\nOptions:")
        for option in data["options"]:
            mark = "*" if option["name"] == data["chosen_option"] else "-"
            typer.echo(
                f"  {mark} {option['name']}  (+ {option['pros'] or '—'}; − {option['cons'] or '—'})"
            )
    if data["links"]:
        typer.echo("\nAbout:")
        for link in data["links"]:
            typer.echo(f"  {link['type']}:{link['id']}  {link['label']}")
    typer.echo("\nHistory:")
    for revision in revisions:
        fields = ", ".join(revision["changes"]) if revision["version"] > 1 else ""
        typer.echo(
            f"  v{revision['version']} {revision['action']} by {revision['actor_label']} "
            f"at {revision['created_at']}{': ' + fields if fields else ''}"
        )


@app.command("show")
@cli_errors
def show_decision(
    key: Annotated[str, typer.Argument(help="The decision's key, such as DEC-7.")],
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show one decision: options, choice, rationale, links and its history."""
    from pilothouse.decisions import history, service
    from pilothouse.decisions.presenters import decision_read
    from pilothouse.decisions.schemas import RevisionRead

    if fmt not in ("text", "json"):
        raise fail(f"--format {fmt!r}: use text or json")
    with open_runtime() as runtime, runtime.database.session() as session:
        decision = service.find_decision(session, key)
        data = decision_read(session, decision).model_dump(mode="json")
        revisions = [
            RevisionRead.model_validate(r).model_dump(mode="json")
            for r in history.list_revisions(session, decision)
        ]
    if fmt == "json":
        typer.echo(json.dumps({**data, "history": revisions}, indent=2))
        return
    _print_text(data, revisions)
