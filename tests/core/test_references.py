"""The reference presenter: many refs resolve with one query per type, a deleted object is
struck through (never an error), names are escaped, and links read as words."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef
from pilothouse.core.references import (
    Reference,
    registered_types,
    relation_label,
    resolve,
    type_label,
)
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.support.statements import sent_statements

CLI = Actor.command_line()


def counted(session: Session) -> AbstractContextManager[list[str]]:
    return sent_statements(session.get_bind())


def test_many_references_resolve_with_one_query_per_type(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        made = [
            items.create_item(session, CLI, {"kind": "feature", "title": f"Item {n} <b>"})
            for n in range(30)
        ]
        session.flush()
        first_key = made[0].key
        refs = [ObjectRef("roadmap_item", str(i.id)) for i in made]
        refs += [ObjectRef("roadmap_item", first_key), ObjectRef("roadmap_item", "999999")]
        refs += [ObjectRef("decision", str(n)) for n in range(1, 20)]
        session.expire_all()
        with counted(session) as statements:
            found = resolve(session, refs)
        # roadmap items: keys then rows; decisions: one query.
        assert len(statements) <= 3, statements
    first = found[refs[0]]
    assert (first.label, first.url, first.type_label) == (
        "Item 0 <b>",
        f"/roadmap/items/{first_key}",
        "Roadmap item",
    )
    assert found[ObjectRef("roadmap_item", first_key)].label == "Item 0 <b>"  # by key too
    html = first.__html__()
    assert html == f'<a href="/roadmap/items/{first_key}">Item 0 &lt;b&gt;</a>'
    gone = found[ObjectRef("roadmap_item", "999999")]
    assert gone.deleted and gone.url is None
    assert gone.__html__() == (
        '<del class="ref-deleted">Roadmap item 999999</del> <small class="muted">(deleted)</small>'
    )
    assert all(found[ObjectRef("decision", str(n))].deleted for n in range(1, 20))


def test_unknown_types_show_their_id_and_known_types_have_names(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        found = resolve(session, [ObjectRef("external_ticket", "JIRA-7")])
    ticket = found[ObjectRef("external_ticket", "JIRA-7")]
    assert ticket == Reference("external_ticket", "JIRA-7", "JIRA-7", None, "External ticket")
    assert not ticket.deleted and ticket.__html__() == "JIRA-7"
    types = registered_types()
    for name in ("roadmap_item", "objective", "feedback_item", "feedback_theme", "launch",
                 "experiment", "metric", "decision", "user", "customer_account"):  # fmt: skip
        assert name in types, name
    assert type_label("feedback_theme") == "Feedback theme"


def test_metrics_resolve_against_the_catalog_only_when_there_is_one(runtime: Runtime) -> None:
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.yaml").write_text(
        "metrics:\n  - name: signups\n    label: Sign-ups\n    description: New accounts.\n"
        "    owner: a@example.com\n    product_area: growth\n    type: count\n"
        "    event: Signed Up\n",
        encoding="utf-8",
    )
    refs = [ObjectRef("metric", "signups"), ObjectRef("metric", "gone_metric")]
    with runtime.database.session() as session:
        checked = resolve(session, refs, runtime)
        unchecked = resolve(session, refs)
    assert checked[refs[0]].label == "Sign-ups" and checked[refs[0]].url == "/metrics/signups"
    assert checked[refs[1]].deleted
    assert unchecked[refs[1]].url == "/metrics/gone_metric" and not unchecked[refs[1]].deleted


def test_links_read_as_words_from_either_end() -> None:
    assert relation_label("evidence", "feedback_theme", outgoing=False) == "Evidence"
    assert relation_label("ships", "launch", outgoing=False) == "Ships in"
    assert relation_label("ships", "roadmap_item", outgoing=True) == "Ships"
    assert relation_label("measures", "metric", outgoing=True) == "Measured by"
    assert relation_label("measures", "roadmap_item", outgoing=False) == "Measures"
    assert relation_label("related", "decision", outgoing=False) == "Decisions"
    assert relation_label("related", "experiment", outgoing=True) == "Experiments"
    assert relation_label("related", "launch", outgoing=True) == "Related"
    assert relation_label("blocks", "roadmap_item", outgoing=True) == "Blocks"


def test_a_reading_session_resolves_each_reference_once(runtime: Runtime) -> None:
    """A page shows the same objects in several places; within a GET (a reading session)
    the second resolve sends nothing, and the next session sees a renamed object."""
    with runtime.database.session() as session:
        made = [
            items.create_item(session, CLI, {"kind": "feature", "title": f"Item {n}"})
            for n in range(3)
        ]
        refs = [ObjectRef("roadmap_item", str(i.id)) for i in made]
    with runtime.database.session(reading=True) as reader:
        with counted(reader) as first:
            found = resolve(reader, refs[:2])
        with counted(reader) as second:
            again = resolve(reader, refs)
        assert first and len(second) >= 1  # only the third item is new
        assert again[refs[0]] is found[refs[0]] and again[refs[2]].label == "Item 2"
        with counted(reader) as third:
            assert resolve(reader, refs) == again
        assert third == []
    with runtime.database.session() as writer:
        items.update_item(writer, CLI, items.find_item(writer, made[0].id), {"title": "Renamed"})
        with counted(writer) as fourth:
            assert resolve(writer, refs[:1])[refs[0]].label == "Renamed"
        assert fourth  # a writing session keeps nothing
    with runtime.database.session(reading=True) as reader:
        assert resolve(reader, refs[:1])[refs[0]].label == "Renamed"


def test_answers_that_depend_on_the_runtime_are_kept_apart(runtime: Runtime) -> None:
    """A resolver that reads the runtime (the metric catalog) answers differently with
    and without one; a reading session keeps both answers, not the first for both."""
    from pilothouse.core import references

    def by_runtime(context: references.ResolveContext, ids: Sequence[str]) -> dict:
        named = "with runtime" if context.runtime is not None else "without"
        return {i: references.Found(f"{i} {named}") for i in ids}

    references.register_type("probe", "Probe", by_runtime, reads_runtime=True)
    try:
        ref = ObjectRef("probe", "p1")
        with runtime.database.session(reading=True) as reader:
            assert resolve(reader, [ref])[ref].label == "p1 without"
            assert resolve(reader, [ref], runtime)[ref].label == "p1 with runtime"
            assert resolve(reader, [ref])[ref].label == "p1 without"
    finally:
        references._TYPES.pop("probe", None)


def test_writing_beside_a_reading_session_forgets_what_it_kept(runtime: Runtime) -> None:
    """``write_beside`` ends the reading session's snapshot; the names it kept go too."""
    from pilothouse.core.db import write_beside

    with runtime.database.session() as session:
        item = items.create_item(session, CLI, {"kind": "feature", "title": "Before"})
        ref = ObjectRef("roadmap_item", str(item.id))
    with runtime.database.session(reading=True) as reader:
        assert resolve(reader, [ref])[ref].label == "Before"
        with write_beside(reader) as writer:
            found = items.find_item(writer, item.id)
            items.update_item(writer, CLI, found, {"title": "After"})
        assert resolve(reader, [ref])[ref].label == "After"
