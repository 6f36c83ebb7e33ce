"""The embedded event store: a DuckDB file in the data folder (see docs/event-store.md).

One process owns the file for writing (DuckDB allows a single read-write
process); inside it, every thread gets its own cursor and writes are serialised
by a lock. A write is one DuckDB transaction, committed (and so durable) before
the caller acknowledges it. ``message_id`` is the primary key, so a retried
message is stored once.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pilothouse.core.errors import Conflict
from pilothouse.metrics.segment import Group, Identify, TrackedEvent

__all__ = ["EventStore", "StoreWrite"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS events (
        message_id VARCHAR PRIMARY KEY,
        event VARCHAR NOT NULL,
        user_id VARCHAR,
        anonymous_id VARCHAR,
        account_id VARCHAR,
        "timestamp" TIMESTAMP NOT NULL,
        received_at TIMESTAMP NOT NULL,
        properties JSON,
        source_id INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS users (
        user_id VARCHAR PRIMARY KEY,
        traits JSON,
        account_id VARCHAR,
        first_seen_at TIMESTAMP,
        updated_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS accounts (
        account_id VARCHAR PRIMARY KEY,
        traits JSON,
        updated_at TIMESTAMP
    )""",
)

_EVENT_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("event", pa.string()),
        ("user_id", pa.string()),
        ("anonymous_id", pa.string()),
        ("account_id", pa.string()),
        ("timestamp", pa.timestamp("us")),
        ("received_at", pa.timestamp("us")),
        ("properties", pa.string()),
        ("source_id", pa.int32()),
    ]
)


@dataclass(frozen=True)
class StoreWrite:
    """What one write did: how many events were new (retried message ids are not)."""

    stored: int


@dataclass
class _Pending:
    """One caller's messages waiting for the writer thread, and the outcome it waits for."""

    events: Sequence[TrackedEvent]
    identifies: Sequence[Identify]
    groups: Sequence[Group]
    source_id: int | None
    received_at: datetime
    done: threading.Event = field(default_factory=threading.Event)
    result: StoreWrite | None = None
    error: BaseException | None = None


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


class EventStore:
    """Reads and writes the embedded DuckDB event store.

    Writes go through one writer thread that commits whatever is waiting as one
    transaction (group commit): under load, many requests share one commit and
    one insert statement instead of paying for their own. Each caller still gets
    its answer only after the commit that holds its messages.
    """

    #: Most events one group commit takes; the rest wait for the next one.
    GROUP_LIMIT = 50_000

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            raise Conflict(
                f"the event store {path} is in use by another Pilothouse process "
                f"(a running server?): {str(exc).splitlines()[0]}"
            ) from None
        for statement in SCHEMA:
            self._db.execute(statement)
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._writer = threading.Thread(
            target=self._write_loop, name="event-store-writer", daemon=True
        )
        self._writer.start()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        return self._db.cursor()

    def close(self) -> None:
        """Finish the writes already queued, then close the file."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()
        self._db.close()

    def write(
        self,
        *,
        events: Sequence[TrackedEvent] = (),
        identifies: Sequence[Identify] = (),
        groups: Sequence[Group] = (),
        source_id: int | None = None,
        received_at: datetime,
    ) -> StoreWrite:
        """Store messages durably; returns after the commit that holds them."""
        pending = _Pending(events, identifies, groups, source_id, received_at)
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def _write_loop(self) -> None:
        cursor = self.cursor()
        while True:
            first = self._queue.get()
            if first is None:
                cursor.close()
                return
            group, size = [first], len(first.events)
            while size < self.GROUP_LIMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(more)
                size += len(more.events)
            self._commit_group(cursor, group)

    def _commit_group(self, cursor: duckdb.DuckDBPyConnection, group: list[_Pending]) -> None:
        try:
            stored = self._transaction(cursor, group)
        except Exception:
            if len(group) == 1:
                raise_into(group[0])
                return
            # One bad request must not fail the others: retry each on its own.
            for pending in group:
                self._commit_group(cursor, [pending])
            return
        share = [len(p.events) for p in group]
        for pending, count in zip(group, _apportion(stored, share), strict=True):
            pending.result = StoreWrite(stored=count)
            pending.done.set()

    def _transaction(self, cursor: duckdb.DuckDBPyConnection, group: list[_Pending]) -> int:
        cursor.begin()
        try:
            stored = 0
            for pending in group:
                self._merge_groups(cursor, pending.groups)
                self._merge_identifies(cursor, pending.identifies)
            stored = self._insert_events(cursor, group)
            cursor.commit()
            return stored
        except BaseException:
            cursor.rollback()
            raise

    def _insert_events(self, cursor: duckdb.DuckDBPyConnection, group: list[_Pending]) -> int:
        rows = [(e, p.source_id, _naive_utc(p.received_at)) for p in group for e in p.events]
        if not rows:
            return 0
        staged = pa.table(
            {
                "message_id": [e.message_id for e, _, _ in rows],
                "event": [e.event for e, _, _ in rows],
                "user_id": [e.user_id for e, _, _ in rows],
                "anonymous_id": [e.anonymous_id for e, _, _ in rows],
                "account_id": [e.account_id for e, _, _ in rows],
                "timestamp": [_naive_utc(e.timestamp) for e, _, _ in rows],
                "received_at": [r for _, _, r in rows],
                "properties": [json.dumps(e.properties, separators=(",", ":")) for e, _, _ in rows],
                "source_id": [s for _, s, _ in rows],
            },
            schema=_EVENT_SCHEMA,
        )
        cursor.register("staged_events", staged)
        try:
            # A message id may repeat inside the group too: keep its first copy.
            # INSERT answers with the number of rows it inserted; ignored ones don't count.
            row = cursor.execute(
                """INSERT OR IGNORE INTO events
                   SELECT s.message_id, s.event, s.user_id, s.anonymous_id,
                          COALESCE(s.account_id, u.account_id), s."timestamp", s.received_at,
                          s.properties::JSON, s.source_id
                   FROM (SELECT * FROM staged_events
                         QUALIFY row_number() OVER (PARTITION BY message_id) = 1) AS s
                   LEFT JOIN users AS u ON u.user_id = s.user_id"""
            ).fetchone()
            return int(row[0]) if row else 0
        finally:
            cursor.unregister("staged_events")

    @staticmethod
    def _merge_groups(cursor: duckdb.DuckDBPyConnection, groups: Iterable[Group]) -> None:
        for group in groups:
            traits = json.dumps(group.traits, separators=(",", ":"))
            updated = _naive_utc(group.timestamp)
            cursor.execute(
                """INSERT INTO accounts VALUES (?, ?::JSON, ?)
                   ON CONFLICT (account_id) DO UPDATE SET
                     traits = json_merge_patch(accounts.traits, excluded.traits),
                     updated_at = excluded.updated_at""",
                [group.group_id, traits, updated],
            ).fetchall()
            if group.user_id is not None:
                cursor.execute(
                    """INSERT INTO users VALUES (?, '{}'::JSON, ?, ?, ?)
                       ON CONFLICT (user_id) DO UPDATE SET account_id = excluded.account_id,
                         updated_at = excluded.updated_at""",
                    [group.user_id, group.group_id, updated, updated],
                ).fetchall()

    @staticmethod
    def _merge_identifies(
        cursor: duckdb.DuckDBPyConnection, identifies: Iterable[Identify]
    ) -> None:
        for identify in identifies:
            if identify.user_id is None:
                continue  # anonymous traits are kept on the events, not as a user
            when = _naive_utc(identify.timestamp)
            cursor.execute(
                """INSERT INTO users VALUES (?, ?::JSON, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET
                     traits = json_merge_patch(users.traits, excluded.traits),
                     account_id = COALESCE(excluded.account_id, users.account_id),
                     first_seen_at = LEAST(users.first_seen_at, excluded.first_seen_at),
                     updated_at = excluded.updated_at""",
                [
                    identify.user_id,
                    json.dumps(identify.traits, separators=(",", ":")),
                    identify.account_id,
                    when,
                    when,
                ],
            ).fetchall()

    def counts(self) -> dict[str, int]:
        """Rows per table, for status pages and tests."""
        cursor = self.cursor()
        try:
            result: dict[str, Any] = {}
            for table in ("events", "users", "accounts"):
                row = cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # fixed names
                result[table] = int(row[0]) if row else 0
            return result
        finally:
            cursor.close()


def raise_into(pending: _Pending) -> None:
    """Hand the exception being handled to the waiting caller."""
    import sys

    pending.error = sys.exc_info()[1]
    pending.done.set()


def _apportion(total: int, shares: list[int]) -> list[int]:
    """Split the group's count of new events over its requests (earliest first).

    A group's INSERT reports one total; when some events were retries, which
    request they belonged to is not known, so new events are credited in order.
    """
    result = []
    for share in shares:
        taken = min(share, total)
        result.append(taken)
        total -= taken
    return result
