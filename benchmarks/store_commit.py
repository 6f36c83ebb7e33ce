"""What one small tracking call costs the event store's writer, against the former statement.

A tracking call of 20 events is committed by the store's one writer thread; under the
mixed load of ``benchmarks/load.py`` that commit was the largest part of the call.
Until 2026-12-07 the INSERT removed repeated message ids with a ``QUALIFY
row_number()`` window; then the writer kept the first copy in Python and the INSERT
had no window. Until 2026-12-08 that INSERT was always ``INSERT OR IGNORE``; now the
writer tries a plain ``INSERT`` and commits again with ``OR IGNORE`` only when a
retried message makes the plain one fail. This script measures all three on the same
store in the same run: a copy of a store with ``--existing`` events and 8,000 users,
then ``--calls`` sequential ``EventStore.write`` calls of 20 new events each (the
current path) and the same number of transactions with each former statement,
alternating in rounds so that all see the same machine. It prints wall and CPU time.

    .venv/bin/python benchmarks/store_commit.py [--existing 200000] [--calls 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from pilothouse.metrics.segment import TrackedEvent
from pilothouse.metrics.store import EventStore

BATCH = 20
FORMER_INSERT = """INSERT OR IGNORE INTO events
   SELECT s.message_id, s.event, s.user_id, s.anonymous_id,
          COALESCE(s.account_id, u.account_id), s."timestamp", s.received_at,
          s.properties::JSON, s.source_id
   FROM (SELECT * FROM staged_events
         QUALIFY row_number() OVER (PARTITION BY message_id) = 1) AS s
   LEFT JOIN users AS u ON u.user_id = s.user_id"""


def seeded_store(path: Path, existing: int) -> None:
    """A store with ``existing`` events over 90 days and 8,000 identified users."""
    EventStore(path).close()  # creates the schema
    connection = duckdb.connect(str(path))
    connection.execute(
        """INSERT INTO users SELECT 'u' || i, '{}', 'acct' || (i % 400), now(), now()
           FROM range(8000) t(i)"""
    )
    connection.execute(
        f"""INSERT INTO events SELECT 'seed-' || i, 'Report Exported', 'u' || (i % 8000),
               NULL, NULL, TIMESTAMP '2026-09-01' + (i % 7776000) * INTERVAL 1 SECOND,
               TIMESTAMP '2026-12-01', '{{"format": "csv"}}', 1
           FROM range({existing}) t(i)"""
    )
    connection.close()


def tracked(n: int) -> list[TrackedEvent]:
    moment = datetime.now(UTC) - timedelta(minutes=5)
    return [
        TrackedEvent(
            uuid.uuid4().hex,
            "Report Exported",
            f"u{(n + i) % 8000}",
            None,
            None,
            moment,
            {"format": "csv", "rows": i},
        )
        for i in range(BATCH)
    ]


def current(store: EventStore, calls: int, round_: int) -> tuple[float, float]:
    """(wall, CPU) milliseconds per call through ``EventStore.write`` (after its commit)."""
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(calls):
        store.write(events=tracked(n + round_ * calls), received_at=datetime.now(UTC))
    return (
        (time.perf_counter() - started) * 1000 / calls,
        (time.process_time() - cpu) * 1000 / calls,
    )


#: The statement of 2026-12-07: first copies chosen in Python, conflicts always ignored.
OR_IGNORE_INSERT = """INSERT OR IGNORE INTO events
   SELECT s.message_id, s.event, s.user_id, s.anonymous_id,
          COALESCE(s.account_id, u.account_id), s."timestamp", s.received_at,
          s.properties::JSON, s.source_id
   FROM staged_events AS s
   LEFT JOIN users AS u ON u.user_id = s.user_id"""


def former(path: Path, calls: int, statement: str) -> tuple[float, float]:
    """(wall, CPU) milliseconds per transaction with a former statement, own connection."""
    connection = duckdb.connect(str(path))
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(calls):
        rows = tracked(n)
        now = datetime.now(UTC).replace(tzinfo=None)
        staged = pa.table(
            {
                "message_id": [e.message_id for e in rows],
                "event": [e.event for e in rows],
                "user_id": [e.user_id for e in rows],
                "anonymous_id": pa.array([None] * BATCH, pa.string()),
                "account_id": pa.array([None] * BATCH, pa.string()),
                "timestamp": [e.timestamp.replace(tzinfo=None) for e in rows],
                "received_at": [now] * BATCH,
                "properties": ['{"format": "csv"}'] * BATCH,
                "source_id": pa.array([1] * BATCH, pa.int32()),
            }
        )
        connection.begin()
        connection.register("staged_events", staged)
        connection.execute(statement).fetchone()
        connection.unregister("staged_events")
        connection.commit()
    elapsed = (time.perf_counter() - started) * 1000 / calls
    cpu = (time.process_time() - cpu) * 1000 / calls
    connection.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=200_000, help="events already stored")
    parser.add_argument("--calls", type=int, default=200, help="calls per round and path")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.duckdb"
        seeded_store(path, args.existing)
        paths: dict[str, list[tuple[float, float]]] = {
            "former statement (QUALIFY window)": [],
            "former INSERT OR IGNORE (to 2026-12-07)": [],
            "EventStore.write (plain INSERT first)": [],
        }
        runs = list(paths.values())
        for round_ in range(args.rounds):
            runs[0].append(former(path, args.calls, FORMER_INSERT))
            runs[1].append(former(path, args.calls, OR_IGNORE_INSERT))
            store = EventStore(path)
            try:
                runs[2].append(current(store, args.calls, round_))
            finally:
                store.close()
    print(f"store with {args.existing:,} events and 8,000 users; {BATCH} new events per call")
    print(f"{f'path (best of {args.rounds} rounds, per call)':42} {'ms wall':>8} {'ms CPU':>8}")
    best = {label: min(found) for label, found in paths.items()}
    for label, (wall, cpu) in best.items():
        print(f"{label:42} {wall:8.2f} {cpu:8.2f}")
    now_wall, now_cpu = best["EventStore.write (plain INSERT first)"]
    for label, (wall, cpu) in list(best.items())[:2]:
        print(
            f"ratio {label[7:]:36} / current: "
            f"{wall / now_wall:5.2f}x wall, {cpu / now_cpu:5.2f}x CPU"
        )


if __name__ == "__main__":
    main()
