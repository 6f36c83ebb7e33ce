"""Settings: one table of every option, read from ``PILOTHOUSE_*`` environment variables.

Settings are never built at import time. The CLI and ``create_app`` build a
:class:`Settings` and pass it down, so that tests can run several isolated apps in
one process. ``docs/configuration.md`` documents every field; a test fails when a
field is missing there.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["OBSOLETE_SETTINGS", "SECRET_FIELDS", "SecretKeyError", "Settings", "load_secret_key"]

SECRET_KEY_FILE = "secret_key"
#: URL schemes ``jobs_broker_url`` accepts (Redis, or PostgreSQL through huey's storage).
JOB_BROKER_SCHEMES = ("redis://", "rediss://", "unix://", "postgres://", "postgresql")

#: Settings that were removed, mapped to what to do instead (none yet).
OBSOLETE_SETTINGS: dict[str, str] = {}

#: Fields whose values ``pilothouse config show`` masks.
SECRET_FIELDS = frozenset({"secret_key", "database_url", "smtp_password", "oidc_client_secret"})


class Settings(BaseSettings):
    """Every setting of a Pilothouse installation, with its default."""

    model_config = SettingsConfigDict(env_prefix="PILOTHOUSE_", extra="ignore")

    home: Path = Field(
        default=Path(".pilothouse"),
        description="Data folder: the SQLite database, the secret key and other local state.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database. Default: SQLite file "
        "`pilothouse.db` in the data folder (WAL mode). Production: `postgresql+psycopg://...`.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for signing and hashing secrets. Default: generated on first run "
        "and stored in `<home>/secret_key` with mode 0600.",
    )
    events_path: Path | None = Field(
        default=None,
        description="DuckDB file of the embedded event store. Default: `events.duckdb` in the "
        "data folder.",
    )
    metrics_path: Path | None = Field(
        default=None,
        description="Folder of metric definition YAML files (for example a git checkout). "
        "Default: `metrics/` in the data folder.",
    )
    connections_path: Path | None = Field(
        default=None,
        description="YAML file of named warehouse connections (secrets as ${ENV_VAR}). "
        "Default: `connections.yaml` in the data folder.",
    )
    query_timeout_seconds: float = Field(
        default=120.0, gt=0, description="Longest a metric query may run on a warehouse."
    )
    host: str = Field(default="127.0.0.1", description="Address `pilothouse serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `pilothouse serve` uses.")
    timezone: str = Field(
        default="UTC",
        description="Workspace time zone (IANA name) for display and for metric day boundaries.",
    )
    session_idle_minutes: int = Field(
        default=12 * 60, ge=5, description="A web session ends after this many idle minutes."
    )
    session_max_age_hours: int = Field(
        default=7 * 24, ge=1, description="A web session ends this many hours after sign-in."
    )
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Secure flag of the session cookie: `auto` sets it for HTTPS requests and "
        "for loopback hosts (browsers accept it there); `always` behind a TLS proxy.",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="Largest request body accepted; larger requests get 413.",
    )
    upload_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest file upload (feedback import page and API); bodies of those "
        "routes may exceed `max_body_bytes` up to this plus 64 KiB of form overhead.",
    )
    feedback_embedding: Literal["int8", "fp32"] = Field(
        default="int8",
        description="Feedback embedding arithmetic: `int8` (the smoothed int8 build of the "
        "packaged MiniLM, derived once into `<home>/models`) or `fp32` (the packaged model "
        "as it is: the exact vectors of earlier versions, slower on long texts).",
    )
    models_dir: Path | None = Field(
        default=None,
        description="Folder for model files Pilothouse derives from packaged ones (the int8 "
        "embedder); default `<home>/models`. Installations on one machine may share one: "
        "files are checked by hash and replaced atomically.",
    )
    ingest_max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest body of a tracking call (`/api/v1/track`, `/batch`, ...).",
    )
    ingest_max_requests_per_minute: int = Field(
        default=1200,
        ge=1,
        description="Tracking calls one write key may make per minute; more get 429.",
    )
    api_token_max_failures_per_ip: int = Field(
        default=20,
        ge=1,
        description="Requests with an unknown, revoked or expired API token or write key "
        "from one address within the sign-in window, after which that address gets 429.",
    )
    hsts_max_age_seconds: int = Field(
        default=365 * 24 * 3600,
        ge=0,
        description="`max-age` of the Strict-Transport-Security header sent on HTTPS "
        "responses; 0 sends none.",
    )
    max_concurrent_requests: int = Field(
        default=8,
        ge=0,
        description="Requests one server process works on at once; more wait for a slot "
        "(load shedding). 0: no limit.",
    )
    request_queue_seconds: float = Field(
        default=0.5,
        ge=0,
        description="Longest a request waits for a slot before it is answered 503.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes `pilothouse serve` starts; with more than one, the "
        "serve process itself owns the embedded event store and serves it to them.",
    )
    request_execution: Literal["auto", "threads", "inline"] = Field(
        default="auto",
        description="How a server process runs request handlers: `inline`, one after "
        "another on its event loop (the least CPU per request and no request slowed by "
        "its neighbours, but a long request holds up those behind it in its process); "
        "`threads`, side by side in a thread pool; `auto`, inline when `serve` starts "
        "more than one process, else threads.",
    )
    event_store_socket: Path | None = Field(
        default=None,
        description="Unix socket of the process that owns the embedded event store; set "
        "by `pilothouse serve --workers N` for its workers, not by hand.",
    )
    database_pool_size: int = Field(
        default=5, ge=1, description="Database connections each process keeps open."
    )
    database_max_overflow: int = Field(
        default=10, ge=0, description="Connections opened beyond the pool size under load."
    )
    database_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest a request waits for a database connection; then 503.",
    )
    login_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins per account within the window before a lock."
    )
    login_max_failures_per_ip: int = Field(
        default=20, ge=1, description="Failed sign-ins per client address within the window."
    )
    login_failure_window_minutes: int = Field(
        default=15, ge=1, description="Window in which failed sign-ins are counted."
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, description="How long an account, or a client address, stays locked."
    )
    password_min_length: int = Field(default=10, ge=8, description="Shortest accepted password.")
    argon2_time_cost: int = Field(
        default=3, ge=1, description="Argon2id iterations (RFC 9106 low-memory profile)."
    )
    argon2_memory_kib: int = Field(
        default=65536, ge=8192, description="Argon2id memory in KiB (lower only for tests)."
    )
    api_page_size: int = Field(
        default=50, ge=1, le=1000, description="Default page size of API lists."
    )
    api_max_page_size: int = Field(
        default=500, ge=1, description="Largest page size an API client may ask for."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level of the server."
    )
    spike_alerts_max_age_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="How old the home page's spike alerts may be: a view within this many "
        "seconds of the last check reuses its answer without asking whether feedback "
        "changed. 0 checks on every view.",
    )
    reload_templates: bool = Field(
        default=False,
        description="Re-read a page template when its file changed (development). Off, each "
        "template is read once per process; `pilothouse serve --reload` turns it on.",
    )
    jobs_mode: Literal["inprocess", "worker", "immediate"] = Field(
        default="inprocess",
        description="Who runs jobs: `inprocess` (threads in the web server), `worker` "
        "(`pilothouse jobs worker` processes) or `immediate` (synchronously at submit).",
    )
    jobs_broker_url: SecretStr | None = Field(
        default=None,
        description="Job queue: `redis://...` or `postgresql://...`. Default: the SQLite "
        "file `jobs-queue.db` in the data folder.",
    )
    jobs_workers: int = Field(
        default=2, ge=1, le=64, description="Threads that run jobs in each consumer."
    )
    jobs_stale_after_minutes: int = Field(
        default=15,
        ge=1,
        description="When a consumer starts, a running job silent this long is marked "
        "failed, and a job queued this long is queued again.",
    )
    playbooks_stale_after_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        description="A playbook whose last review is older than this many days is flagged "
        "stale on its page and listed on the playbooks page.",
    )

    public_url: str | None = Field(
        default=None,
        description="Address people open Pilothouse at (`https://pilothouse.example.com`), for "
        "links in e-mails. Default: `http://<host>:<port>`.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that sends notification e-mails. Default: none, so no e-mail "
        "is sent (in-app notifications still work).",
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="Port of the SMTP server (587 STARTTLS, 465 TLS)."
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="How the SMTP connection is protected: `starttls` (upgrade after "
        "connecting), `tls` (TLS from the start, port 465) or `none` (local relays only).",
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP user name; without it Pilothouse does not log in."
    )
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP password (masked in `pilothouse config show`)."
    )
    smtp_from: str = Field(
        default="Pilothouse <pilothouse@localhost>",
        description="Sender of notification e-mails (`Name <address>`).",
    )
    smtp_timeout_seconds: float = Field(
        default=15.0, gt=0, description="Longest wait for the SMTP server on each step."
    )
    smtp_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries per e-mail before its job is marked failed."
    )
    smtp_retry_seconds: float = Field(
        default=5.0,
        ge=0,
        description="Wait before the second try of an e-mail; each further wait doubles.",
    )

    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the OpenID provider for single sign-on (its discovery "
        "document is at `<issuer>/.well-known/openid-configuration`). Default: no SSO.",
    )
    oidc_client_id: str | None = Field(
        default=None, description="Client id of Pilothouse at the OpenID provider."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret (masked in `pilothouse config show`); unset for a public "
        "client that relies on PKCE alone.",
    )
    oidc_scopes: str = Field(
        default="openid email profile", description="Scopes asked for, separated by spaces."
    )
    oidc_display_name: str = Field(
        default="SSO", description="Name on the sign-in button: `Sign in with <name>`."
    )
    oidc_role_claim: str = Field(
        default="groups",
        description="ID-token claim with the person's groups or roles; dots reach into "
        "objects (`realm_access.roles`).",
    )
    oidc_role_map: str | None = Field(
        default=None,
        description="Groups to roles: `group=role, group=role` (roles admin, editor, viewer; "
        "the highest match wins).",
    )
    oidc_default_role: Literal["none", "viewer", "editor", "admin"] = Field(
        default="none",
        description="Role of a person none of whose groups is mapped; `none` refuses them.",
    )
    oidc_sso_only: bool = Field(
        default=False,
        description="Sign-in with a password is refused, except for the break-glass admin.",
    )
    oidc_break_glass_email: str | None = Field(
        default=None,
        description="The one admin who may still sign in with a password when SSO is the "
        "only way in.",
    )
    oidc_end_provider_session: bool = Field(
        default=False,
        description="Signing out of Pilothouse also signs out at the provider (its "
        "`end_session_endpoint`), not only of Pilothouse.",
    )
    oidc_clock_skew_seconds: int = Field(
        default=60, ge=0, le=600, description="Clock difference tolerated on ID-token times."
    )
    oidc_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Longest wait for the OpenID provider on each call."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer_url(cls, value: str | None) -> str | None:
        """HTTPS, as OpenID Connect requires; plain HTTP only on loopback (tests, laptops)."""
        if not value:
            return None
        loopback = ("http://127.0.0.1", "http://localhost", "http://[::1]")
        if not value.startswith("https://") and not value.startswith(loopback):
            raise ValueError("must start with https:// (http:// only for a loopback address)")
        return value.rstrip("/")

    @field_validator("jobs_broker_url")
    @classmethod
    def _known_broker(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(JOB_BROKER_SCHEMES):
            raise ValueError("must start with one of " + ", ".join(JOB_BROKER_SCHEMES))
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        """Accept the common ``postgres://`` spellings and pick the psycopg 3 driver."""
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value[len(prefix) :]
                break
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL; expected e.g. postgresql://user:password@host:5432/db"
            ) from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (use: openssl rand -base64 48)")
        return value

    @model_validator(mode="after")
    def _page_sizes_agree(self) -> Settings:
        if self.api_page_size > self.api_max_page_size:
            raise ValueError(
                "PILOTHOUSE_API_PAGE_SIZE must not exceed PILOTHOUSE_API_MAX_PAGE_SIZE"
            )
        return self

    @model_validator(mode="after")
    def _sso_is_complete(self) -> Settings:
        """SSO settings that cannot work stop the start, naming the setting to fix."""
        from pilothouse.core.sso.mapping import parse_role_map

        try:
            parse_role_map(self.oidc_role_map or "")
        except ValueError as exc:
            raise ValueError(f"PILOTHOUSE_OIDC_ROLE_MAP: {exc}") from None
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("PILOTHOUSE_OIDC_CLIENT_ID is needed with PILOTHOUSE_OIDC_ISSUER")
        if self.oidc_sso_only and not self.oidc_issuer:
            raise ValueError("PILOTHOUSE_OIDC_SSO_ONLY needs PILOTHOUSE_OIDC_ISSUER")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("PILOTHOUSE_OIDC_SCOPES must include 'openid'")
        return self

    @property
    def oidc_enabled(self) -> bool:
        """Whether single sign-on is configured (the sign-in page shows its button)."""
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def inline_requests(self) -> bool:
        """Whether request handlers run on the event loop (see ``request_execution``)."""
        if self.request_execution == "auto":
            # One process keeps threads, so a small team's server never stalls behind
            # a long report; several share that risk and use the cores better inline.
            return self.workers > 1
        return self.request_execution == "inline"

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the setting, or SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'pilothouse.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        """The base address for links in e-mails, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_events_path(self) -> Path:
        return self.events_path or self.home / "events.duckdb"

    @property
    def effective_metrics_path(self) -> Path:
        return self.metrics_path or self.home / "metrics"

    @property
    def effective_connections_path(self) -> Path:
        return self.connections_path or self.home / "connections.yaml"

    def ensure_home(self) -> Path:
        """Create the data folder if needed and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def resolved_secret_key(self) -> str:
        """The secret key from the setting, or the generated key file in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return load_secret_key(self.ensure_home())


class SecretKeyError(ValueError):
    """The secret key file cannot be used; the message says what to do."""


def load_secret_key(home: Path) -> str:
    """Read ``<home>/secret_key``, creating it with mode 0600 on first use.

    The key is written to a private temporary file, flushed, and then hard-linked
    into place: a second process starting at the same moment either wins that link
    or reads a complete key, never an empty file. A key readable by others is refused.
    """
    path = home / SECRET_KEY_FILE
    if path.exists():
        return _read_secret_key(path)
    key = secrets.token_urlsafe(48)
    fd, temporary = tempfile.mkstemp(dir=home, prefix=".secret_key.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read_secret_key(path)  # another process won; use its key
    finally:
        os.unlink(temporary)
    return key


def _read_secret_key(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(
            f"{path} is readable by other users (mode {mode:o}); run: chmod 600 {path}"
        )
    key = path.read_text().strip()
    if len(key) < 32:
        raise SecretKeyError(
            f"{path} holds no usable key (shorter than 32 characters); delete it to make a "
            "new one (API tokens and sessions made with the old key stop working)"
        )
    return key
