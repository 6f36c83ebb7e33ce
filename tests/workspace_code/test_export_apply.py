"""``workspace export`` / ``workspace apply`` on SQLite and PostgreSQL: the round trip is
byte-exact into another, empty database; a dry run shows field-level changes and
writes nothing; bad files are refused with file:line and field, nothing stored; objects
missing from the directory go only with ``prune`` and never while in use; every
change is audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pilothouse.automations import rules
from pilothouse.core import workspace
from pilothouse.core.actor import Actor
from pilothouse.core.db import Database
from pilothouse.core.errors import Conflict, ValidationFailed
from pilothouse.core.migrate import upgrade
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import template_service
from pilothouse.launches import blueprints, launching
from pilothouse.ops.dashboards import service as dashboards
from pilothouse.playbooks import service as playbooks
from pilothouse.roadmap import fields, items, scoring, statuses, views
from pilothouse.roadmap.models import FieldType, StatusCategory
from pilothouse.workspace_code import apply, export, plan
from tests.conftest import DatabaseFactory, clear_all_rows
from tests.conftest import test_settings as settings_for
from tests.support.accounts import Accounts, Person

CLI = Actor.command_line()
APPROVER = "approver@example.com"
STAGES = [
    {
        "name": "Beta",
        "offset_days": -14,
        "items": [{"title": "Signed off", "owner_role": "PM", "offset_days": -20}],
        "gates": [{"name": "Beta go", "approvers": [APPROVER]}],
    },
    {"name": "GA", "offset_days": 0, "items": [{"title": "Announce", "required": False}]},
]
VIEW = {
    "name": "Growth bets",
    "kind": "table",
    "shared": True,
    "formula": "money",
    "filters": {"status": ["in-review"], "field": ["team=Growth"], "owner": APPROVER},
    "columns": ["key", "title", "field:team", "score"],
}
VIEW_KEY = "approver-example-com--growth-bets"
PLAYBOOK = """---
title: Launch review
slug: launch-review
owner: approver@example.com
reviewed_on: 2026-11-02
---
# Launch review

1. Check the gates — **all** of them.
"""


def _fill(runtime: Runtime) -> Person:
    """A workspace with one object or more of every kind; a playbook describes a launch
    template and a field, a dashboard shows a saved view. A template and a view made and
    deleted first give the kept ones other ids than in a new workspace."""
    person = Accounts(runtime).person(Role.editor, email=APPROVER)
    owner = Actor(person.id, APPROVER, Role.editor)
    with runtime.database.session() as s:
        gone = blueprints.create_template(s, CLI, {"name": "Gone", "stages": STAGES})
        views.delete_view(s, owner, views.create_view(s, owner, {"name": "Gone"}))
        statuses.create_status(
            s, CLI, name="In review", category=StatusCategory.planned, position=2
        )
        statuses.create_status(s, CLI, name="Triage", category=StatusCategory.backlog, position=0)
        fields.create_field(
            s, CLI, name="Team", type=FieldType.single_select, options=["Core", "Growth"]
        )
        fields.create_field(s, CLI, name="Revenue", type=FieldType.number, description="ARR in €")
        scoring.create_formula(s, CLI, key="money", name="Money", expression="revenue / effort")
        standard = blueprints.create_template(s, CLI, {"name": "Standard launch", "stages": STAGES})
        blueprints.delete_template(s, CLI, gone)
        view = views.create_view(s, owner, VIEW)
        views.create_view(s, owner, {"name": "Growth bets", "kind": "board"})  # same name
        template_service.create_template(
            s, CLI, name="Checkout test", defaults={"hypothesis_prompt": "We believe…"}
        )
        workspace.set_setting(s, CLI, "experiments.require_hypothesis", False)
        rules.create_rule(
            s,
            CLI,
            {
                "name": "Refused gates",
                "trigger": "launch.gate_refused",
                "actions": [{"kind": "notify", "role": "editor", "title": "{{ object_label }}"}],
            },
        )
        playbook = playbooks.apply_markdown(s, CLI, PLAYBOOK, "launch-review.md")
        playbooks.link_playbook(s, CLI, playbook, f"launch_template:{standard.id}")
        team = fields.find_field(s, "team")
        playbooks.link_playbook(s, CLI, playbook, f"roadmap_field:{team.id}")
        board = dashboards.create_dashboard(s, CLI, {"name": "Review", "default_days": 30})
        tile = {"kind": "theme_ranking", "config": {"top": 4}, "title": "Themes"}
        dashboards.add_tile(s, CLI, board, tile)
        tile = {"kind": "experiment_scorecard", "config": {"experiment": "exp-2"}, "col": 7}
        dashboards.add_tile(s, CLI, board, tile)
        tile = {"kind": "roadmap_view", "config": {"view": view.id}, "row": 2}
        dashboards.add_tile(s, CLI, board, tile)
    return person


@pytest.fixture
def other(backend: str, database_factory: DatabaseFactory, tmp_path: Path) -> Iterator[Runtime]:
    """A second, empty workspace on the same backend, with the same people."""
    database = Database(database_factory.new_url(backend))
    upgrade(database)
    settings = settings_for(tmp_path / "other", database.url)
    settings.ensure_home()
    second = Runtime(settings=settings, database=database)
    Accounts(second).person(Role.editor, email=APPROVER)
    yield second
    clear_all_rows(database)
    database.dispose()


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*.*"))}


def _export(runtime: Runtime, directory: Path) -> dict[str, bytes]:
    with runtime.database.session(reading=True) as s:
        export(s, directory)
    return _files(directory)


def test_round_trip_is_byte_exact(runtime: Runtime, other: Runtime, tmp_path: Path) -> None:
    _fill(runtime)
    first = _export(runtime, tmp_path / "first")
    assert {"statuses/in-review.yaml", "fields/team.yaml", "formulas/money.yaml"} <= set(first)
    assert {"launch-templates/standard-launch.yaml", "playbooks/launch-review.md"} <= set(first)
    assert {"workspace/settings.yaml", "automation-rules/refused-gates.yaml"} <= set(first)
    assert {"experiment-templates/checkout-test.yaml", "dashboards/review.yaml"} <= set(first)
    assert APPROVER.encode() in first["launch-templates/standard-launch.yaml"]
    assert {f"roadmap-views/{VIEW_KEY}.yaml", f"roadmap-views/{VIEW_KEY}-2.yaml"} <= set(first)
    playbook = first["playbooks/launch-review.md"].decode()
    assert "- launch_template:standard-launch\n- roadmap_field:team\n" in playbook
    assert f"view: {VIEW_KEY}\n" in first["dashboards/review.yaml"].decode()
    with other.database.session() as s:
        result = apply(s, CLI, tmp_path / "first")
    assert {c.action for c in result.changes} <= {"created", "changed"}
    second = _export(other, tmp_path / "second")
    assert second == first
    with other.database.session() as s:  # applying again changes nothing
        again = plan(s, tmp_path / "first")
        audited = s.scalar(select(func.count()).select_from(Event).where(Event.actor_label != ""))
    assert again.changes == [] and again.unchanged == len(first)
    assert audited and audited >= 8
    with other.database.session(reading=True) as s:  # the links point at the new ids
        linked = playbooks.find_playbook(s, "launch-review")
        refs = [str(ref) for _, ref in playbooks.linked_refs(s, linked)]
        template = next(t for t in blueprints.list_templates(s) if t.name == "Standard launch")
        assert refs[0] == f"launch_template:{template.id}"
        board = dashboards.get_dashboard(s, CLI, "review")
        tile = next(t for t in board.tiles if t.kind == "roadmap_view")
        shown = views.get_view(s, None, tile.config["view"])
        assert (shown.name, shown.kind.value, shown.shared) == ("Growth bets", "table", True)


def test_dry_run_shows_fields_and_writes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    tmp_path = tmp_path / "dir"
    _fill(runtime)
    _export(runtime, tmp_path)
    path = tmp_path / "formulas" / "money.yaml"
    path.write_text(path.read_text().replace("name: Money", "name: Money per effort"))
    (tmp_path / "formulas" / "extra.yaml").write_text("name: Extra\nexpression: reach * 2\n")
    with runtime.database.session() as s:
        result = apply(s, CLI, tmp_path)
        s.rollback()
    found = {(c.kind, c.key): c for c in result.changes}
    assert found[("formulas", "money")].fields == {"name": ("Money", "Money per effort")}
    assert found[("formulas", "extra")].action == "created"
    with runtime.database.session(reading=True) as s:
        assert scoring.get_formula(s, "money").name == "Money"
        assert [d.key for d in scoring.list_formulas(s) if d.key == "extra"] == []


def _refused(runtime: Runtime, directory: Path, **kwargs: bool) -> ValidationFailed | Conflict:
    with pytest.raises((ValidationFailed, Conflict)) as caught:
        with runtime.database.session() as s:
            apply(s, CLI, directory, **kwargs)
    return caught.value


def test_bad_files_name_file_line_and_field(runtime: Runtime, tmp_path: Path) -> None:
    tmp_path = tmp_path / "dir"
    _fill(runtime)
    _export(runtime, tmp_path)
    before = _files(tmp_path)
    (tmp_path / "statuses" / "in-review.yaml").write_text("name: In review\ncategory: [oops\n")
    (tmp_path / "fields" / "team.yaml").write_text(
        "name: Team\ntype: single_select\noptions:\n- Core\ncolour: red\n"
    )
    board = tmp_path / "dashboards" / "review.yaml"
    board.write_text(board.read_text() + "colour: red\n")
    board_line = len(board.read_text().splitlines())
    error = _refused(runtime, tmp_path)
    messages = [e.field for e in error.errors]
    assert f"dashboards/review.yaml:{board_line}: colour" in messages
    board.write_bytes(before["dashboards/review.yaml"])
    assert "statuses/in-review.yaml:3: file" in messages  # PyYAML's mark: where it gave up
    assert any("not valid YAML" in e.message for e in error.errors)
    assert "fields/team.yaml:5: colour" in messages
    (tmp_path / "statuses" / "in-review.yaml").write_bytes(before["statuses/in-review.yaml"])
    (tmp_path / "fields" / "team.yaml").write_bytes(before["fields/team.yaml"])
    path = tmp_path / "launch-templates" / "standard-launch.yaml"
    path.write_text(path.read_text().replace(APPROVER, "nobody@example.com"))
    error = _refused(runtime, tmp_path)
    assert error.errors[0].field.startswith("launch-templates/standard-launch.yaml:"), error.errors
    assert "approvers" in error.errors[0].field
    with runtime.database.session(reading=True) as s:
        template = blueprints.list_templates(s)[0]
        assert template.stages[0].gates[0].approver_ids  # still the approver
    assert _export(runtime, tmp_path.parent / "again") == before


def test_prune_deletes_only_what_is_not_in_use(runtime: Runtime, tmp_path: Path) -> None:
    tmp_path = tmp_path / "dir"
    _fill(runtime)
    with runtime.database.session() as s:
        values = {"template": "Standard launch", "name": "Exports", "target_date": "2027-05-03"}
        launching.create_launch(s, CLI, values)
        items.create_item(s, CLI, {"kind": "feature", "title": "Thing", "status": "in-review"})
    saved = _export(runtime, tmp_path)
    gone = ["formulas/money.yaml", "launch-templates/standard-launch.yaml"]
    gone.append("statuses/in-review.yaml")
    for name in gone:
        (tmp_path / name).unlink()
    with runtime.database.session() as s:
        kept = apply(s, CLI, tmp_path)
    assert {c.action for c in kept.changes} == {"kept"}
    error = _refused(runtime, tmp_path, prune=True)  # a view and a playbook still use them
    lines = {e.field.split(": ")[-1]: e.field.split(":")[0] for e in error.errors}
    assert lines == {
        "formula": f"roadmap-views/{VIEW_KEY}.yaml",
        "links.0": "playbooks/launch-review.md",
    }
    view = tmp_path / "roadmap-views" / f"{VIEW_KEY}.yaml"
    view.write_text(view.read_text().replace("formula: money", "formula: rice"))
    book = tmp_path / "playbooks" / "launch-review.md"
    book.write_text(book.read_text().replace("- launch_template:standard-launch\n", ""))
    error = _refused(runtime, tmp_path, prune=True)
    reasons = {e.field: e.message for e in error.errors}
    assert "launches were made from it" in reasons["launch-templates/standard-launch"]
    assert "items have this status" in reasons["statuses/in-review"]
    with runtime.database.session(reading=True) as s:
        assert scoring.get_formula(s, "money").name == "Money"  # nothing was applied
    for name in gone[1:]:
        (tmp_path / name).write_bytes(saved[name])
    with runtime.database.session() as s:
        pruned = apply(s, CLI, tmp_path, prune=True)
    removed = [(c.kind, c.key) for c in pruned.changes if c.action == "removed"]
    assert removed == [("formulas", "money")]
    with runtime.database.session(reading=True) as s:
        assert [d.key for d in scoring.list_formulas(s) if d.key == "money"] == []
        event = s.scalar(
            select(Event).where(Event.object_type == "roadmap_formula").order_by(Event.id.desc())
        )
    assert event is not None and event.action == "deleted"
