"""``pilothouse automations ...`` and ``pilothouse webhooks deliveries`` through Typer's runner."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pilothouse.automations import rules
from pilothouse.cli.main import app as cli_app
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver

RULES = """\
rules:
  - name: Launched items to chat
    trigger: roadmap_item.status_changed
    conditions:
      - field: status
        op: eq
        value: launched
    actions:
      - kind: webhook
        url: {url}
        format: slack
  - name: Refused gates to editors
    trigger: launch.gate_refused
    actions:
      - kind: notify
        role: editor
        title: "{{{{ object_label }}}} was refused"
"""


@pytest.fixture
def run(runtime: Runtime, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    settings = runtime.settings
    assert settings.secret_key is not None
    monkeypatch.setenv("PILOTHOUSE_HOME", str(settings.home))
    monkeypatch.setenv("PILOTHOUSE_DATABASE_URL", runtime.database.url)
    monkeypatch.setenv("PILOTHOUSE_SECRET_KEY", settings.secret_key.get_secret_value())
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def rule_names(runtime: Runtime) -> list[str]:
    with runtime.database.session() as session:
        return [r.name for r in rules.list_rules(session)]


def test_apply_shows_the_diff_then_applies_in_one_go(
    run, runtime: Runtime, receiver: Receiver, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    allow_private(runtime)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.format(url=receiver.url))
    empty = run("automations", "list")
    assert "No automation rules yet" in empty.stderr and "automations apply FILE" in empty.stderr
    assert json.loads(run("automations", "list", "--format", "json").stdout) == []
    assert "No deliveries match" in run("webhooks", "deliveries").stderr

    dry = run("automations", "apply", str(path), "--dry-run")
    assert "+ Launched items to chat (created)" in dry.stdout
    assert "dry run: nothing written" in dry.stdout
    assert rule_names(runtime) == []

    run("automations", "apply", str(path))
    assert rule_names(runtime) == ["Launched items to chat", "Refused gates to editors"]

    again = run("automations", "apply", str(path), "--dry-run")
    assert "= Launched items to chat (unchanged)" in again.stdout

    path.write_text(RULES.format(url=receiver.url).replace("format: slack", "format: standard"))
    diff = run("automations", "apply", str(path), "--dry-run").stdout
    assert "~ Launched items to chat (changed: actions)" in diff
    assert '    actions[0].format: "slack" → "standard"\n' in diff  # the value, not only the field
    shown = json.loads(run("automations", "show", "Launched items to chat").stdout)
    assert shown["actions"][0]["format"] == "slack"  # a dry run writes nothing
    changed = run("automations", "apply", str(path))
    assert "~ Launched items to chat (changed: actions)" in changed.stdout

    listed = json.loads(run("automations", "list", "--format", "json").stdout)
    assert [r["trigger"] for r in listed] == ["roadmap_item.status_changed", "launch.gate_refused"]
    shown = json.loads(run("automations", "show", "Launched items to chat").stdout)
    assert shown["signing_secrets"][0].startswith("whsec_")
    with runtime.database.session() as session:
        audited = session.scalars(
            select(Event.name).where(Event.object_type == "automation_rule").order_by(Event.id)
        ).all()
    assert audited == ["automation_rule.created"] * 2 + ["automation_rule.updated"]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("    trigger: roadmap_item.status_changed\n", "rules.yaml:3: rules[0].trigger"),
        ("      - field: status\n", "rules.yaml:5: rules[0].conditions[0].field"),
        ("        url: {url}\n", "rules.yaml:10: rules[0].actions[0].url"),
        ("        op: eq\n", "rules.yaml:6: rules[0].conditions[0].op"),
    ],
)
def test_invalid_files_are_refused_with_file_line_and_field(
    run, runtime: Runtime, receiver: Receiver, tmp_path: Path, broken: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    replacements = {
        "    trigger: roadmap_item.status_changed\n": "    trigger: roadmap_item.exploded\n",
        "      - field: status\n": "      - field: colour\n",
        "        url: {url}\n": "        url: ftp://nowhere\n",
        "        op: eq\n": "        op: resembles\n",
    }
    allow_private(runtime)
    path = tmp_path / "rules.yaml"
    text = RULES.replace(broken, replacements[broken]).format(url=receiver.url)
    path.write_text(text)
    result = run("automations", "apply", str(path), code=1)
    assert expected in result.stderr, result.stderr
    assert "was not applied" in result.stderr
    assert rule_names(runtime) == []


def test_broken_yaml_names_its_line(run, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - name: x\n    trigger: [unclosed\n")
    result = run("automations", "apply", str(path), code=1)
    assert "bad.yaml:4" in result.stderr and "not valid YAML" in result.stderr
    assert rule_names(runtime) == []


def test_test_fire_and_the_delivery_log(
    run, runtime: Runtime, receiver: Receiver, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    allow_private(runtime)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.format(url=receiver.url))
    run("automations", "apply", str(path))

    text = run("automations", "test", "Launched items to chat").stdout
    assert text.startswith("Test fire of rule #1 'Launched items to chat' on a sample ")
    assert "(no roadmap_item.status_changed event has matched the rule yet)" in text
    assert f"  1. webhook: POST a slack webhook to {receiver.url}\n" in text
    assert "     → delivery #1 succeeded: HTTP 200 after " in text
    fired = json.loads(run("automations", "test", "1", "--format", "json").stdout)
    assert fired["sample"] is True  # nothing has launched yet: a sample event is used
    assert fired["actions"][0]["delivery"]["status"] == "succeeded"
    assert len(receiver.received) == 2
    assert "--format" in run("automations", "test", "1", "--format", "yaml", code=1).stderr

    as_json = json.loads(run("webhooks", "deliveries", "--format", "json").stdout)
    assert [(d["status"], d["response_code"]) for d in as_json] == [("succeeded", 200)] * 2
    as_csv = list(
        csv.DictReader(io.StringIO(run("webhooks", "deliveries", "--format", "csv").stdout))
    )
    assert as_csv[0]["rule_name"] == "Launched items to chat"
    refused = run("webhooks", "deliveries", "--status", "lost", code=1)
    assert "status" in refused.stderr
