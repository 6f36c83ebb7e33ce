"""Every importer on realistic exports, the bad-input cases, dry runs and re-imports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from tests.feedback.hub.helpers import CLI, count, load, seed

from pilothouse.accounts.models import Contact, CustomerAccount
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import imports, service
from pilothouse.feedback.importers import ImportFormat, parse_file
from pilothouse.feedback.imports import ImportReport, run_import
from pilothouse.feedback.models import FeedbackItem, SourceKind


def _items(runtime: Runtime) -> list[FeedbackItem]:
    with runtime.database.session() as session:
        items = list(session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)))
        session.expunge_all()
        return items


def test_generic_csv_maps_columns_and_reimport_updates(runtime: Runtime) -> None:
    ids = seed(runtime)
    preview = load(runtime, "generic_clean.csv", ImportFormat.csv, dry_run=True)
    assert preview.problems == [] and not preview.committed
    assert preview.mapping["text"] == "comment" and preview.mapping["account"] == "account_id"
    assert "internal_note" in str(preview.warnings[0])
    assert preview.sample[0]["external_id"] == "fb-1001"
    assert count(runtime) == 0  # dry run stores nothing
    report = load(runtime, "generic_clean.csv", ImportFormat.csv)
    assert (report.committed, report.created) == (True, 3)
    items = _items(runtime)
    first = items[0]
    assert first.account_id == ids["acct-001"] and first.rating == 2
    assert first.created_at == datetime(2026, 3, 2, 9, 14, tzinfo=UTC)
    assert first.tags == ["export", "pdf"] and first.source_name == "csv"
    assert "40 seats" in items[2].text  # a quoted value spanning two lines
    again = load(runtime, "generic_clean.csv", ImportFormat.csv)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(runtime) == 3


def test_bad_rows_are_reported_by_line_and_nothing_is_stored(runtime: Runtime) -> None:
    seed(runtime)
    report = load(runtime, "generic_bad.csv", ImportFormat.csv)
    found = {(p.line, p.column) for p in report.problems}
    assert (3, "comment") in found  # missing text
    assert any(p.line == 4 and "at most 20,000" in p.message for p in report.problems)
    assert (5, "date") in found  # not a date
    assert (6, "rating") in found  # 9 stars
    assert any(p.line == 7 and "10 values" in p.message for p in report.problems)
    assert (8, "customer_email") in found
    assert not report.committed and count(runtime) == 0
    with runtime.database.session() as session:  # no contact or account left behind
        assert (
            session.scalar(select(Contact).where(Contact.email == "lee@hooli-media.example"))
            is None
        )
        assert (
            session.scalar(select(CustomerAccount).where(CustomerAccount.external_id == "acct-004"))
            is None
        )


def test_text_column_option_and_missing_text_column() -> None:
    data = b"ticket,Verbatim\n1,Search is slow\n"
    assert parse_file(data, ImportFormat.csv).problems[0].message.startswith("no text column")
    parsed = parse_file(data, ImportFormat.csv, text_column="Verbatim")
    assert parsed.problems == [] and parsed.rows[0].values["text"] == "Search is slow"


def test_jsonl_malformed_line(runtime: Runtime) -> None:
    report = load(runtime, "notes_broken.jsonl", ImportFormat.jsonl)
    assert [(p.line, "malformed JSON" in p.message) for p in report.problems] == [(2, True)]
    assert count(runtime) == 0
    assert load(runtime, "notes.jsonl", ImportFormat.jsonl).created == 2


def test_zendesk_tickets_with_requesters_and_organizations(runtime: Runtime) -> None:
    ids = seed(runtime)
    report = load(runtime, "zendesk_tickets.json", ImportFormat.zendesk)
    assert (report.problems, report.created, report.source_name) == ([], 3, "zendesk")
    first, second, _third = _items(runtime)
    assert first.source_kind is SourceKind.support_ticket and first.external_id == "35436"
    assert first.url == "https://pilothouse-demo.zendesk.com/agent/tickets/35436"
    assert first.title == "Report export stuck at 99%" and first.account_id == ids["acct-001"]
    assert first.tags == ["export", "performance"]
    assert second.account_id is None  # no organization, and no account has that domain
    assert load(runtime, "zendesk_tickets.json", ImportFormat.zendesk).unchanged == 3


def test_half_broken_zendesk_export(runtime: Runtime) -> None:
    report = load(runtime, "zendesk_tickets_truncated.json", ImportFormat.zendesk)
    assert report.rows == 2  # what came before the break is read and shown ...
    assert len(report.problems) == 1 and report.problems[0].line > 40
    assert count(runtime) == 0  # ... but nothing is stored


def test_intercom_conversations(runtime: Runtime) -> None:
    report = load(runtime, "intercom_conversations.json", ImportFormat.intercom)
    assert (report.problems, report.created) == ([], 2)
    first, second = _items(runtime)
    assert first.text.startswith('Hi! The Salesforce sync keeps failing with "token expired".')
    assert "<" not in first.text and first.rating == 2 and first.tags == ["integrations"]
    assert first.created_at == datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    assert second.title == "Feature request"


def test_app_store_reviews_and_wrong_encoding(runtime: Runtime) -> None:
    report = load(runtime, "appstore_reviews.csv", ImportFormat.appstore)
    assert report.created == 3 and "score without text" in str(report.warnings[0])
    items = _items(runtime)
    assert items[0].source_name == "app-store" and items[0].rating == 1
    assert "territory:usa" in items[0].tags and items[1].text.startswith("Offline mode")
    bad = load(runtime, "appstore_reviews_latin1.csv", ImportFormat.appstore, source="ios")
    assert [p.line for p in bad.problems] == [3] and "not UTF-8" in bad.problems[0].message
    assert count(runtime) == 3


def test_google_play_utf16_report(runtime: Runtime) -> None:
    report = load(runtime, "googleplay_reviews.csv", ImportFormat.googleplay)
    assert (report.problems, report.created) == ([], 3)
    items = _items(runtime)
    assert items[0].external_id == "gp:AOqpTOE1" and items[1].language == "de"
    assert items[1].text == "Sehr gute App, die Benachrichtigungen sind super."
    assert items[2].external_id.startswith("gp-")  # no link: a stable derived id
    assert load(runtime, "googleplay_reviews.csv", ImportFormat.googleplay).unchanged == 3


def test_surveys_typeform_and_surveymonkey(runtime: Runtime) -> None:
    typeform = load(runtime, "typeform_nps.csv", ImportFormat.survey)
    assert [(p.line, p.column) for p in typeform.problems] == [
        (5, "How likely are you to recommend Pilothouse to a friend or colleague?")
    ]
    assert count(runtime) == 0
    monkey = load(runtime, "surveymonkey_nps.csv", ImportFormat.survey)
    assert (monkey.problems, monkey.created, monkey.source_name) == ([], 2, "surveymonkey")
    first = _items(runtime)[0]
    assert first.nps_score == 10 and first.source_kind is SourceKind.survey
    assert first.external_id == "114046793822"


@pytest.mark.parametrize("data", [b"", b"\xff\xfe"])
def test_empty_files(data: bytes) -> None:
    assert parse_file(data, ImportFormat.csv).problems


def _run(runtime: Runtime, text: str, **options: object) -> ImportReport:

    with runtime.database.session() as session:
        return run_import(
            session, CLI, text.encode(), ImportFormat.csv, dry_run=False, source="bulk", **options
        )


def test_batched_writes_keep_every_row_and_its_audit_entry(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New items are written in batches; a row repeating an id of the same file updates it."""

    monkeypatch.setattr(imports, "WRITE_BATCH", 2)  # several batches from five rows
    rows = ["id,text,rating", "a,first,1", "b,second,2", "c,third,3", "a,first again,4", "d,x,5"]
    report = _run(runtime, "\n".join(rows) + "\n")
    assert report.problems == [] and report.committed
    assert (report.created, report.updated, report.unchanged) == (4, 1, 0)
    items = {i.external_id: i for i in _items(runtime)}
    assert sorted(items) == ["a", "b", "c", "d"]
    assert (items["a"].text, items["a"].rating) == ("first again", 4)
    assert sorted(report.created_ids) == sorted(i.id for i in items.values())
    with runtime.database.session() as session:
        events = session.scalars(
            select(Event).where(Event.object_type == "feedback_item").order_by(Event.id)
        ).all()
        actions = [(e.object_id, e.action) for e in events]
    assert actions.count((str(items["a"].id), "created")) == 1
    first_a = actions.index((str(items["a"].id), "created"))
    assert actions.index((str(items["a"].id), "updated")) > first_a  # created, then updated
    assert {a for a in actions if a[1] == "created"} == {
        (str(i.id), "created") for i in items.values()
    }


def test_a_refused_update_leaves_the_stored_item_as_it_was(runtime: Runtime) -> None:
    assert _run(runtime, "id,text,rating\nk1,the export is slow,2\nk2,fine,5\n").committed
    report = _run(runtime, "id,text,rating\nk1,changed text,9\nk2,fine now,5\n")
    assert not report.committed
    assert [(p.line, p.column) for p in report.problems] == [(2, "rating")]
    items = {i.external_id: i for i in _items(runtime)}
    assert (items["k1"].text, items["k1"].rating) == ("the export is slow", 2)
    assert items["k2"].text == "fine"  # the good row of a refused file is not stored either


def test_a_refused_status_change_changes_nothing_else(runtime: Runtime) -> None:
    """Updates are checked whole before any field changes (imports rely on it: no savepoints)."""

    with runtime.database.session() as session:
        item = service.create_feedback(session, CLI, {"text": "original words"})
        service.change_status(session, CLI, item, "closed")
        with pytest.raises(ValidationFailed, match="closed to new"):
            service.update_feedback(session, CLI, item, {"text": "edited", "status": "new"})
        assert (item.text, item.status.value) == ("original words", "closed")
