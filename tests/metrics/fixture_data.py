"""A small, deterministic product-event data set and loaders for each test engine.

The same rows are loaded into DuckDB and PostgreSQL here (and into chdb and Spark by
the parity tests), and ``tests/metrics/reference.py`` computes the expected numbers
from these Python rows directly, never from SQL.

What the data exercises: events near UTC midnight and across the 2024 daylight-saving
changes (so the time zone changes day buckets), anonymous events, events without an
account, users and accounts missing from their tables, missing properties and traits,
a property key holding a quote, hostile property values, integer money in cents and
a few coupons.

Use::

    data = generate()
    load_duckdb(path, data)          # a DuckDB file with events/users/accounts
    load_postgres(url, data)         # the same tables in PostgreSQL (jsonb, timestamptz)
    rows = data.table_rows("events") # plain tuples (JSON as text) for other engines
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "COLUMNS",
    "FixtureData",
    "Event",
    "generate",
    "load_duckdb",
    "load_postgres",
]

START = dt.datetime(2024, 2, 26)
DAYS = 50
HOSTILE = "web'); DROP TABLE events; --"
COLUMNS = {
    "events": (
        "message_id",
        "event",
        "user_id",
        "anonymous_id",
        "account_id",
        "timestamp",
        "received_at",
        "properties",
        "source_id",
    ),
    "users": ("user_id", "traits", "first_seen_at", "updated_at"),
    "accounts": ("account_id", "traits", "updated_at"),
}


@dataclass(frozen=True)
class Event:
    message_id: str
    event: str
    user_id: str | None
    anonymous_id: str | None
    account_id: str | None
    timestamp: dt.datetime  # naive UTC
    properties: dict[str, Any]


@dataclass
class FixtureData:
    events: list[Event] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user_id -> traits
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # account_id -> traits

    def table_rows(self, table: str) -> list[tuple[Any, ...]]:
        """Rows in ``COLUMNS[table]`` order; JSON as text, timestamps naive UTC."""
        if table == "events":
            return [
                (
                    e.message_id,
                    e.event,
                    e.user_id,
                    e.anonymous_id,
                    e.account_id,
                    e.timestamp,
                    e.timestamp + dt.timedelta(seconds=2),
                    json.dumps(e.properties),
                    1,
                )
                for e in self.events
            ]
        if table == "users":
            return [(u, json.dumps(t), START, START) for u, t in self.users.items()]
        return [(a, json.dumps(t), START) for a, t in self.accounts.items()]


_ACCOUNTS = {
    "acct_1": {"name": "Acme", "plan": "pro", "segment": "smb", "arr_cents": 1_200_000},
    "acct_2": {"name": "Globex", "plan": "enterprise", "segment": "ent", "arr_cents": 9_900_000},
    "acct_3": {"name": "Initech", "plan": "free", "segment": "smb", "arr_cents": 0},
    "acct_4": {"name": "Umbrella", "plan": "pro", "segment": "mid", "arr_cents": 4_800_000},
    "acct_5": {"name": "Hooli", "segment": "mid", "arr_cents": 100},  # no plan trait
    "acct_6": {"name": "Vandelay", "plan": "enterprise", "segment": "ent", "arr_cents": 25_000_000},
}


def _users(rng: random.Random) -> dict[str, dict[str, Any]]:
    users = {}
    for i in range(1, 31):
        traits: dict[str, Any] = {"role": rng.choice(["admin", "member", "member", "viewer"])}
        if i % 7:
            traits["country"] = rng.choice(["FR", "US", "DE", "JP"])
        users[f"u_{i}"] = traits
    return users


def _moment(rng: random.Random, day: int) -> dt.datetime:
    """A time on ``day``; a third of them within 90 minutes of UTC midnight."""
    base = START + dt.timedelta(days=day)
    if rng.random() < 0.33:
        return base + dt.timedelta(minutes=rng.randint(-90, 90), seconds=rng.randint(0, 59))
    return base + dt.timedelta(seconds=rng.randint(0, 86399))


def _props(rng: random.Random, name: str, index: int) -> dict[str, Any]:
    platform = rng.choice(["web", "web", "ios", "android"])
    if name == "Page Viewed":
        props: dict[str, Any] = {"path": rng.choice(["/", "/reports", "/billing"])}
        if index % 11:
            props["platform"] = HOSTILE if index % 97 == 0 else platform
        if index % 5 == 0:
            props["it's"] = rng.choice(["yes", "no"])
        return props
    if name == "Report Exported":
        props = {"rows": rng.choice([10, 50, 101, 250, 5000])}
        if index % 9:
            props["format"] = rng.choice(["csv", "pdf", "xlsx"])
        return props
    if name == "Order Completed":
        props = {
            "amount_cents": rng.choice([999, 1999, 4900, 12_345, 250_000]),
            "currency": rng.choice(["EUR", "USD"]),
        }
        if index % 4 == 0:
            props["coupon"] = "SPRING"
        return props
    return {"platform": platform, "plan": rng.choice(["free", "pro"])}


def generate(seed: int = 7) -> FixtureData:
    """The fixture data set; the same seed always gives the same rows."""
    rng = random.Random(seed)
    data = FixtureData(users=_users(rng), accounts=dict(_ACCOUNTS))
    people = [*data.users, "u_31", "u_32"]  # two users never identified
    account_of = {u: rng.choice([*_ACCOUNTS, "acct_7", None]) for u in people}
    index = 0
    for user in people:
        first_day = rng.randint(0, DAYS - 20)
        signed = _moment(rng, first_day)
        data.events.append(_event(rng, index, "Signed Up", user, account_of[user], signed))
        index += 1
        for _ in range(rng.randint(5, 45)):
            day = min(DAYS - 1, first_day + int(rng.expovariate(1 / 8)))
            name = rng.choices(
                ["Page Viewed", "Report Exported", "Order Completed"], weights=[8, 3, 1]
            )[0]
            data.events.append(_event(rng, index, name, user, account_of[user], _moment(rng, day)))
            index += 1
    for visitor in range(12):
        for _ in range(rng.randint(1, 6)):
            moment = _moment(rng, rng.randint(0, DAYS - 1))
            event = _event(rng, index, "Page Viewed", None, None, moment)
            data.events.append(
                Event(
                    event.message_id,
                    event.event,
                    None,
                    f"anon_{visitor}",
                    None,
                    moment,
                    event.properties,
                )
            )
            index += 1
    data.events.sort(key=lambda e: (e.timestamp, e.message_id))
    return data


def _event(
    rng: random.Random,
    index: int,
    name: str,
    user: str | None,
    account: str | None,
    moment: dt.datetime,
) -> Event:
    anonymous = f"anon_u{index % 3}" if index % 13 == 0 else None
    return Event(
        f"msg_{index:05d}", name, user, anonymous, account, moment, _props(rng, name, index)
    )


_DUCKDB_DDL = {
    "events": (
        "message_id VARCHAR PRIMARY KEY, event VARCHAR NOT NULL, user_id VARCHAR, "
        "anonymous_id VARCHAR, account_id VARCHAR, timestamp TIMESTAMP NOT NULL, "
        "received_at TIMESTAMP NOT NULL, properties JSON, source_id INTEGER"
    ),
    "users": (
        "user_id VARCHAR PRIMARY KEY, traits JSON, first_seen_at TIMESTAMP, updated_at TIMESTAMP"
    ),
    "accounts": "account_id VARCHAR PRIMARY KEY, traits JSON, updated_at TIMESTAMP",
}

_POSTGRES_DDL = {
    "events": (
        "message_id text PRIMARY KEY, event text NOT NULL, user_id text, anonymous_id text, "
        "account_id text, timestamp timestamptz NOT NULL, received_at timestamptz NOT NULL, "
        "properties jsonb, source_id integer"
    ),
    "users": (
        "user_id text PRIMARY KEY, traits jsonb, first_seen_at timestamptz, updated_at timestamptz"
    ),
    "accounts": "account_id text PRIMARY KEY, traits jsonb, updated_at timestamptz",
}


def load_duckdb(path: Path | str, data: FixtureData) -> None:
    """Create ``events``/``users``/``accounts`` in the DuckDB file ``path`` (naive UTC, JSON)."""
    import duckdb

    with duckdb.connect(str(path)) as connection:
        for table, ddl in _DUCKDB_DDL.items():
            connection.execute(f"CREATE TABLE {table} ({ddl})")
            marks = ", ".join("?" for _ in COLUMNS[table])
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", data.table_rows(table))


def load_postgres(url: str, data: FixtureData) -> None:
    """Create the tables in the PostgreSQL database at ``url`` (jsonb, timestamptz in UTC)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        with connection.cursor() as cursor:
            for table, ddl in _POSTGRES_DDL.items():
                cursor.execute(f"CREATE TABLE {table} ({ddl})")  # type: ignore[arg-type]
                marks = ", ".join("%s" for _ in COLUMNS[table])
                rows = [_aware(row) for row in data.table_rows(table)]
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # type: ignore[arg-type]
        connection.commit()


def _aware(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v.replace(tzinfo=dt.UTC) if isinstance(v, dt.datetime) else v for v in row)
