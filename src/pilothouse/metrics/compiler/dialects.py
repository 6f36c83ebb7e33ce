"""What differs per SQL dialect beyond what sqlglot transpiles for us.

sqlglot renders most of the tree correctly for every engine, but a few meanings it
cannot infer: how a UTC timestamp becomes wall-clock time in a zone, how to write a
UTC timestamp literal, how to add seconds to a timestamp, and how to read a JSON
scalar from the way a warehouse stores JSON. Each dialect gets a
:class:`DialectRules` with those four builders; everything returns sqlglot nodes,
so quoting and escaping stay with sqlglot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from pilothouse.metrics.compiler.schema import JsonStorage

__all__ = ["DIALECTS", "DialectRules", "rules_for"]


def _s(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _utc_text(moment: dt.datetime, aware: bool) -> str:
    text = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}+00:00" if aware else text


# -- wall-clock time in a zone, from a UTC timestamp ---------------------------------


def _local_at_time_zone(ts: exp.Expression, zone: str, aware: bool) -> exp.Expression:
    """PostgreSQL and DuckDB: ``ts AT TIME ZONE 'UTC' AT TIME ZONE zone`` (naive UTC)."""
    if not aware and zone == "UTC":
        return ts
    utc = ts if aware else exp.AtTimeZone(this=ts, zone=_s("UTC"))
    return exp.AtTimeZone(this=utc, zone=_s(zone))


def _local_trino(ts: exp.Expression, zone: str, aware: bool) -> exp.Expression:
    if not aware and zone == "UTC":
        return ts
    utc = ts if aware else _fn("WITH_TIMEZONE", ts, _s("UTC"))
    return exp.cast(_fn("AT_TIMEZONE", utc, _s(zone)), "timestamp")


def _local_bigquery(ts: exp.Expression, zone: str, aware: bool) -> exp.Expression:
    """``DATETIME(timestamp, zone)``; a DATETIME column is first read as UTC."""
    if not aware and zone == "UTC":
        return ts
    instant = ts if aware else _fn("TIMESTAMP", ts, _s("UTC"))
    return _fn("DATETIME", instant, _s(zone))


def _local_snowflake(ts: exp.Expression, zone: str, aware: bool) -> exp.Expression:
    if not aware and zone == "UTC":
        return ts
    if aware:
        return exp.cast(_fn("CONVERT_TIMEZONE", _s(zone), ts), "timestamp")
    return _fn("CONVERT_TIMEZONE", _s("UTC"), _s(zone), ts)


def _local_spark(ts: exp.Expression, zone: str, aware: bool) -> exp.Expression:  # noqa: ARG001
    """Spark timestamps are instants shown in the session zone, which must be UTC."""
    return ts if zone == "UTC" else _fn("FROM_UTC_TIMESTAMP", ts, _s(zone))


def _local_clickhouse(ts: exp.Expression, zone: str, aware: bool) -> exp.Expression:  # noqa: ARG001
    """``toTimeZone`` changes the zone in which toDate/dateTrunc read a DateTime."""
    return _fn("toTimeZone", ts, _s(zone))


# -- UTC timestamp literals ------------------------------------------------------------


def _literal_cast(moment: dt.datetime, aware: bool) -> exp.Expression:
    kind = "timestamptz" if aware else "timestamp"
    return exp.cast(_s(_utc_text(moment, aware)), kind)


def _literal_clickhouse(moment: dt.datetime, aware: bool) -> exp.Expression:  # noqa: ARG001
    text = _utc_text(moment, False)
    return _fn("toDateTime64", _s(text), exp.Literal.number(6), _s("UTC"))


# -- timestamp + N seconds -----------------------------------------------------------


def _add_seconds(ts: exp.Expression, seconds: int) -> exp.Expression:
    return exp.TimestampAdd(this=ts, expression=exp.Literal.number(seconds), unit=exp.var("SECOND"))


def _add_seconds_spark(ts: exp.Expression, seconds: int) -> exp.Expression:
    return _fn("TIMESTAMPADD", exp.var("SECOND"), exp.Literal.number(seconds), ts)


def _add_seconds_clickhouse(ts: exp.Expression, seconds: int) -> exp.Expression:
    return _fn("addSeconds", ts, exp.Literal.number(seconds))


# -- a JSON scalar as text ---------------------------------------------------------------


def _json_path(key: str) -> exp.JSONPath:
    return exp.JSONPath(expressions=[exp.JSONPathRoot(), exp.JSONPathKey(this=key)])


def _json_text(column: exp.Expression, key: str, storage: JsonStorage) -> exp.Expression:  # noqa: ARG001
    return exp.JSONExtractScalar(this=column, expression=_json_path(key), only_json_types=True)


def _json_text_postgres(column: exp.Expression, key: str, storage: JsonStorage) -> exp.Expression:
    """``->>`` works on json and jsonb; JSON kept in text columns is cast to jsonb first."""
    source = exp.cast(column, "jsonb") if storage is JsonStorage.TEXT else column
    return exp.JSONExtractScalar(this=source, expression=_json_path(key), only_json_types=True)


def _json_text_spark(column: exp.Expression, key: str, storage: JsonStorage) -> exp.Expression:  # noqa: ARG001
    """``get_json_object`` paths have no escapes: ``$.key`` unless the key holds ``.``/``[``,
    then ``$['key']`` unless it also holds a quote, which Spark cannot address at all."""
    if not any(c in key for c in ".[]"):
        path = f"$.{key}"
    elif "'" not in key:
        path = f"$['{key}']"
    else:
        from pilothouse.metrics.compiler.query import QueryError

        raise QueryError(
            f"Spark cannot read the JSON key {key!r} (it holds both '.' or '[' and a quote)"
        )
    return _fn("GET_JSON_OBJECT", column, _s(path))


def _json_text_clickhouse(
    column: exp.Expression,
    key: str,
    storage: JsonStorage,  # noqa: ARG001
) -> exp.Expression:
    """``JSONExtract(..., 'Nullable(String)')`` is NULL for a missing key, like elsewhere."""
    return _fn("JSONExtract", column, _s(key), _s("Nullable(String)"))


@dataclass(frozen=True)
class DialectRules:
    """The per-dialect builders the compiler needs (see the module docstring)."""

    name: str
    local_time: Callable[[exp.Expression, str, bool], exp.Expression]
    timestamp_literal: Callable[[dt.datetime, bool], exp.Expression] = _literal_cast
    add_seconds: Callable[[exp.Expression, int], exp.Expression] = _add_seconds
    json_text: Callable[[exp.Expression, str, JsonStorage], exp.Expression] = _json_text


DIALECTS: dict[str, DialectRules] = {
    "duckdb": DialectRules("duckdb", _local_at_time_zone),
    "postgres": DialectRules("postgres", _local_at_time_zone, json_text=_json_text_postgres),
    "clickhouse": DialectRules(
        "clickhouse",
        _local_clickhouse,
        timestamp_literal=_literal_clickhouse,
        add_seconds=_add_seconds_clickhouse,
        json_text=_json_text_clickhouse,
    ),
    "spark": DialectRules(
        "spark", _local_spark, add_seconds=_add_seconds_spark, json_text=_json_text_spark
    ),
    "trino": DialectRules("trino", _local_trino),
    "bigquery": DialectRules("bigquery", _local_bigquery),
    "snowflake": DialectRules("snowflake", _local_snowflake),
}


def rules_for(dialect: str) -> DialectRules:
    """The rules of ``dialect``; ``postgresql`` is accepted as an alias of ``postgres``."""
    name = "postgres" if dialect == "postgresql" else dialect
    try:
        return DIALECTS[name]
    except KeyError:
        from pilothouse.metrics.compiler.query import QueryError

        supported = ", ".join(DIALECTS)
        raise QueryError(f"unsupported SQL dialect {dialect!r} (supported: {supported})") from None
