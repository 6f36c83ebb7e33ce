"""Named warehouse connections, defined as code in ``connections.yaml``.

The file lives in the data folder (``<PILOTHOUSE_HOME>/connections.yaml``) unless a
setting points elsewhere, and is reviewed like the metric files::

    version: 1
    connections:
      - name: analytics
        kind: clickhouse
        url: https://reader:${CLICKHOUSE_PASSWORD}@clickhouse.internal:8443/analytics
        description: Product events replicated from Kafka
        options:
          send_receive_timeout: 120
        schema:
          events: {table: product_events, columns: {timestamp: event_time}}

``${NAME}`` is replaced by the environment variable ``NAME`` (``$$`` is a literal
``$``), after the YAML is parsed, so a secret can never change the file's structure.
Secrets are never shown back: :meth:`Connection.describe` shows the file's own text,
in which ``${NAME}`` references stay unexpanded and literal passwords, tokens and
keys are masked.

Every problem names the file, the line and the field, like the metric files; a file
with problems raises :class:`ConnectionConfigError` listing all of them.

Kinds ``trino``, ``bigquery`` and ``snowflake`` are SQL generation only: they can be
declared (so ``pilothouse metrics compile --dialect`` knows their dialect and schema
mapping), but :func:`open_warehouse` raises ``UnsupportedError`` for them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pilothouse.core.errors import NotFound, ValidationFailed
from pilothouse.metrics.compiler.schema import SchemaError, WarehouseSchema
from pilothouse.metrics.definitions.errors import DefinitionProblem, did_you_mean
from pilothouse.metrics.definitions.fields import Section
from pilothouse.metrics.definitions.loader import load_yaml
from pilothouse.metrics.definitions.model import Location
from pilothouse.metrics.warehouses.base import WarehouseAdapter
from pilothouse.metrics.warehouses.errors import UnsupportedError
from pilothouse.metrics.warehouses.registry import adapter_class, create_adapter

__all__ = [
    "CONNECTIONS_FILE",
    "CONNECTION_NAME",
    "KINDS",
    "Connection",
    "ConnectionCatalog",
    "ConnectionConfigError",
    "KindInfo",
    "UnknownConnection",
    "WarehouseKind",
    "default_connections_path",
    "interpolate",
    "load_connections",
    "mask_url",
    "open_warehouse",
    "parse_connections",
    "schema_for",
]

CONNECTIONS_FILE = "connections.yaml"
CONNECTION_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
MASK = "***"

#: Option and URL-parameter names whose values are secrets.
SECRET_NAME = re.compile(r"pass|secret|token|key|credential|auth|private|signature", re.I)

_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|(\$)|(\{[^}]*\}?))")
_ONLY_REFERENCES = re.compile(r"(?:\$\{[A-Za-z_][A-Za-z0-9_]*\})+")
_OPTION_IN_MESSAGE = re.compile(r"option '([^']+)'")
_ROOT_KEYS = ("version", "connections")
_CONNECTION_KEYS = ("name", "kind", "url", "description", "options", "schema")


class WarehouseKind(StrEnum):
    """The warehouse engines a connection can point at."""

    DUCKDB = "duckdb"
    POSTGRES = "postgres"
    CLICKHOUSE = "clickhouse"
    SPARK = "spark"
    TRINO = "trino"
    BIGQUERY = "bigquery"
    SNOWFLAKE = "snowflake"


@dataclass(frozen=True)
class KindInfo:
    """What Pilothouse knows about one kind of warehouse."""

    dialect: str
    """The sqlglot dialect the compiler writes for it."""
    schemes: tuple[str, ...]
    """URL schemes accepted in ``url`` (Spark masters such as ``local[2]`` are listed too)."""
    executable: bool
    """True when Pilothouse runs queries there; False for SQL generation only."""


KINDS: dict[WarehouseKind, KindInfo] = {
    WarehouseKind.DUCKDB: KindInfo("duckdb", ("duckdb",), True),
    WarehouseKind.POSTGRES: KindInfo(
        "postgres", ("postgresql", "postgres", "postgresql+psycopg"), True
    ),
    WarehouseKind.CLICKHOUSE: KindInfo(
        "clickhouse", ("http", "https", "clickhouse", "clickhouses", "chdb"), True
    ),
    WarehouseKind.SPARK: KindInfo("spark", ("local", "spark", "yarn", "k8s"), True),
    WarehouseKind.TRINO: KindInfo("trino", ("trino", "http", "https"), False),
    WarehouseKind.BIGQUERY: KindInfo("bigquery", ("bigquery",), False),
    WarehouseKind.SNOWFLAKE: KindInfo("snowflake", ("snowflake",), False),
}


class ConnectionConfigError(ValidationFailed):
    """``connections.yaml`` is invalid; ``problems`` lists every problem with its line."""

    code = "connection-config-error"
    title = "Invalid warehouse connections"

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "no details"
        count = len(self.problems)
        detail = first if count == 1 else f"{count} problems in connections; first: {first}"
        super().__init__(detail, errors=[p.as_field_error() for p in self.problems])


class UnknownConnection(NotFound):
    code = "unknown-connection"
    title = "Unknown warehouse connection"


@dataclass(frozen=True)
class Connection:
    """One named warehouse connection, with secrets already interpolated.

    ``url`` and ``options`` hold the real values (secrets included) and are kept out
    of ``repr``; show :meth:`describe` to people and logs instead.
    """

    name: str
    kind: WarehouseKind
    url: str = field(repr=False)
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    schema: WarehouseSchema = field(default_factory=WarehouseSchema)
    description: str = ""
    location: Location | None = None
    raw_url: str = field(default="", repr=False)
    raw_options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    raw_schema: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def dialect(self) -> str:
        """The sqlglot dialect name of this connection's SQL."""
        return KINDS[self.kind].dialect

    @property
    def executable(self) -> bool:
        """Whether Pilothouse can run queries here (False: SQL generation only)."""
        return KINDS[self.kind].executable

    def describe(self) -> dict[str, Any]:
        """The connection as people may see it: no secret, ``${NAME}`` left unexpanded."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "dialect": self.dialect,
            "executable": self.executable,
            "url": mask_url(self.raw_url or self.url),
            "options": _mask_options(self.raw_options or self.options),
            "schema": dict(self.raw_schema) if self.raw_schema else None,
            "description": self.description,
            "defined_at": str(self.location) if self.location else None,
        }


@dataclass(frozen=True)
class ConnectionCatalog:
    """Every connection of one file, by name."""

    file: str
    connections: Mapping[str, Connection] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Connection]:
        return iter(self.connections.values())

    def __len__(self) -> int:
        return len(self.connections)

    def __contains__(self, name: object) -> bool:
        return name in self.connections

    def get(self, name: str) -> Connection:
        """The connection called ``name``.

        Raises:
            UnknownConnection: naming the file and the closest existing name.
        """
        try:
            return self.connections[name]
        except KeyError:
            hint = did_you_mean(name, self.connections)
            raise UnknownConnection(
                f"unknown warehouse connection {name!r} (not defined in {self.file}){hint}"
            ) from None

    def describe(self) -> list[dict[str, Any]]:
        return [connection.describe() for connection in self]


def default_connections_path(home: Path) -> Path:
    """``<home>/connections.yaml``: where connections live unless a setting says otherwise."""
    return home / CONNECTIONS_FILE


def load_connections(path: Path, environ: Mapping[str, str] | None = None) -> ConnectionCatalog:
    """Read and validate a connections file; a missing file means no connections.

    Args:
        path: the YAML file.
        environ: variables for ``${NAME}`` references (default: the process environment).

    Returns:
        The catalog of connections.

    Raises:
        ConnectionConfigError: listing every problem with file, line and field.
    """
    if not path.exists():
        return ConnectionCatalog(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = DefinitionProblem(str(path), None, "(file)", f"cannot read the file: {exc}")
        raise ConnectionConfigError([problem]) from exc
    return parse_connections(text, str(path), environ)


def parse_connections(
    text: str, file: str, environ: Mapping[str, str] | None = None
) -> ConnectionCatalog:
    """Validate the text of a connections file (see :func:`load_connections`)."""
    env = os.environ if environ is None else environ
    doc, problems = load_yaml(text, file)
    connections: dict[str, Connection] = {}
    if doc is not None:
        root = Section(doc, (), doc.data if isinstance(doc.data, dict) else {}, problems)
        if not isinstance(doc.data, dict):
            root.problem(None, "a connections file must be a mapping with 'connections'")
        else:
            root.check_keys(_ROOT_KEYS, "a connections file")
            if root.has("version") and root.raw("version") != 1:
                root.problem("version", "only version 1 is supported")
            connections = _parse_list(root, env)
    if problems:
        raise ConnectionConfigError(sorted(problems, key=lambda p: p.line or 0))
    return ConnectionCatalog(file, connections)


def _parse_list(root: Section, env: Mapping[str, str]) -> dict[str, Connection]:
    items = root.raw("connections", [])
    if not isinstance(items, list):
        root.problem("connections", "'connections' must be a list")
        return {}
    connections: dict[str, Connection] = {}
    first_lines: dict[str, int | None] = {}
    for index, item in enumerate(items):
        section = root.child("connections", {}).mapping(index, item)
        if section is None:
            continue
        name = section.raw("name")
        if isinstance(name, str) and name in first_lines:
            where = f"{section.doc.file}:{first_lines[name]}"
            section.problem("name", f"duplicate connection {name!r} (first at {where})")
            continue
        if isinstance(name, str):
            first_lines[name] = section.doc.line(section.path)
        connection = _parse_connection(section, env)
        if connection is not None:
            connections[connection.name] = connection
    return connections


def _parse_connection(section: Section, env: Mapping[str, str]) -> Connection | None:
    mark = len(section.problems)
    section.check_keys(_CONNECTION_KEYS, "a connection")
    name = section.pattern("name", CONNECTION_NAME, "a lower-case name", required=True)
    kind = section.choice("kind", WarehouseKind)
    raw_url = section.text("url", required=True)
    url = _expand(section, "url", raw_url, env)
    url_ok = kind is not None and bool(url) and _check_url(section, kind, url)
    raw_options = _options(section)
    options = {
        key: _expand(section.child("options", {}), key, value, env)
        for key, value in raw_options.items()
    }
    raw_schema, schema = _schema(section, kind)
    description = section.text("description")
    if not name or kind is None or not url_ok:
        return None
    _check_adapter(section, kind, name, url, options)
    if len(section.problems) > mark:
        return None
    return Connection(
        name=name,
        kind=kind,
        url=url,
        options=options,
        schema=schema,
        raw_schema=raw_schema,
        description=description,
        location=Location(section.doc.file, section.doc.line(section.path)),
        raw_url=raw_url,
        raw_options=raw_options,
    )


def _options(section: Section) -> dict[str, Any]:
    value = section.raw("options", {})
    options = section.mapping("options", value if value is not None else {})
    if options is None:
        return {}
    result: dict[str, Any] = {}
    for key, item in options.data.items():
        if isinstance(item, dict):
            nested = options.mapping(key, item)
            if nested is not None and all(_scalar(v, nested, k) for k, v in item.items()):
                result[key] = dict(item)
        elif _scalar(item, options, key):
            result[key] = item
    return result


def _scalar(value: Any, section: Section, key: str) -> bool:
    if isinstance(value, str | int | float | bool):
        return True
    section.problem(key, f"option {key!r} must be a string, number or true/false")
    return False


def _schema(
    section: Section, kind: WarehouseKind | None
) -> tuple[dict[str, Any] | None, WarehouseSchema]:
    """The ``schema`` mapping as written, and the :class:`WarehouseSchema` it gives.

    Unset keys keep the kind's defaults (JSON storage, timestamps with a zone).
    """
    value = section.raw("schema")
    raw = None
    if value is not None:
        mapping = section.mapping("schema", value)
        raw = dict(mapping.data) if mapping is not None else None
    if kind is None:
        return raw, WarehouseSchema()
    try:
        return raw, schema_for(kind, raw)
    except SchemaError as exc:
        section.problem("schema", exc.detail)
        return raw, WarehouseSchema()


def schema_for(kind: WarehouseKind | str, overrides: Mapping[str, Any] | None) -> WarehouseSchema:
    """The kind's default :class:`WarehouseSchema` with ``overrides`` (a ``schema:`` mapping).

    Raises:
        SchemaError: an unknown table, column or key in ``overrides``.
    """
    adapter = adapter_class(str(kind))
    defaults: dict[str, Any] = {
        "json_storage": adapter.JSON_STORAGE.value,
        "timestamps_with_time_zone": adapter.TIMESTAMPS_WITH_TIME_ZONE,
    }
    return WarehouseSchema.from_mapping({**defaults, **(overrides or {})})


def _check_adapter(
    section: Section, kind: WarehouseKind, name: str, url: str, options: Mapping[str, Any]
) -> None:
    """Let the adapter check its URL and options now (adapters connect only on use)."""
    try:
        create_adapter(kind.value, name, url, options)
    except UnsupportedError as exc:
        named = _OPTION_IN_MESSAGE.search(exc.detail)
        if named and named.group(1) in options:
            section.child("options", {}).problem(named.group(1), exc.detail)
        else:
            section.problem("options" if "option" in exc.detail else "url", exc.detail)


def _expand(section: Section, key: str, value: Any, env: Mapping[str, str]) -> Any:
    """Interpolate ``value`` (recursively for one-level mappings), reporting problems."""
    if isinstance(value, dict):
        child = section.child(key, value)
        return {k: _expand(child, k, v, env) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    try:
        return interpolate(value, env)
    except KeyError as exc:
        section.problem(key, f"environment variable {exc.args[0]} is not set")
    except ValueError as exc:
        section.problem(key, str(exc))
    return ""


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` with ``environ[NAME]`` and ``$$`` with ``$``.

    Args:
        text: a string from the connections file.
        environ: the variables.

    Returns:
        The expanded text. Values are inserted as they are, never expanded again.

    Raises:
        KeyError: with the variable name, when a variable is not set.
        ValueError: on a malformed reference such as ``${1X}`` or ``${NAME``.

    >>> interpolate("postgresql://app:${PGPASS}@db/x", {"PGPASS": "s3cr$t"})
    'postgresql://app:s3cr$t@db/x'
    >>> interpolate("cost: $$5", {})
    'cost: $5'
    """

    def replace(match: re.Match[str]) -> str:
        name, dollar, bad = match.groups()
        if dollar:
            return "$"
        if bad is not None:
            raise ValueError(f"malformed reference ${bad}: use ${{NAME}} or $$ for a dollar sign")
        if name not in environ:
            raise KeyError(name)
        return environ[name]

    return _REFERENCE.sub(replace, text)


def _check_url(section: Section, kind: WarehouseKind, url: str) -> bool:
    scheme = _scheme(url)
    schemes = KINDS[kind].schemes
    if scheme in schemes:
        return True
    accepted = ", ".join(f"{s}:" for s in schemes)
    shown = f"{scheme}:" if scheme else "no scheme"
    section.problem("url", f"a {kind.value} url must start with {accepted} (got {shown})")
    return False


def _scheme(url: str) -> str:
    """The URL scheme, lower-cased; a Spark master such as ``local[4]`` gives ``local``."""
    head = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)(?::|\[|$)", url.strip())
    return head.group(1).lower() if head else ""


def _is_reference(value: str) -> bool:
    return bool(_ONLY_REFERENCES.fullmatch(value))


def mask_url(url: str) -> str:
    """The URL with its password and secret query parameters masked.

    A password or parameter that is only ``${NAME}`` references is left as it is:
    the reference is not the secret.

    >>> mask_url("postgresql://app:hunter2@db:5432/analytics?sslmode=require")
    'postgresql://app:***@db:5432/analytics?sslmode=require'
    >>> mask_url("https://u:${CH_PASSWORD}@ch:8443/db?access_token=abc")
    'https://u:${CH_PASSWORD}@ch:8443/db?access_token=***'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, password = userinfo.partition(":")
        if sep and not _is_reference(password):
            password = MASK
        netloc = f"{user}{sep}{password}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        masked = [(k, _mask_value(k, v)) for k, v in pairs]
        query = urlencode(masked, safe="*${}")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _mask_value(key: str, value: Any) -> Any:
    if SECRET_NAME.search(key) and not (isinstance(value, str) and _is_reference(value)):
        return MASK
    return value


def _mask_options(options: Mapping[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, Mapping):
            masked[key] = _mask_options(value)
        elif isinstance(value, str) and re.search(r"://", value):
            masked[key] = mask_url(_mask_value(key, value))
        else:
            masked[key] = _mask_value(key, value)
    return masked


def open_warehouse(connection: Connection) -> WarehouseAdapter:
    """The adapter that runs queries on ``connection`` (nothing is opened until a query).

    Raises:
        UnsupportedError: for SQL-generation-only kinds (trino, bigquery, snowflake),
            naming the kind and how to get their SQL instead.
    """
    if not connection.executable:
        kind = connection.kind.value
        raise UnsupportedError(
            f"warehouse {connection.name!r} is a {kind} connection: Pilothouse generates SQL "
            f"for {kind} but does not run it; compile a metric with "
            f"`pilothouse metrics compile NAME --dialect {connection.dialect}` and run the SQL "
            "in your warehouse"
        )
    return create_adapter(
        connection.kind.value, connection.name, connection.url, connection.options
    )
