"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 on a free port, keeping what it gets.

The ``smtp_server`` fixture (import ``smtp_server_fixture`` to use it) starts one per
test; ``SmtpServer.messages`` are the parsed messages (``email.message.EmailMessage``).
``refuse_next`` makes the server answer the next deliveries with a temporary failure,
to test retries.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.served_app import free_port

__all__ = ["SmtpServer", "smtp_server_fixture"]


class _Handler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.refuse_next = 0
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append(envelope)
        return "250 OK"


class SmtpServer:
    def __init__(self, handler: _Handler, port: int) -> None:
        self.handler = handler
        self.host = "127.0.0.1"
        self.port = port

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def refuse_next(self, count: int) -> None:
        self.handler.refuse_next = count

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """The messages once ``count`` arrived (jobs send from other threads)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} of {count} e-mails arrived")
            time.sleep(0.05)
        return self.messages

    def settings(self) -> dict[str, object]:
        """Settings overrides that send to this server."""
        return {"smtp_host": self.host, "smtp_port": self.port, "smtp_security": "none"}


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    handler = _Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()
