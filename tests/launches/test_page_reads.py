"""A reading session (a GET) asks for a launch's features, experiments and links once
(issue 14.3).

The launch page reads them for the launch itself and again for its impact chain; within
one reading session the second read is answered from the first. A writing session keeps
nothing, and the next request's session sees every change.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.runtime import Runtime
from pilothouse.experiments.experiment_links import experiments_linked_to
from pilothouse.launches.common import find_launch, launch_ref
from pilothouse.launches.launching import features_of
from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts
from tests.support.statements import sent_statements


@pytest.fixture
def crew(client: TestClient, accounts: Accounts) -> Crew:
    return Crew(client, accounts)


def _statements(runtime: Runtime, connection: object = None) -> AbstractContextManager[list[str]]:
    """Statements sent meanwhile; only ``connection``'s when one is given."""
    return sent_statements(runtime.database.engine, connection)


def _link_experiment(crew: Crew, launch_key: str, name: str) -> str:
    made = crew.client.post(f"{API}/experiments", json={"name": name}, headers=crew.editor)
    assert made.status_code == 201, made.text
    key = str(made.json()["key"])
    linked = crew.client.post(
        f"{API}/launches/{launch_key}/experiments", json={"experiment": key}, headers=crew.editor
    )
    assert linked.status_code == 201, linked.text
    return key


def test_features_and_experiments_are_read_once_per_reading_session(
    crew: Crew, runtime: Runtime
) -> None:
    crew.template()
    feature = crew.feature("Scheduled exports")
    launch = crew.launch(features=[feature["key"]])
    first = _link_experiment(crew, launch["key"], "Exports test")
    with runtime.database.session(reading=True) as session:
        found = find_launch(session, launch["key"])
        with _statements(runtime) as seen:
            items = features_of(session, found)
            experiments = experiments_linked_to(session, launch_ref(found))
        asked = len(seen)
        with _statements(runtime) as again:
            assert [i.key for i in features_of(session, found)] == [feature["key"]]
            assert experiments_linked_to(session, launch_ref(found)) == experiments
        assert again == []  # the links too are read once per reading session
        assert asked > 3
    assert [i.key for i in items] == [feature["key"]]
    assert [e.key for e in experiments] == [first]

    second = _link_experiment(crew, launch["key"], "Digest test")
    with runtime.database.session(reading=True) as session:  # the next request sees it
        found = find_launch(session, launch["key"])
        keys = [e.key for e in experiments_linked_to(session, launch_ref(found))]
    assert sorted(keys) == sorted([first, second])
    page = crew.client.get(f"/launches/{launch['key']}", headers=crew.viewer)
    assert page.status_code == 200
    assert first in page.text and second in page.text and feature["key"] in page.text


def test_a_writing_session_keeps_nothing(crew: Crew, runtime: Runtime) -> None:
    crew.template()
    launch = crew.launch()
    with runtime.database.session() as session:
        found = find_launch(session, launch["key"])
        assert features_of(session, found) == []
        with _statements(runtime) as seen:
            features_of(session, found)
            experiments_linked_to(session, launch_ref(found))
        assert len(seen) == 2  # both asked again: the links of each


def test_features_are_loaded_together_in_link_order(crew: Crew, runtime: Runtime) -> None:
    """Four features cost as many statements as one (they were five statements each),
    and come back in the order they were linked."""
    crew.template()
    titles = ["Scheduled exports", "Export to Sheets", "Export audit log", "CSV encoding"]
    keys = [crew.feature(title)["key"] for title in titles]
    one = crew.launch(features=[keys[0]])
    many = crew.launch(name="Exports, all of them", features=[keys[2], keys[0], keys[3], keys[1]])
    counts = []
    for launch in (one, many):
        with runtime.database.session() as session:  # writing: nothing kept between calls
            found = find_launch(session, launch["key"])
            mine = session.connection()  # the app's job and schedule threads send others
            with _statements(runtime, mine) as seen:
                items = features_of(session, found)
            counts.append(len(seen))
    assert [i.key for i in items] == [keys[2], keys[0], keys[3], keys[1]]
    assert counts[0] == counts[1]


def test_a_feature_linked_by_key_is_found_too(crew: Crew, runtime: Runtime) -> None:
    """An automation's ``link`` action may name the item by key (``roadmap_item:FEAT-12``);
    such a link counts beside the ones made by id, and the same item is listed once."""
    from pilothouse.core.actor import Actor
    from pilothouse.core.links import ObjectRef, add_link
    from pilothouse.launches.common import FEATURE_LINK_KIND

    crew.template()
    by_id, by_key = crew.feature("Scheduled exports"), crew.feature("Export to Sheets")
    launch = crew.launch(features=[by_id["key"]])
    with runtime.database.session() as session:
        found = find_launch(session, launch["key"])
        for key in (by_key["key"], by_id["key"]):  # the second names an item already linked
            add_link(
                session,
                Actor.command_line(),
                launch_ref(found),
                ObjectRef("roadmap_item", key),
                FEATURE_LINK_KIND,
            )
    with runtime.database.session(reading=True) as session:
        items = features_of(session, find_launch(session, launch["key"]))
    assert [i.key for i in items] == [by_id["key"], by_key["key"]]


def test_a_launch_list_reads_counts_but_not_the_people_on_its_checklist(
    crew: Crew, runtime: Runtime
) -> None:
    """A brief needs each item's state and each approval's decision, not who owns or
    approved them: those people were joined into every checklist row of the list."""
    from sqlalchemy import inspect

    from pilothouse.core.pagination import PageRequest
    from pilothouse.launches.launching import list_launches

    crew.template()
    crew.launch()
    with runtime.database.session() as session:
        (launch,) = list_launches(session, PageRequest(limit=10)).items
        items = [i for s in launch.stages for i in s.items]
        approvals = [a for s in launch.stages for g in s.gates for a in g.approvals]
        assert items and approvals
        assert any(i.owner_id for i in items), "the template should name item owners"
        for row in items:
            assert {"owner", "done_by"} <= inspect(row).unloaded
        for row in approvals:
            assert "approver" in inspect(row).unloaded
    listed = crew.client.get(f"{API}/launches", headers=crew.editor)
    assert listed.status_code == 200
    (brief,) = listed.json()["items"]
    assert brief["readiness"] == crew.get(brief["key"])["readiness"]["score"]


def test_features_come_with_their_status_and_nothing_else(crew: Crew, runtime: Runtime) -> None:
    """A launch shows its features by key, title and status: loading their tags, fields,
    objectives (with key results) and references cost five statements per page. What a
    caller does read of them (release notes, a gate moving their status) still loads."""
    from sqlalchemy import inspect

    crew.template()
    feature = crew.feature("Scheduled exports", tags=["exports"])
    launch = crew.launch(features=[feature["key"]])
    with runtime.database.session() as session:
        found = find_launch(session, launch["key"])
        mine = session.connection()
        with _statements(runtime, mine) as seen:
            (item,) = features_of(session, found)
            assert item.status.key == feature["status"]["key"]
        items_read = [s for s in seen if "FROM roadmap_items" in s]
        assert len(items_read) == 1, seen
        assert not [s for s in seen if "roadmap_item_tags" in s or "roadmap_field_values" in s]
        assert {"tag_rows", "field_values", "objective_rows", "external_refs"} <= inspect(
            item
        ).unloaded
        assert item.tags == ["exports"]  # read when asked for


def test_linked_experiments_are_summarised_without_their_variations(
    crew: Crew, runtime: Runtime
) -> None:
    """A summary shows an experiment's status and primary result; its variations and
    decision were loaded for it too, two statements per page."""
    crew.template()
    launch = crew.launch()
    key = _link_experiment(crew, launch["key"], "Exports test")
    with runtime.database.session(reading=True) as session:
        found = find_launch(session, launch["key"])
        mine = session.connection()
        with _statements(runtime, mine) as seen:
            (summary,) = experiments_linked_to(session, launch_ref(found))
        assert summary.key == key and summary.status == "draft"
        assert not [s for s in seen if "experiment_variations" in s or "experiment_decisions" in s]
        assert [s for s in seen if "experiment_metrics" in s]  # the primary metric's name


def test_decisions_about_a_launch_come_without_their_tags_and_people(
    crew: Crew, runtime: Runtime
) -> None:
    """The launch lists each decision's key, title, status and day: its tags and the
    people consulted were loaded for it too, two statements per page."""
    from pilothouse.launches.cross_links import decisions_about_launch

    crew.template()
    launch = crew.launch()
    made = crew.client.post(
        f"{API}/decisions",
        json={"title": "Ship reports to all plans", "links": [f"launch:{launch['key']}"],
              "tags": ["pricing"]},
        headers=crew.editor,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    with runtime.database.session(reading=True) as session:
        found = find_launch(session, launch["key"])
        mine = session.connection()
        with _statements(runtime, mine) as seen:
            (brief,) = decisions_about_launch(session, found)
        assert brief.key == made.json()["key"] and brief.title == "Ship reports to all plans"
        assert not [s for s in seen if "decision_tags" in s or "decision_consulted" in s], seen
