"""The event store served by its owner to other processes (``pilothouse serve --workers``).

The owner (:class:`StoreService`) and a worker's :class:`RemoteEventStore` talk over a
real Unix socket here, in one process: what a worker writes is stored once by the
owner's writer, what it reads equals what the owner reads itself, value types
included, and errors arrive as the same warehouse errors. The served, several-process
case is in ``tests/core/test_crash_safety_workers.py``.
"""

from __future__ import annotations

import pickle
import socket
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pilothouse.metrics.segment import Group, Identify, TrackedEvent
from pilothouse.metrics.store import EventStore
from pilothouse.metrics.store_client import EventStoreUnavailable, RemoteEventStore
from pilothouse.metrics.store_service import StoreService, socket_folder
from pilothouse.metrics.store_wire import StoreWireError, read_frame
from pilothouse.metrics.warehouses.errors import WarehouseError, WarehouseTimeout

WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

#: Types a metric query returns: DECIMAL sums, dates, timestamps, JSON, lists, HUGEINT.
TYPED_QUERY = """
SELECT event, count(*) AS n, sum(CAST(properties->>'cents' AS DECIMAL(18, 2))) AS money,
       CAST("timestamp" AS DATE) AS day, max("timestamp") AS last_seen,
       list(message_id ORDER BY message_id) AS ids, any_value(properties) AS props,
       sum(CAST(properties->>'cents' AS BIGINT)) AS huge
FROM events GROUP BY ALL ORDER BY event
"""


def event(n: int, name: str = "Report Exported") -> TrackedEvent:
    return TrackedEvent(
        message_id=f"m{n}",
        event=name,
        user_id=f"u{n % 3}",
        anonymous_id=None,
        account_id=None,
        timestamp=WHEN + timedelta(hours=n),
        properties={"cents": 150 + n, "plan": "team"},
    )


@pytest.fixture
def owned(tmp_path: Path) -> Iterator[tuple[EventStore, StoreService, RemoteEventStore]]:
    store = EventStore(tmp_path / "events.duckdb")
    service = StoreService(store, socket_folder() / "store.sock").start()
    remote = RemoteEventStore(service.socket_path, store.path)
    try:
        yield store, service, remote
    finally:
        remote.close()
        service.stop()


def test_writes_through_the_socket_are_stored_once_by_the_owner(owned) -> None:
    store, _service, remote = owned
    first = remote.write(events=[event(n) for n in range(5)], source_id=7, received_at=WHEN)
    again = remote.write(events=[event(n) for n in range(3, 8)], received_at=WHEN)
    assert (first.stored, again.stored) == (5, 3)  # m3 and m4 were retries
    traits = Identify("i1", "u1", None, "acme", {"role": "admin"}, WHEN)
    remote.write(
        identifies=[traits], groups=[Group("g1", "acme", "u1", None, {}, WHEN)], received_at=WHEN
    )
    assert remote.counts() == store.counts() == {"events": 8, "users": 1, "accounts": 1}
    row = store.cursor().execute("SELECT source_id FROM events WHERE message_id = 'm0'")
    assert row.fetchone() == (7,)


def test_a_query_answered_by_the_owner_equals_the_owners_own_values_and_types(owned) -> None:
    store, _service, remote = owned
    store.write(events=[event(n, "A" if n % 2 else "B") for n in range(6)], received_at=WHEN)
    local = store.reader("embedded").execute(TYPED_QUERY)
    served = remote.reader("embedded").execute(TYPED_QUERY)
    assert served.columns == local.columns
    assert served.rows == local.rows
    assert [type(v) for v in served.rows[0]] == [type(v) for v in local.rows[0]]
    assert remote.reader("embedded").dialect == store.reader("embedded").dialect == "duckdb"


def test_query_errors_arrive_as_the_same_warehouse_errors(owned) -> None:
    _store, _service, remote = owned
    reader = remote.reader("embedded")
    with pytest.raises(WarehouseError) as failed:
        reader.execute("SELECT no_such_column FROM events")
    assert "no_such_column" in failed.value.detail and failed.value.status == 502
    slow = "SELECT count(*) FROM range(20000000000) AS a(x) WHERE x % 7 = 3"
    with pytest.raises(WarehouseTimeout) as timed_out:
        reader.execute(slow, timeout_s=0.2)
    assert timed_out.value.status == 504
    assert reader.execute("SELECT 1 AS one").rows == ((1,),)  # the connection is still good


def test_a_frame_that_names_code_is_refused_not_run(tmp_path: Path) -> None:
    class Sneaky:
        def __reduce__(self):  # noqa: ANN204 - builds os.system("...") when unpickled
            import os

            return (os.system, ("touch " + str(tmp_path / "ran"),))

    payload = pickle.dumps(("write", Sneaky()))
    left, right = socket.socketpair()
    with left, right:
        left.sendall(struct.pack(">I", len(payload)) + payload)
        with pytest.raises(StoreWireError, match="not plain data"):
            read_frame(right)
    assert not (tmp_path / "ran").exists()


def test_a_worker_whose_owner_is_gone_gets_a_retryable_503(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events.duckdb")
    service = StoreService(store, socket_folder() / "store.sock").start()
    remote = RemoteEventStore(service.socket_path, store.path)
    assert remote.counts()["events"] == 0
    service.stop()
    with pytest.raises(EventStoreUnavailable) as gone:
        remote.write(events=[event(1)], received_at=WHEN)
    assert gone.value.status == 503 and "retry" in gone.value.detail
    remote.close()


def test_kept_reads_in_a_worker_follow_the_owners_commits(owned) -> None:
    """The worker keeps read results; the owner's change log says when one is stale."""
    store, _service, remote = owned
    store.write(events=[event(n) for n in range(3)], received_at=WHEN)
    horizon = (WHEN + timedelta(days=1)).replace(tzinfo=None)
    version = remote.changes.version()
    remote.reads.put(("n",), version, horizon, 3)
    remote.write(events=[event(100)], received_at=WHEN)  # after the horizon: still valid
    assert remote.reads.get(("n",)) == 3
    remote.write(events=[event(4)], received_at=WHEN)  # inside the kept range: stale
    assert remote.reads.get(("n",)) is None
