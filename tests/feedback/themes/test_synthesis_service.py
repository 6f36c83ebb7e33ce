"""Synthesis of stored feedback: themes recover intents, tiny corpora say so, runs add."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from tests.feedback.themes.conftest import CLI, load_corpus
from tests.support.statements import sent_statements

from pilothouse.core import jobs
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import imports, service, themes
from pilothouse.feedback.duplicate_check import EARLIEST_CHECKED
from pilothouse.feedback.importers import ImportFormat
from pilothouse.feedback.models import FeedbackEmbedding, FeedbackItem, FeedbackSynthesisRun
from pilothouse.feedback.synthesis_service import (
    assign_new_item,
    assign_new_items,
    synthesize_feedback,
)


def _purity(runtime: Runtime, truth: dict[int, str]) -> tuple[float, int]:
    """Share of items whose theme's majority intent is their own, and the number of themes."""
    with runtime.database.session() as session:
        listed = themes.list_themes(session)
        hits = 0
        for theme in listed:
            counts = Counter(truth[i] for i in themes.theme_item_ids(session, theme.id))
            hits += counts.most_common(1)[0][1]
    return hits / len(truth), len(listed)


def test_first_run_finds_the_intents(runtime: Runtime, corpus) -> None:
    truth = load_corpus(runtime, corpus)
    ticks: list[tuple[int, int | None, str]] = []
    report = synthesize_feedback(runtime, CLI, progress=lambda *a: ticks.append(a))
    assert report.ok and report.mode == "first", report
    assert report.embedded == report.items == len(truth) == 150
    purity, count = _purity(runtime, truth)
    assert purity >= 0.9 and 4 <= count <= 8, (purity, count)
    assert ticks[0] == (0, 150, "embedding") and (150, 150, "embedding") in ticks
    with runtime.database.session() as session:
        stored = session.scalar(select(func.count()).select_from(FeedbackEmbedding))
        assert stored == 150
        assert session.scalar(select(func.count()).where(FeedbackItem.sentiment.is_(None))) == 0
        run = session.scalar(select(FeedbackSynthesisRun))
        assert run is not None and run.status == "done" and run.themes_created == count
        detail = themes.get_theme(session, themes.list_themes(session)[0].id)
        assert detail.label and detail.keywords and len(detail.quotes) == 3
        assert detail.summary.startswith(f"{detail.item_count} items.")
        names = set(session.scalars(select(Event.name)))
        assert {"feedback.synthesized", "feedback.theme_created"} <= names
    again = synthesize_feedback(runtime, CLI)  # nothing new: nothing embedded, nothing moved
    assert again.mode == "incremental" and again.embedded == 0 and again.assigned == 0


def test_tiny_and_empty_corpus_say_so(runtime: Runtime, corpus) -> None:
    empty = synthesize_feedback(runtime, CLI)
    assert empty.status == "empty" and "corpus too small (0 items" in empty.message
    load_corpus(runtime, corpus[:4])
    tiny = synthesize_feedback(runtime, CLI)
    assert tiny.status == "too_small" and not tiny.ok
    assert "corpus too small (4 items with text, need ≥ 10)" in tiny.message
    with runtime.database.session() as session:
        assert themes.list_themes(session) == []


def test_new_item_is_assigned_incrementally(runtime: Runtime, corpus) -> None:
    truth = load_corpus(runtime, corpus)
    synthesize_feedback(runtime, CLI)
    with runtime.database.session() as session:
        home = {}
        for theme in themes.list_themes(session):
            counts = Counter(truth[i] for i in themes.theme_item_ids(session, theme.id))
            home[counts.most_common(1)[0][0]] = theme.id
        item = service.create_feedback(
            session, CLI, {"text": "My new card still has not arrived, when will it come?"}
        )
        theme_id = assign_new_item(session, item.id)
        assert theme_id == home["card_arrival"]
        assert themes.theme_of_items(session, [item.id])[item.id][0] == theme_id
        assert item.sentiment is not None


def test_items_the_caller_holds_are_not_read_again(runtime: Runtime, corpus) -> None:
    """``loaded`` spares the items' SELECT; the themes' key is read once for both the
    "any theme yet?" question and the theme index; items not held are still read."""
    load_corpus(runtime, corpus)
    synthesize_feedback(runtime, CLI)
    with runtime.database.session() as session:
        held = service.create_feedback(session, CLI, {"text": "Where is my new card?"})
        other = service.create_feedback(session, CLI, {"text": "The app crashes on login"})
        session.flush()
        with sent_statements(runtime.database.engine) as seen:
            placed = assign_new_items(session, [other.id, held.id], loaded=[held])
        assert set(placed) == {held.id, other.id}
        assert held.sentiment is not None and other.sentiment is not None
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    item_reads = [s for s in reads if "FROM feedback_items" in s and "feedback_items.text" in s]
    assert len(item_reads) == 1 and "IN (" in item_reads[0]  # the one not held
    assert len([s for s in reads if "FROM feedback_themes" in s and "max(" in s]) == 1


def test_a_large_import_is_placed_in_themes_by_a_job(
    runtime: Runtime, corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over ASSIGN_INLINE new items: the import returns, then a synthesis job places them."""
    truth = load_corpus(runtime, corpus[:120])
    synthesize_feedback(runtime, CLI)
    monkeypatch.setattr(imports, "ASSIGN_INLINE", 10)
    late = corpus[120:]  # 30 more messages of the same five intents
    lines = ["id,text"] + [
        f'late-{n},"{text.replace(chr(34), "")}"' for n, (_, text) in enumerate(late)
    ]
    immediate = Runtime(
        settings=runtime.settings.model_copy(update={"jobs_mode": "immediate"}),
        database=runtime.database,
    )
    with runtime.database.session() as session:
        report = imports.run_import(
            session, CLI, "\n".join(lines).encode(), ImportFormat.csv, dry_run=False, source="late"
        )
        assert report.committed and report.created == report.waiting == 30
        new_ids = list(report.created_ids)
        assert themes.theme_of_items(session, new_ids) == {}  # not placed in the request
    imports.place_in_themes(immediate, CLI, report)
    assert report.job_id is not None
    assert jobs.get_job(runtime, report.job_id).status == "succeeded"
    with runtime.database.session() as session:
        placed = themes.theme_of_items(session, new_ids)
        home = {}
        for theme in themes.list_themes(session):
            counts = Counter(
                truth[i] for i in themes.theme_item_ids(session, theme.id) if i in truth
            )
            home[theme.id] = counts.most_common(1)[0][0]
    assert len(placed) >= 27  # nearly every late message found a theme ...
    right = sum(home[placed[i][0]] == late[n][0] for n, i in enumerate(new_ids) if i in placed)
    assert right >= 0.9 * len(placed)  # ... and mostly the theme of its own intent


def test_a_new_repeat_is_linked_to_the_original_at_once(runtime: Runtime, corpus) -> None:
    """Near-duplicates are found as items arrive, against every stored vector."""
    truth = load_corpus(runtime, corpus)
    synthesize_feedback(runtime, CLI)
    original_id, (_, text) = next(iter(truth)), corpus[0]
    with runtime.database.session() as session:
        first = service.create_feedback(session, CLI, {"text": text + "!"})
        second = service.create_feedback(session, CLI, {"text": text})
        other = service.create_feedback(
            session, CLI, {"text": "Please add a dark mode to the dashboard."}
        )
        assign_new_item(session, first.id)
        assign_new_items(session, [second.id, other.id])
        assert first.duplicate_of_id == original_id  # the earliest item that said it
        assert second.duplicate_of_id == original_id  # the original, not the first repeat
        assert other.duplicate_of_id is None
        checked = session.scalars(
            select(FeedbackEmbedding.processed).where(
                FeedbackEmbedding.item_id.in_([first.id, second.id, other.id])
            )
        ).all()
        assert checked == [True, True, True]  # the next run does not look at them again
    again = synthesize_feedback(runtime, CLI)
    assert again.duplicates == 0


def test_a_repeat_is_never_linked_to_an_item_deleted_since(runtime: Runtime, corpus) -> None:
    """The per-process vectors may still hold a deleted item; links go to live items only."""
    truth = load_corpus(runtime, corpus)
    synthesize_feedback(runtime, CLI)
    gone, (_, text) = next(iter(truth)), corpus[0]
    with runtime.database.session() as session:
        warm = service.create_feedback(session, CLI, {"text": "Where can I see my statements?"})
        assign_new_item(session, warm.id)  # the vectors are now cached in this process
        session.delete(session.get_one(FeedbackItem, gone))
        session.flush()
        repeat = service.create_feedback(session, CLI, {"text": text})
        assign_new_item(session, repeat.id)
        assert repeat.duplicate_of_id != gone
        if repeat.duplicate_of_id is not None:
            assert session.get(FeedbackItem, repeat.duplicate_of_id) is not None


def test_a_flood_of_repeats_links_to_the_oldest_live_one_past_the_first_checked(
    runtime: Runtime, corpus
) -> None:
    """A new repeat of a message sent many times has many earlier candidates; only the
    oldest live one decides the link, found even when more than the first checked batch
    of candidates was deleted."""
    load_corpus(runtime, corpus)
    synthesize_feedback(runtime, CLI)
    text = "The export to CSV times out on every large report we run, again and again."
    with runtime.database.session() as session:
        flood = []
        for n in range(EARLIEST_CHECKED + 8):
            item = service.create_feedback(session, CLI, {"text": f"{text} ({n})"})
            assign_new_item(session, item.id)
            flood.append(item)
        first_id = flood[0].id
        assert all(i.duplicate_of_id == first_id for i in flood[1:])  # one original
        for item in flood[: EARLIEST_CHECKED + 3]:  # the original and the next ones go
            session.delete(item)
        session.flush()
        survivor = flood[EARLIEST_CHECKED + 3]
        repeat = service.create_feedback(session, CLI, {"text": f"{text} (again)"})
        assign_new_item(session, repeat.id)
        assert repeat.duplicate_of_id == survivor.id  # the oldest live one, not a later one
