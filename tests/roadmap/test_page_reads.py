"""What an item page reads twice is read once per reading session (issue 14.3).

The item page reads the item's evidence, custom fields and keys for itself and again for
its scores and impact chain. A reading session (a GET) keeps the first answer; a session
that may write keeps nothing, and the next session sees every change.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link, links_of, links_of_any
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import items
from pilothouse.roadmap.evidence import evidence_sources
from pilothouse.roadmap.models import FieldType
from tests.support.statements import sent_statements

EDITOR = Actor(None, "editor@example.com", Role.editor)
ADMIN = Actor(None, "admin@example.com", Role.admin)


def _statements(runtime: Runtime) -> AbstractContextManager[list[str]]:
    return sent_statements(runtime.database.engine)


def test_links_of_any_is_links_of_each_ref_once(runtime: Runtime) -> None:
    a, b = ObjectRef("roadmap_item", "1"), ObjectRef("roadmap_item", "FEAT-1")
    theme, other = ObjectRef("feedback_theme", "3"), ObjectRef("decision", "9")
    with runtime.database.session() as session:
        add_link(session, EDITOR, theme, a, "evidence")
        add_link(session, EDITOR, b, other, "related")
        add_link(session, EDITOR, a, b, "related")  # between two of the refs: once
        add_link(session, EDITOR, theme, other, "related")  # touches neither
    with runtime.database.session(reading=True) as session:
        each = {link.id: link for ref in (a, b) for link in links_of(session, ref)}
        together = links_of_any(session, [a, b])
        assert [link.id for link in together] == sorted(each)
        assert len(together) == 3
        assert links_of_any(session, []) == []


def test_evidence_and_fields_are_read_once_per_reading_session(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        item = items.create_item(session, EDITOR, {"kind": "feature", "title": "Exports"})
        item_id = item.id
        add_link(session, EDITOR, ObjectRef("feedback_item", "5"), items.item_ref(item), "evidence")
        custom_fields.create_field(session, ADMIN, name="Team", type=FieldType.text)
    with runtime.database.session(reading=True) as session:
        item = items.find_item(session, item_id)
        first = evidence_sources(session, [item])
        fields = [f.key for f in custom_fields.list_fields(session)]
        with _statements(runtime) as again:
            assert evidence_sources(session, [item]) == first
            assert [f.key for f in custom_fields.list_fields(session)] == fields
        assert again == []
    assert first[item_id].direct_feedback_ids == ("5",)
    assert fields == ["team"]

    with runtime.database.session() as session:  # a writing session asks every time
        custom_fields.create_field(session, ADMIN, name="Squad", type=FieldType.text)
        item = items.find_item(session, item_id)
        evidence_sources(session, [item])
        with _statements(runtime) as seen:
            assert len(custom_fields.list_fields(session)) == 2
            evidence_sources(session, [item])
        assert len(seen) >= 2
    with runtime.database.session(reading=True) as session:  # the next request sees it
        assert [f.key for f in custom_fields.list_fields(session)] == ["team", "squad"]


def test_an_item_answer_reads_its_parent_key_without_the_parents_details(
    runtime: Runtime,
) -> None:
    """An answer, a page or an audit snapshot shows the parent's key only: the parent
    was loaded with its tags, fields, objectives and references (six statements), three
    times over for one change. A change of parent is still seen and audited."""
    from sqlalchemy import select

    from pilothouse.core.models import Event
    from pilothouse.roadmap.presenters import item_read

    with runtime.database.session() as session:
        first = items.create_item(session, EDITOR, {"kind": "initiative", "title": "Exports"})
        other = items.create_item(session, EDITOR, {"kind": "initiative", "title": "Imports"})
        child = items.create_item(
            session, EDITOR, {"kind": "feature", "title": "CSV", "parent": first.key, "tags": ["x"]}
        )
        keys = first.key, other.key, child.key
    with runtime.database.session(reading=True) as session:
        found = items.find_item(session, keys[2])
        with _statements(runtime) as seen:
            answer = item_read(found)
        assert answer.parent == keys[0]
        assert len(seen) == 1, seen
        assert "roadmap_item_tags" not in " ".join(seen)
    with runtime.database.session() as session:
        found = items.find_item(session, keys[2])
        with _statements(runtime) as seen:
            items.update_item(session, EDITOR, found, {"description": "Comma separated"})
            assert item_read(found).parent == keys[0]
        parents_read = [s for s in seen if s.lstrip().startswith("SELECT roadmap_items.id")]
        assert len(parents_read) == 1, seen
        items.update_item(session, EDITOR, found, {"parent": keys[1]})
        assert item_read(found).parent == keys[1]
    with runtime.database.session() as session:
        changes = session.scalars(
            select(Event.changes).where(Event.object_type == "roadmap_item").order_by(Event.id)
        ).all()
    assert changes[-1]["parent"] == {"before": keys[0], "after": keys[1]}


def test_the_parent_of_an_item_held_by_another_session(runtime: Runtime) -> None:
    """A snapshot may be asked for with another session than the item's own."""
    from pilothouse.roadmap.models import RoadmapItem

    with runtime.database.session() as session:
        top = items.create_item(session, EDITOR, {"kind": "initiative", "title": "Exports"})
        child = items.create_item(
            session, EDITOR, {"kind": "feature", "title": "CSV", "parent": top.key}
        )
        child_id, top_key = child.id, top.key
    with (
        runtime.database.session(reading=True) as one,
        runtime.database.session(reading=True) as two,
    ):
        held = one.get(RoadmapItem, child_id)
        assert held is not None
        found = items.parent_of(two, held)
        assert found is not None and found.key == top_key
        assert items.item_snapshot(two, held)["parent"] == top_key


def test_children_are_listed_with_their_status_and_nothing_else(runtime: Runtime) -> None:
    """An item page lists the items under it by key, title and status: each child's tags,
    fields, objectives and references were loaded too (five statements per page)."""
    from sqlalchemy import inspect

    with runtime.database.session() as session:
        top = items.create_item(session, EDITOR, {"kind": "initiative", "title": "Exports"})
        for title in ("CSV", "Sheets"):
            items.create_item(
                session,
                EDITOR,
                {"kind": "feature", "title": title, "parent": top.key, "tags": [title]},
            )
        top_id = top.id
    with runtime.database.session(reading=True) as session:
        top = items.find_item(session, top_id)
        with _statements(runtime) as seen:
            children = items.children_of(session, top)
            assert [(c.title, c.status.key) for c in children] == [
                ("CSV", children[0].status.key),
                ("Sheets", children[1].status.key),
            ]
        assert len(seen) == 1, seen
        assert all("tag_rows" in inspect(c).unloaded for c in children)
        assert [c.tags for c in children] == [["CSV"], ["Sheets"]]  # read when asked for


def test_an_items_launches_come_with_their_stages_only(runtime: Runtime) -> None:
    """An item's impact chain shows each launch's status and stages: each launch was
    loaded on its own with its checklist, gates and approvals (five statements each)."""
    from pilothouse.core.links import add_link
    from pilothouse.launches.models import Launch, LaunchStage, LaunchStatus
    from pilothouse.roadmap.impact.chain import launches_of_items

    with runtime.database.session() as session:
        item = items.create_item(session, EDITOR, {"kind": "feature", "title": "Exports"})
        for number in (1, 2):
            launch = Launch(
                key=f"LAUNCH-{number}",
                name=f"Exports, part {number}",
                target_date=date(2026, 12, number),
                status=LaunchStatus.planned,
                current_stage=0,
                stages=[
                    LaunchStage(
                        position=0, name="Build", offset_days=0, due_date=date(2026, 11, 20)
                    ),
                    LaunchStage(
                        position=1, name="Beta", offset_days=0, due_date=date(2026, 11, 30)
                    ),
                ],
            )
            session.add(launch)
            session.flush()
            add_link(
                session, EDITOR, ObjectRef("launch", str(launch.id)), items.item_ref(item), "ships"
            )
        item_id = item.id
    with runtime.database.session(reading=True) as session:
        item = items.find_item(session, item_id)
        with _statements(runtime) as seen:
            (found,) = launches_of_items(session, [item]).values()
            stages = [[s.name for s in launch.stages] for launch in found]
        assert [launch.key for launch in found] == ["LAUNCH-1", "LAUNCH-2"]
        assert stages == [["Build", "Beta"], ["Build", "Beta"]]
        assert not [s for s in seen if "launch_items" in s or "launch_gates" in s], seen
        launch_reads = [s for s in seen if "FROM launches" in s or "FROM launch_stages" in s]
        assert len(launch_reads) == 2, seen


def test_an_item_is_read_without_its_objectives_key_results(runtime: Runtime) -> None:
    """An item's answer shows its objectives' keys: their key results were loaded with
    every item read (one statement each time). They still load when asked for."""
    from pilothouse.roadmap import objectives
    from pilothouse.roadmap.presenters import item_read

    with runtime.database.session() as session:
        objective = objectives.create_objective(
            session,
            EDITOR,
            {
                "title": "Faster exports",
                "key_results": [{"title": "p95 under 2 s", "target_value": 2}],
            },
        )
        item = items.create_item(
            session, EDITOR, {"kind": "feature", "title": "CSV", "objectives": [objective.key]}
        )
        item_id, objective_key = item.id, objective.key
    with runtime.database.session(reading=True) as session:
        with _statements(runtime) as seen:
            found = items.find_item(session, item_id)
            assert item_read(found).objectives == [objective_key]
        assert not [s for s in seen if "roadmap_key_results" in s], seen
        (row,) = found.objective_rows
        assert [kr.title for kr in row.objective.key_results] == ["p95 under 2 s"]


def test_an_item_found_by_a_key_it_had_is_read_with_that_key_in_one_statement(
    runtime: Runtime,
) -> None:
    """The key is looked up in the item's own statement (a separate statement before);
    every key the item ever had still finds it, in any case, and an unknown one does not."""
    import pytest

    from pilothouse.core.errors import NotFound

    with runtime.database.session() as session:
        item = items.create_item(session, EDITOR, {"kind": "feature", "title": "CSV"})
        old_key = item.key
        items.update_item(session, EDITOR, item, {"kind": "idea"})  # a new key
        item_id, new_key = item.id, item.key
    assert new_key != old_key
    with runtime.database.session(reading=True) as session:
        with _statements(runtime) as seen:
            found = items.find_item(session, old_key.lower())
        assert found.id == item_id and found.key == new_key
        item_reads = [s for s in seen if "FROM roadmap_items" in s]
        assert len(item_reads) == 1 and "roadmap_item_keys" in item_reads[0], seen
        assert not [s for s in seen if s.lstrip().startswith("SELECT roadmap_item_keys")]
        assert items.find_item(session, new_key).id == item_id
        with pytest.raises(NotFound):
            items.find_item(session, "NOPE-1")
