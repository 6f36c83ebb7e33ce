"""The objects one running installation shares: settings, database, hashers.

Built once by the CLI or ``create_app`` from a :class:`Settings`; nothing here is
global, so several runtimes (say, one per test) can live in one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from pilothouse.core.config import Settings
from pilothouse.core.db import Database, PoolLimits
from pilothouse.core.security import PasswordPolicy, SecretHasher

if TYPE_CHECKING:
    from pilothouse.metrics.service import ConnectionsRegistry, MetricsRegistry
    from pilothouse.metrics.store import EventStore
    from pilothouse.metrics.store_client import RemoteEventStore

__all__ = ["Runtime"]


@dataclass
class Runtime:
    settings: Settings
    database: Database

    def __post_init__(self) -> None:
        # Sessions carry their runtime, so work queued inside a transaction (the e-mail
        # jobs of notifications) can be handed to the job queue once it commits.
        self.database.sessionmaker.configure(info={"runtime": self})

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        settings.ensure_home()
        pool = PoolLimits(
            size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            timeout=settings.database_pool_timeout_seconds,
        )
        return cls(settings=settings, database=Database(settings.effective_database_url, pool=pool))

    @cached_property
    def passwords(self) -> PasswordPolicy:
        return PasswordPolicy(
            min_length=self.settings.password_min_length,
            time_cost=self.settings.argon2_time_cost,
            memory_kib=self.settings.argon2_memory_kib,
        )

    @cached_property
    def secrets(self) -> SecretHasher:
        return SecretHasher(self.settings.resolved_secret_key())

    @cached_property
    def event_store(self) -> EventStore | RemoteEventStore:
        """The embedded DuckDB event store, opened on first use.

        A worker of ``pilothouse serve --workers N`` reaches the store through the
        serving process, which owns the file (DuckDB admits one writing process).
        """
        if self.settings.event_store_socket is not None:
            from pilothouse.metrics.store_client import RemoteEventStore

            socket = self.settings.event_store_socket
            return RemoteEventStore(socket, self.settings.effective_events_path)
        from pilothouse.metrics.store import EventStore

        return EventStore(self.settings.effective_events_path)

    @cached_property
    def metrics(self) -> MetricsRegistry:
        """The metric catalog from the metrics folder, reloaded when files change."""
        from pilothouse.metrics.service import MetricsRegistry

        return MetricsRegistry(self.settings.effective_metrics_path)

    @cached_property
    def connections(self) -> ConnectionsRegistry:
        """Named warehouse connections from the connections file."""
        from pilothouse.metrics.service import ConnectionsRegistry

        return ConnectionsRegistry(self.settings.effective_connections_path)

    def close(self) -> None:
        if "connections" in self.__dict__:
            self.connections.close()
        if "event_store" in self.__dict__:
            self.event_store.close()
        self.database.dispose()
