"""``pilothouse automations ...`` and ``pilothouse webhooks ...``: rules, YAML files,
test fires, the dispatcher, and the delivery log."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from pilothouse.cli.common import OutputFormat, cli_errors, emit_rows, fail, open_runtime
from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.pagination import PageRequest

__all__ = ["app", "webhooks_app"]

app = typer.Typer(
    help="Automation rules: list, show, apply YAML, test-fire, dispatch.", no_args_is_help=True
)
webhooks_app = typer.Typer(help="Outgoing webhooks: the delivery log.", no_args_is_help=True)
RULE_COLUMNS = ["id", "name", "trigger", "enabled", "conditions", "actions"]
DELIVERY_COLUMNS = [
    "id",
    "created_at",
    "rule_name",
    "event_type",
    "action_kind",
    "target",
    "status",
    "attempts",
    "response_code",
    "latency_ms",
    "error",
]
Format = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


@app.command("list")
@cli_errors
def list_rules(fmt: Format = OutputFormat.table) -> None:
    """List the rules, by name."""
    from pilothouse.automations import rules

    with open_runtime() as runtime, runtime.database.session() as session:
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "trigger": r.trigger,
                "enabled": r.enabled,
                "conditions": len(r.conditions or []),
                "actions": ", ".join(a["kind"] for a in r.actions),
            }
            for r in rules.list_rules(session)
        ]
    emit_rows(rows, RULE_COLUMNS, fmt, title="Automation rules")
    if not rows and fmt is OutputFormat.table:
        typer.echo(
            "No automation rules yet: make one on the Automations page (/automations/new) "
            "or from a YAML file with 'pilothouse automations apply FILE'.",
            err=True,
        )


@app.command("show")
@cli_errors
def show_rule(ref: Annotated[str, typer.Argument(help="Rule id or name.")]) -> None:
    """Show one rule as JSON (with its signing secrets: the operator owns the server)."""
    from pilothouse.automations import rules
    from pilothouse.automations.presenters import rule_read

    with open_runtime() as runtime, runtime.database.session() as session:
        data = rule_read(rules.find_rule(session, ref), show_secrets=True).model_dump(mode="json")
    typer.echo(json.dumps(data, indent=2))


def _print_result(result: Any) -> None:
    verb = "would be" if result.dry_run else "were"
    for name in result.created:
        typer.echo(f"+ {name} (created)")
    for name, fields in result.changed.items():
        typer.echo(f"~ {name} (changed: {', '.join(fields)})")
        for line in result.differences.get(name, []):
            typer.echo(f"    {line}")
    for name in result.unchanged:
        typer.echo(f"= {name} (unchanged)")
    for name in result.not_in_file:
        typer.echo(f"  {name} (not in the file; left as it is)")
    typer.echo(
        f"{len(result.created)} created, {len(result.changed)} changed, "
        f"{len(result.unchanged)} unchanged: changes {verb} applied"
        if not result.dry_run
        else f"{len(result.created)} to create, {len(result.changed)} to change, "
        f"{len(result.unchanged)} unchanged (dry run: nothing written)"
    )


@app.command("apply")
@cli_errors
def apply_file(
    path: Annotated[Path, typer.Argument(help="A YAML file with a 'rules:' list.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the differences; write nothing.")
    ] = False,
) -> None:
    """Create or change the rules of a YAML file, all in one transaction."""
    from pilothouse.automations.yaml_files import apply_text

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None
    try:
        with open_runtime() as runtime, runtime.database.session() as session:
            result = apply_text(session, Actor.command_line(), text, str(path), dry_run=dry_run)
            if dry_run:
                session.rollback()
    except ValidationFailed as exc:
        for error in exc.errors:
            typer.echo(f"{error.field}: {error.message}", err=True)
        raise fail(f"{path} was not applied: {exc.detail}") from None
    _print_result(result)


def _delivery_text(delivery: dict[str, Any]) -> str:
    """``delivery #4 succeeded: HTTP 200 after 35 ms`` (or the error, and the next try)."""
    outcome = delivery.get("error") or (
        f"HTTP {delivery['response_code']}" if delivery.get("response_code") else ""
    )
    if delivery.get("latency_ms") is not None:
        outcome += f" after {delivery['latency_ms']} ms"
    line = f"delivery #{delivery['id']} {delivery['status']}" + (f": {outcome}" if outcome else "")
    if delivery["status"] == "retrying" and delivery.get("next_attempt_at"):
        line += f" (next try {delivery['next_attempt_at']})"
    return line


def _fire_text(name: str, data: dict[str, Any]) -> list[str]:
    """A test fire for people: the event used, then each action and what it did."""
    event = data["event"]
    what = f"{event['type']}: {event['object']['label']}"
    if data["sample"]:
        used = f"a sample {what} (no {event['type']} event has matched the rule yet)"
    else:
        used = f"event #{event['event_id']} {what} ({event['occurred_at']}, {event['actor']})"
    lines = [f"Test fire of rule #{data['rule_id']} {name!r} on {used}"]
    for action in data["actions"]:
        lines.append(f"  {action['index'] + 1}. {action['kind']}: {action['description']}")
        delivery = action.get("delivery")
        detail = _delivery_text(delivery) if delivery else "described only; nothing was changed"
        lines.append(f"     → {detail}")
    return lines


@app.command("test")
@cli_errors
def test_rule(
    ref: Annotated[str, typer.Argument(help="Rule id or name.")],
    fmt: Annotated[
        str, typer.Option("--format", help="text (for people) or json (every field).")
    ] = "text",
) -> None:
    """Test-fire a rule on its latest matching event; webhooks are really sent."""
    if fmt not in ("text", "json"):
        raise fail(f"--format: text or json, not {fmt!r}")
    from pilothouse.automations import rules
    from pilothouse.automations.presenters import fire_plan_read
    from pilothouse.automations.service import test_fire

    with open_runtime() as runtime:
        with runtime.database.session() as session:
            rule = rules.find_rule(session, ref)
            rule_id, name = rule.id, rule.name
        plan = test_fire(runtime, Actor.command_line(), rule_id)
        with runtime.database.session() as session:
            data = fire_plan_read(session, plan).model_dump(mode="json")
    text = _fire_text(name, data) if fmt == "text" else [json.dumps(data, indent=2, default=str)]
    typer.echo("\n".join(text))


@app.command("dispatch")
@cli_errors
def dispatch(
    loop: Annotated[bool, typer.Option("--loop", help="Keep dispatching until stopped.")] = False,
    poll: Annotated[float, typer.Option("--poll", help="Seconds between rounds.")] = 1.0,
) -> None:
    """Read new events, fire rules and run due deliveries (once, or as a loop)."""
    from pilothouse.automations.dispatcher import dispatch_once, run_dispatcher

    with open_runtime() as runtime:
        if loop:
            run_dispatcher(runtime, threading.Event(), poll_seconds=poll)
            return
        result = dispatch_once(runtime, recover=True)
    typer.echo(
        f"{result.events} event(s) read, {result.firings} rule firing(s), "
        f"{len(result.queued)} delivery(ies) run"
    )


def _delivery_row(delivery: Any) -> dict[str, Any]:
    row = {c: getattr(delivery, c, None) for c in DELIVERY_COLUMNS}
    row["status"] = delivery.status.value
    row["created_at"] = delivery.created_at.isoformat(timespec="seconds")
    return row


@webhooks_app.command("deliveries")
@cli_errors
def list_deliveries(
    rule: Annotated[str | None, typer.Option("--rule", help="Rule id or name.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, retrying, succeeded, failed, ...")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    fmt: Format = OutputFormat.table,
) -> None:
    """The delivery log, newest first."""
    from pilothouse.automations import rules, service

    with open_runtime() as runtime, runtime.database.session() as session:
        rule_id = rules.find_rule(session, rule).id if rule else None
        page = service.list_deliveries(session, PageRequest(limit), rule_id=rule_id, status=status)
        rows = [_delivery_row(d) for d in page.items]
    emit_rows(rows, DELIVERY_COLUMNS, fmt, title="Webhook and action deliveries")
    if not rows and fmt is OutputFormat.table:
        typer.echo(
            "No deliveries match: rules log one here for every action they carry out.", err=True
        )
