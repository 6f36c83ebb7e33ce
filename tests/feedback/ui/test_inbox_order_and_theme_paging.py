"""The inbox lists newest received first (not in import order) and pages with the filter
kept; the themes list pages, keeping its sort. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from tests.support.accounts import Accounts, sign_in

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service, themes

CLI = Actor.command_line()
BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _row_ids(page: str) -> list[int]:
    body = re.search(r'<tbody id="feedback-rows">(.*?)</tbody>', page, re.S)
    assert body, page
    return [int(i) for i in re.findall(r'href="/feedback/items/(\d+)"', body.group(1))]


def _more(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" data-testid="inbox-more">', page)
    return html.unescape(found.group(1)) if found else None


def test_inbox_is_newest_received_first_with_a_stable_tie_break_and_kept_filter(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Insert order is scrambled against the received dates (as an import of old tickets
    after new ones is), two items share one timestamp, and five are of another kind."""
    received: dict[int, datetime] = {}
    with runtime.database.session() as session:
        for n in range(66):
            when = BASE + timedelta(hours=(n * 37) % 60)  # 60 distinct hours, 6 repeats
            kind = "interview" if n % 13 == 5 else "support_ticket"
            values = {"text": f"Note {n}", "created_at": when, "source_kind": kind}
            item = service.create_feedback(session, CLI, {**values, "source_name": "zendesk"})
            if kind == "support_ticket":
                received[item.id] = when
    expected = sorted(received, key=lambda i: (received[i], i), reverse=True)
    assert expected != sorted(received, reverse=True)  # id order would be wrong
    ties = [i for i in expected if sum(received[j] == received[i] for j in expected) > 1]
    assert ties, "the data must contain equal timestamps"

    sign_in(client, accounts.person(Role.viewer))
    first = client.get("/feedback", params={"source_kind": "support_ticket"})
    assert first.status_code == 200
    seen = _row_ids(first.text)
    assert len(seen) == 50
    more = _more(first.text)
    assert more and "source_kind=support_ticket" in more
    second = client.get(more)
    seen += _row_ids(second.text)
    assert _more(second.text) is None
    assert seen == expected  # newest received first, ties by id descending, nothing twice

    broken = client.get("/feedback", params={"cursor": "not-a-cursor"})
    assert broken.status_code == 400 and "cursor" in broken.text


def _theme_labels(page: str) -> list[str]:
    table = re.search(r'data-testid="theme-table">(.*?)</table>', page, re.S)
    assert table, page
    return re.findall(r'<a href="/feedback/themes/\d+">([^<]+)</a>', table.group(1))


def test_themes_page_by_page_keeping_the_sort(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    """29 one-item themes T01..T29 and "Zeta", whose one item comes from a paying account:
    by volume (ties by label) Zeta is last; by customers it is first."""
    with runtime.database.session() as session:
        accounts_service.create_account(
            session, CLI, {"external_id": "acct-1", "name": "Acme", "arr_cents": 100_00}
        )
        for label in [f"T{n:02d}" for n in range(1, 30)] + ["Zeta"]:
            values = {"text": f"About {label}", "created_at": BASE, "source_kind": "email"}
            if label == "Zeta":
                values["account"] = "acct-1"
            item = service.create_feedback(session, CLI, {**values, "source_name": "mail"})
            themes.move_items(
                session, CLI, [item.id], themes.create_theme(session, CLI, label=label)
            )

    sign_in(client, accounts.person(Role.viewer))
    by_volume = client.get("/feedback/themes").text
    assert _theme_labels(by_volume) == [f"T{n:02d}" for n in range(1, 26)]
    assert "Themes 1–25 of 30" in by_volume
    page_two = client.get("/feedback/themes", params={"page": 2}).text
    assert _theme_labels(page_two) == ["T26", "T27", "T28", "T29", "Zeta"]

    by_customers = client.get("/feedback/themes", params={"sort": "customers"}).text
    assert _theme_labels(by_customers)[:2] == ["Zeta", "T01"]
    pager = re.search(r'data-testid="theme-pager">(.*?)</nav>', by_customers, re.S)
    assert pager
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', pager.group(1)).group(1))
    assert "sort=customers" in next_link and next_link.endswith("page=2")
    assert _theme_labels(client.get(next_link).text) == ["T25", "T26", "T27", "T28", "T29"]

    past_the_end = client.get("/feedback/themes", params={"sort": "customers", "page": 9}).text
    assert _theme_labels(past_the_end) == ["T25", "T26", "T27", "T28", "T29"]
    assert client.get("/feedback/themes", params={"page": 0}).status_code == 422


def test_the_inbox_reads_its_order_from_an_index(runtime: Runtime) -> None:
    """Newest first, ties by id, comes from ``ix_feedback_items_created_at_id`` (read
    backwards, one page), not from sorting every item per page (migration 0024)."""
    from sqlalchemy import event, text

    from pilothouse.feedback.inbox_order import list_inbox

    with runtime.database.session() as session:
        for n in range(30):
            values = {"text": f"Item {n}", "source_kind": "email", "source_name": "test"}
            service.create_feedback(session, CLI, {**values, "created_at": BASE.isoformat()})
    sent: list[tuple[str, object]] = []
    engine = runtime.database.engine

    def note(
        _conn: object, _cursor: object, statement: str, parameters: object, *_a: object
    ) -> None:
        sent.append((statement, parameters))

    with runtime.database.session(reading=True) as session:
        event.listen(engine, "before_cursor_execute", note)
        try:
            assert len(list_inbox(session, limit=10).items) == 10
        finally:
            event.remove(engine, "before_cursor_execute", note)
        statement, parameters = next((s, p) for s, p in sent if "ORDER BY" in s)
        connection = session.connection()
        if runtime.database.is_sqlite:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            steps = " | ".join(str(row[-1]) for row in plan)
            assert "ix_feedback_items_created_at_id" in steps, steps
            assert "TEMP B-TREE" not in steps, steps
        else:
            connection.execute(text("SET LOCAL enable_sort = off"))
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            steps = " | ".join(str(row[0]) for row in plan)
            assert "ix_feedback_items_created_at_id" in steps, steps
