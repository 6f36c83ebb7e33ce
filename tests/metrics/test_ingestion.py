"""Segment-compatible tracking endpoints: auth by write key, validation, idempotency."""

from __future__ import annotations

import base64
import uuid

import pytest
from fastapi.testclient import TestClient

from pilothouse.accounts.models import Contact, CustomerAccount
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import sources
from pilothouse.metrics.models import EventSource
from tests.support.accounts import Accounts


@pytest.fixture
def write_key(runtime: Runtime) -> str:
    with runtime.database.session() as session:
        _source, key = sources.create_source(session, Actor.command_line(), runtime.secrets, "web")
    return key


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def stored(runtime: Runtime, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    cursor = runtime.event_store.cursor()
    try:
        return cursor.execute(sql).fetchall()
    finally:
        cursor.close()


def track(i: int, **extra: object) -> dict[str, object]:
    return {
        "type": "track",
        "event": "Report Exported",
        "userId": f"u{i}",
        "messageId": f"m-{i}",
        "timestamp": "2026-11-02T10:00:00Z",
        "properties": {"format": "csv", "rows": i},
        **extra,
    }


def test_track_is_stored_before_the_answer(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    response = client.post("/api/v1/track", json=track(1), headers=basic(write_key))
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "accepted": 1, "stored": 1, "errors": []}
    rows = stored(
        runtime, "SELECT event, user_id, \"timestamp\"::VARCHAR, properties->>'format' FROM events"
    )
    assert rows == [("Report Exported", "u1", "2026-11-02 10:00:00", "csv")]


def test_batch_retried_three_times_is_stored_once(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    batch = {"batch": [track(i) for i in range(50)]}
    for _ in range(3):
        response = client.post("/api/v1/batch", json=batch, headers=basic(write_key))
        assert response.status_code == 200, response.text
    assert stored(runtime, "SELECT count(*), count(DISTINCT message_id) FROM events") == [(50, 50)]


def test_a_batch_mixing_retried_and_new_messages_stores_and_counts_only_the_new(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    """The store tries a plain INSERT first; a retried message makes it commit again
    with conflicts ignored, and the traits sent in the same call are kept once."""
    first = client.post(
        "/api/v1/batch", json={"batch": [track(i) for i in range(3)]}, headers=basic(write_key)
    )
    assert first.json()["stored"] == 3
    identify = {"type": "identify", "userId": "u9", "traits": {"plan": "pro"}}
    mixed = {"batch": [track(i) for i in range(1, 6)] + [identify]}
    response = client.post("/api/v1/batch", json=mixed, headers=basic(write_key))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 3  # m-3, m-4, m-5; m-1 and m-2 were stored before
    assert stored(runtime, "SELECT message_id FROM events ORDER BY 1") == [
        (f"m-{i}",) for i in range(6)
    ]
    assert stored(runtime, "SELECT user_id, traits->>'plan' FROM users") == [("u9", "pro")]


def test_a_message_id_repeated_inside_one_batch_is_stored_once_as_first_sent(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    first = track(1, properties={"format": "csv"})
    again = track(1, properties={"format": "pdf"})  # same messageId, other content
    batch = {"batch": [first, track(2), again]}
    response = client.post("/api/v1/batch", json=batch, headers=basic(write_key))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 2
    rows = stored(runtime, "SELECT message_id, properties->>'format' FROM events ORDER BY 1")
    assert rows == [("m-1", "csv"), ("m-2", "csv")]


def test_writes_committed_together_keep_the_first_copy_of_a_shared_message_id(
    runtime: Runtime,
) -> None:
    """Concurrent calls share one commit; a message id sent by two of them is stored once."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from pilothouse.metrics.segment import TrackedEvent

    def event(message_id: str, n: int) -> TrackedEvent:
        moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
        return TrackedEvent(message_id, "Report Exported", f"u{n}", None, None, moment, {"n": n})

    calls = [[event(f"shared-{n % 5}", n), event(f"own-{n}", n)] for n in range(40)]
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda events: runtime.event_store.write(
                    events=events, received_at=datetime.now(UTC)
                ),
                calls,
            )
        )
    assert sum(r.stored for r in results) == 45
    assert stored(runtime, "SELECT count(*), count(DISTINCT message_id) FROM events") == [(45, 45)]


def test_invalid_messages_are_reported_by_index_and_valid_ones_stored(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    batch = {
        "batch": [
            track(0),
            {"type": "track", "userId": "u1"},  # no event name
            {"type": "track", "event": "X"},  # no user
            {"type": "shout", "userId": "u1"},
            track(4, timestamp="yesterday"),
            "not an object",
            track(6, properties=["not", "an", "object"]),
            track(7),
        ]
    }
    response = client.post("/api/v1/batch", json=batch, headers=basic(write_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["success"] is False
    reasons = {e["index"]: e["reason"] for e in body["errors"]}
    assert set(reasons) == {1, 2, 3, 4, 5, 6}
    assert "event" in reasons[1] and "userId" in reasons[2] and "type" in reasons[3]
    assert "ISO-8601" in reasons[4] and "object" in reasons[5] and "properties" in reasons[6]
    assert stored(runtime, "SELECT message_id FROM events ORDER BY 1") == [("m-0",), ("m-7",)]


def test_a_batch_with_nothing_valid_is_refused(client: TestClient, write_key: str) -> None:
    response = client.post(
        "/api/v1/batch", json={"batch": [{"type": "track"}]}, headers=basic(write_key)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "batch[0]"


def test_single_invalid_message_is_a_problem(client: TestClient, write_key: str) -> None:
    response = client.post("/api/v1/track", json={"userId": "u1"}, headers=basic(write_key))
    assert response.status_code == 422
    assert "event" in response.json()["detail"]
    malformed = client.post("/api/v1/track", content=b"{nope", headers=basic(write_key))
    assert malformed.status_code == 422
    assert "malformed JSON" in malformed.json()["detail"]


def test_identify_and_group_update_accounts_contacts_and_store(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    headers = basic(write_key)
    calls = [
        ("identify", {"userId": "u9", "traits": {"email": "Ana@Acme.example", "name": "Ana"}}),
        (
            "group",
            {
                "userId": "u9",
                "groupId": "acme",
                "traits": {"name": "Acme", "plan": "enterprise", "arr_cents": 4_800_000},
            },
        ),
        ("group", {"userId": "u9", "groupId": "acme", "traits": {"segment": "mid-market"}}),
        ("track", {"userId": "u9", "event": "Dashboard Shared", "messageId": "share-1"}),
    ]
    for kind, body in calls:
        assert client.post(f"/api/v1/{kind}", json=body, headers=headers).status_code == 200
    with runtime.database.session() as session:
        account = session.query(CustomerAccount).one()
        assert (account.external_id, account.plan, account.segment, account.arr_cents) == (
            "acme",
            "enterprise",
            "mid-market",
            4_800_000,
        )
        contact = session.query(Contact).one()
        assert (contact.email, contact.name, contact.account_id) == (
            "ana@acme.example",
            "Ana",
            account.id,
        )
    assert stored(runtime, "SELECT account_id FROM events") == [("acme",)]
    traits = stored(
        runtime,
        "SELECT traits->>'plan', traits->>'segment', (traits->>'arr_cents')::BIGINT FROM accounts",
    )
    assert traits == [("enterprise", "mid-market", 4_800_000)]


def test_write_keys_are_checked(client: TestClient, runtime: Runtime, write_key: str) -> None:
    assert client.post("/api/v1/track", json=track(1)).status_code == 401
    assert (
        client.post("/api/v1/track", json=track(1), headers=basic("phw_wrong")).status_code == 401
    )
    body_key = client.post("/api/v1/track", json={**track(2), "writeKey": write_key})
    assert body_key.status_code == 200
    with runtime.database.session() as session:
        source = session.query(EventSource).one()
        assert source.last_used_at is not None
        sources.revoke_source(session, Actor.command_line(), source)
    revoked = client.post("/api/v1/track", json=track(3), headers=basic(write_key))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_page_and_screen_calls_become_events(
    client: TestClient, runtime: Runtime, write_key: str
) -> None:
    headers = basic(write_key)
    client.post(
        "/api/v1/page",
        json={"anonymousId": "a1", "name": "Pricing", "messageId": str(uuid.uuid4())},
        headers=headers,
    )
    client.post("/api/v1/screen", json={"userId": "u1", "name": "Home"}, headers=headers)
    rows = stored(runtime, "SELECT event, properties->>'name' FROM events ORDER BY 1")
    assert rows == [("Page Viewed", "Pricing"), ("Screen Viewed", "Home")]


def test_sources_list_is_paged_and_never_shows_keys(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    with runtime.database.session() as session:
        for name in ("web", "ios", "android"):
            sources.create_source(session, Actor.command_line(), runtime.secrets, name)
    headers = accounts.bearer(accounts.person(Role.admin))
    first = client.get("/api/v1/sources", params={"limit": 2}, headers=headers).json()
    second = client.get(
        "/api/v1/sources", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert [s["name"] for s in first["items"] + second["items"]] == ["web", "ios", "android"]
    assert second["next_cursor"] is None
    assert all("write_key" not in s for s in first["items"])


def test_a_failing_commit_reports_its_own_error_and_the_store_goes_on(runtime: Runtime) -> None:
    """A row the table refuses (no event name) fails its write with DuckDB's error,
    not one about the aborted transaction, and the next write is stored."""
    from datetime import UTC, datetime

    import duckdb

    from pilothouse.metrics.segment import TrackedEvent

    moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    broken = TrackedEvent("m-broken", None, "u1", None, None, moment, {})  # type: ignore[arg-type]
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        runtime.event_store.write(events=[broken], received_at=datetime.now(UTC))
    good = TrackedEvent("m-good", "Report Exported", "u1", None, None, moment, {})
    assert runtime.event_store.write(events=[good], received_at=datetime.now(UTC)).stored == 1
    assert stored(runtime, "SELECT message_id FROM events") == [("m-good",)]
