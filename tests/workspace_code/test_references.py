"""Cross-references in exported files, on SQLite and PostgreSQL: a playbook's links and a
dashboard's roadmap-view tiles name objects by portable key; a key that names nothing is
refused with the file and line of that reference and nothing is written; a playbook may
name a template that the same directory creates; saved views keep their owner and are
not pruned while a dashboard shows them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.errors import Conflict, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.launches import blueprints
from pilothouse.playbooks import service as playbooks
from pilothouse.roadmap import scoring, sharing
from pilothouse.roadmap.models import RoadmapView
from pilothouse.workspace_code import apply
from tests.workspace_code.test_export_apply import CLI, VIEW_KEY, _export, _fill


def _refused(runtime: Runtime, directory: Path, **kwargs: bool) -> ValidationFailed | Conflict:
    with pytest.raises((ValidationFailed, Conflict)) as caught:
        with runtime.database.session() as s:
            apply(s, CLI, directory, **kwargs)
    return caught.value


def _line(path: Path, text: str) -> int:
    return next(i for i, row in enumerate(path.read_text().splitlines(), 1) if text in row)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, text)
    path.write_text(text.replace(old, new))


def test_unknown_references_name_file_and_line(runtime: Runtime, tmp_path: Path) -> None:
    tmp_path = tmp_path / "dir"
    _fill(runtime)
    before = _export(runtime, tmp_path)
    _edit(tmp_path / "formulas" / "money.yaml", "name: Money", "name: Cash")
    book = tmp_path / "playbooks" / "launch-review.md"
    _edit(book, "roadmap_field:team", "roadmap_field:squad")
    error = _refused(runtime, tmp_path)
    assert error.errors[0].field == f"playbooks/launch-review.md:{_line(book, 'squad')}: links.1"
    assert error.errors[0].message == (
        "'squad' names nothing: no fields/squad.yaml here nor in the workspace"
    )
    book.write_bytes(before["playbooks/launch-review.md"])
    board = tmp_path / "dashboards" / "review.yaml"
    _edit(board, f"view: {VIEW_KEY}\n", "view: nobody--nothing\n")
    error = _refused(runtime, tmp_path)
    line = _line(board, "nobody--nothing")
    assert error.errors[0].field.startswith(f"dashboards/review.yaml:{line}: tiles[")
    assert error.errors[0].field.endswith("].view")
    assert "nobody--nothing" in error.errors[0].message
    board.write_bytes(before["dashboards/review.yaml"])
    with runtime.database.session(reading=True) as s:  # nothing of either apply stayed
        assert scoring.get_formula(s, "money").name == "Money"
    changed = _export(runtime, tmp_path.parent / "again")
    assert changed == {**before, "formulas/money.yaml": changed["formulas/money.yaml"]}


def test_playbook_names_a_template_of_the_same_directory(runtime: Runtime, tmp_path: Path) -> None:
    tmp_path = tmp_path / "dir"
    _fill(runtime)
    _export(runtime, tmp_path)
    template = tmp_path / "launch-templates" / "standard-launch.yaml"
    copy = tmp_path / "launch-templates" / "quick-launch.yaml"
    copy.write_text(template.read_text().replace("name: Standard launch", "name: Quick launch"))
    _edit(
        tmp_path / "playbooks" / "launch-review.md",
        "- launch_template:standard-launch\n",
        "- launch_template:quick-launch\n- launch_template:standard-launch\n",
    )
    with runtime.database.session() as s:
        result = apply(s, CLI, tmp_path)
    assert {(c.kind, c.key, c.action) for c in result.changes} == {
        ("launch-templates", "quick-launch", "created"),
        ("playbooks", "launch-review", "changed"),
    }
    with runtime.database.session(reading=True) as s:
        ids = {t.name: t.id for t in blueprints.list_templates(s)}
        found = playbooks.find_playbook(s, "launch-review")
        refs = [str(ref) for _, ref in playbooks.linked_refs(s, found)]
    assert refs[:2] == [
        f"launch_template:{ids['Quick launch']}",
        f"launch_template:{ids['Standard launch']}",
    ]
    again = _export(runtime, tmp_path.parent / "again")
    assert b"- launch_template:quick-launch\n" in again["playbooks/launch-review.md"]


def test_saved_views_keep_their_owner_and_are_not_pruned_in_use(
    runtime: Runtime, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "dir"
    person = _fill(runtime)
    owner = Actor(person.id, person.email, Role.editor)
    before = _export(runtime, tmp_path)
    tile_line = _line(tmp_path / "dashboards" / "review.yaml", f"view: {VIEW_KEY}")
    path = tmp_path / "roadmap-views" / f"{VIEW_KEY}.yaml"
    _edit(path, "kind: table", "kind: timeline")
    with runtime.database.session() as s:
        result = apply(s, CLI, tmp_path)
    assert [(c.key, c.fields) for c in result.changes] == [
        (VIEW_KEY, {"kind": ("table", "timeline")})
    ]
    _edit(path, "owner: approver@example.com", "owner: cli@example.com")
    error = _refused(runtime, tmp_path)
    owner_line = _line(path, "owner:")
    assert error.errors[0].field == f"roadmap-views/{VIEW_KEY}.yaml:{owner_line}: owner"
    path.write_bytes(before[f"roadmap-views/{VIEW_KEY}.yaml"])
    _edit(path, "- field:team", "- field:colour")
    error = _refused(runtime, tmp_path)
    line = _line(path, "field:colour")
    assert error.errors[0].field == f"roadmap-views/{VIEW_KEY}.yaml:{line}: columns.2"
    path.unlink()  # pruned, but the dashboard still shows it
    error = _refused(runtime, tmp_path, prune=True)
    assert [e.field for e in error.errors] == [f"dashboards/review.yaml:{tile_line}: tiles[1].view"]
    path.write_bytes(before[f"roadmap-views/{VIEW_KEY}.yaml"])
    with runtime.database.session() as s:  # a share link to the other one
        second = s.scalars(select(RoadmapView).order_by(RoadmapView.id.desc())).first()
        assert second is not None and not second.shared
        sharing.create_share_link(s, owner, runtime.secrets, second)
    (tmp_path / "roadmap-views" / f"{VIEW_KEY}-2.yaml").unlink()
    error = _refused(runtime, tmp_path, prune=True)
    reasons = {e.field: e.message for e in error.errors}
    assert reasons == {f"roadmap-views/{VIEW_KEY}-2": "in use: 1 share links"}
    with runtime.database.session(reading=True) as s:
        kinds = sorted(v.kind.value for v in s.scalars(select(RoadmapView)))
    assert kinds == ["board", "timeline"]  # the first apply stays; nothing else did
