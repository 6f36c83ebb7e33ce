"""The embedded event store: a DuckDB file in the data folder (see docs/event-store.md).

One process owns the file for writing (DuckDB allows a single read-write
process); inside it, every thread gets its own cursor and writes are serialised
by a lock. A write is one DuckDB transaction, committed (and so durable) before
the caller acknowledges it. ``message_id`` is the primary key, so a retried
message is stored once.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import orjson
import pyarrow as pa

from pilothouse.core.errors import Conflict
from pilothouse.metrics.segment import Group, Identify, TrackedEvent
from pilothouse.metrics.store_cache import ChangeLog, ReadCache

if TYPE_CHECKING:
    from pilothouse.metrics.warehouses.duckdb import DuckDBAdapter

__all__ = ["EventStore", "StoreWrite", "prime_staging"]

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


def prime_staging() -> None:
    """Stage one event in Arrow, without a database: the first one pulls in pyarrow's
    pandas and date conversions (0.2-0.4 s), which a serving process pays at start-up
    instead of inside its first tracking call's commit."""
    moment = datetime(2026, 1, 1)
    row = {name: [None] for name in _EVENT_SCHEMA.names}
    row.update(message_id=["warm-up"], event=["warm-up"], timestamp=[moment])
    row.update(received_at=[moment])
    pa.table(row, schema=_EVENT_SCHEMA)


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
        #: Every commit of this store, and read results kept until a commit touches them
        #: (``metrics/store_cache.py``).
        self.changes = ChangeLog()
        self.reads = ReadCache(self.changes)
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._writer = threading.Thread(
            target=self._write_loop, name="event-store-writer", daemon=True
        )
        self._writer.start()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The process's connection, for read-only adapters that make their own cursors."""
        return self._db

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        return self._db.cursor()

    def reader(self, name: str) -> DuckDBAdapter:
        """A read-only warehouse adapter over this process's connection (metric queries)."""
        from pilothouse.metrics.warehouses.duckdb import DuckDBAdapter

        return DuckDBAdapter(name, str(self.path), connection=self._db)

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
        if not self._writer.is_alive():  # closed: nobody would ever answer
            raise RuntimeError(f"the event store {self.path} is closed")
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
        self._note_change(group)
        share = [len(p.events) for p in group]
        for pending, count in zip(group, _apportion(stored, share), strict=True):
            pending.result = StoreWrite(stored=count)
            pending.done.set()

    def _note_change(self, group: list[_Pending]) -> None:
        """Record a commit in the change log before its callers are answered.

        Traits (identify, group) may move any day of a metric that filters or breaks
        down on them; events move the days from their earliest timestamp on.
        """
        if any(p.identifies or p.groups for p in group):
            self.changes.record(None)
            return
        times = [_naive_utc(e.timestamp) for p in group for e in p.events]
        if times:
            self.changes.record(min(times))

    def _transaction(self, cursor: duckdb.DuckDBPyConnection, group: list[_Pending]) -> int:
        """Commit a group; a plain INSERT first, INSERT OR IGNORE only when a retry is in it.

        DuckDB's ``INSERT OR IGNORE`` checks each row for a conflict before inserting
        and costs about 2.5 times a plain INSERT of 20 events (3 ms more per commit).
        Retried messages are rare: the plain INSERT fails on one, the transaction is
        rolled back, and the group is committed again with conflicts ignored.
        """
        try:
            return self._attempt(cursor, group, ignore_stored=False)
        except duckdb.ConstraintException:
            return self._attempt(cursor, group, ignore_stored=True)

    def _attempt(
        self, cursor: duckdb.DuckDBPyConnection, group: list[_Pending], *, ignore_stored: bool
    ) -> int:
        cursor.begin()
        try:
            self._merge_groups(cursor, [g for p in group for g in p.groups])
            self._merge_identifies(cursor, [i for p in group for i in p.identifies])
            stored = self._insert_events(cursor, group, ignore_stored=ignore_stored)
            cursor.commit()
            return stored
        except BaseException:
            with contextlib.suppress(duckdb.TransactionException):  # rolled back already
                cursor.rollback()
            raise

    def _insert_events(
        self, cursor: duckdb.DuckDBPyConnection, group: list[_Pending], *, ignore_stored: bool
    ) -> int:
        # A message id may repeat inside the group too: keep its first copy. (Here rather
        # than with QUALIFY row_number() in the INSERT: the window made each commit of a
        # small tracking call about twice as expensive.)
        first: dict[str, tuple[Any, int | None, datetime]] = {}
        for p in group:
            received = _naive_utc(p.received_at)
            for e in p.events:
                first.setdefault(e.message_id, (e, p.source_id, received))
        rows = list(first.values())
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
                "properties": [_json(e.properties) for e, _, _ in rows],
                "source_id": [s for _, s, _ in rows],
            },
            schema=_EVENT_SCHEMA,
        )
        cursor.register("staged_events", staged)
        try:
            # INSERT answers with the number of rows it inserted; ignored ones don't count.
            row = cursor.execute(
                ("INSERT OR IGNORE" if ignore_stored else "INSERT")
                + """ INTO events
                   SELECT s.message_id, s.event, s.user_id, s.anonymous_id,
                          COALESCE(s.account_id, u.account_id), s."timestamp", s.received_at,
                          s.properties::JSON, s.source_id
                   FROM staged_events AS s
                   LEFT JOIN users AS u ON u.user_id = s.user_id"""
            ).fetchone()
        except duckdb.Error:
            cursor.rollback()  # a failed statement aborts the transaction, which then
            cursor.unregister("staged_events")  # refuses even to unregister the view
            raise
        cursor.unregister("staged_events")
        return int(row[0]) if row else 0

    @staticmethod
    def _merge_groups(cursor: duckdb.DuckDBPyConnection, groups: Sequence[Group]) -> None:
        """Upsert accounts and user memberships, combining repeated ids first.

        DuckDB cannot update one row twice in one statement, and one statement per
        call is slow: traits are merged per id in call order (later keys win), then
        written with one upsert per table.
        """
        if not groups:
            return
        accounts: dict[str, tuple[dict[str, Any], datetime]] = {}
        members: dict[str, tuple[str, datetime]] = {}
        for group in groups:
            traits, _ = accounts.get(group.group_id, ({}, group.timestamp))
            traits.update(group.traits)
            accounts[group.group_id] = (traits, _naive_utc(group.timestamp))
            if group.user_id is not None:
                members[group.user_id] = (group.group_id, _naive_utc(group.timestamp))
        _upsert(
            cursor,
            "staged_accounts",
            pa.table(
                {
                    "account_id": list(accounts),
                    "traits": [_json(t) for t, _ in accounts.values()],
                    "updated_at": [w for _, w in accounts.values()],
                }
            ),
            """INSERT INTO accounts SELECT account_id, traits::JSON, updated_at FROM staged_accounts
               ON CONFLICT (account_id) DO UPDATE SET
                 traits = json_merge_patch(accounts.traits, excluded.traits),
                 updated_at = excluded.updated_at""",
        )
        if members:
            _upsert(
                cursor,
                "staged_members",
                pa.table(
                    {
                        "user_id": list(members),
                        "account_id": [a for a, _ in members.values()],
                        "updated_at": [w for _, w in members.values()],
                    }
                ),
                """INSERT INTO users SELECT user_id, '{}'::JSON, account_id, updated_at, updated_at
                   FROM staged_members
                   ON CONFLICT (user_id) DO UPDATE SET account_id = excluded.account_id,
                     updated_at = excluded.updated_at""",
            )

    @staticmethod
    def _merge_identifies(
        cursor: duckdb.DuckDBPyConnection, identifies: Sequence[Identify]
    ) -> None:
        """Upsert users from ``identify`` calls (anonymous ones stay on their events)."""
        users: dict[str, tuple[dict[str, Any], str | None, datetime, datetime]] = {}
        for identify in identifies:
            if identify.user_id is None:
                continue
            when = _naive_utc(identify.timestamp)
            traits, account, first, _ = users.get(identify.user_id, ({}, None, when, when))
            traits.update(identify.traits)
            users[identify.user_id] = (
                traits,
                identify.account_id or account,
                min(first, when),
                when,
            )
        if not users:
            return
        _upsert(
            cursor,
            "staged_users",
            pa.table(
                {
                    "user_id": list(users),
                    "traits": [_json(u[0]) for u in users.values()],
                    "account_id": pa.array([u[1] for u in users.values()], pa.string()),
                    "first_seen_at": [u[2] for u in users.values()],
                    "updated_at": [u[3] for u in users.values()],
                }
            ),
            """INSERT INTO users SELECT user_id, traits::JSON, account_id, first_seen_at,
                 updated_at FROM staged_users
               ON CONFLICT (user_id) DO UPDATE SET
                 traits = json_merge_patch(users.traits, excluded.traits),
                 account_id = COALESCE(excluded.account_id, users.account_id),
                 first_seen_at = LEAST(users.first_seen_at, excluded.first_seen_at),
                 updated_at = excluded.updated_at""",
        )

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


def _json(value: dict[str, Any]) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits, which orjson refuses
        return json.dumps(value, separators=(",", ":"), default=str)


def _upsert(cursor: duckdb.DuckDBPyConnection, name: str, table: pa.Table, sql: str) -> None:
    cursor.register(name, table)
    try:
        cursor.execute(sql).fetchall()
    except duckdb.Error:
        cursor.rollback()  # as in _insert_events: the aborted transaction refuses to
        cursor.unregister(name)  # unregister, which would hide this error behind its own
        raise
    cursor.unregister(name)
