"""Webhook signing against the specification's published example, and the send limits:
non-public targets, the request body cap, the response cap and the read timeout.

Everything here talks to real sockets on 127.0.0.1; nothing is mocked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from pilothouse.automations import rules, webhooks
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import Delivery
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify

CLI = Actor.command_line()

#: The example of the Standard Webhooks specification's reference libraries: this
#: secret, id, timestamp and payload sign to exactly this ``webhook-signature``.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_PAYLOAD = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specifications_example() -> None:
    assert webhooks.sign([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD) == SPEC_SIGNATURE
    headers = webhooks.signed_headers([SPEC_SECRET], SPEC_ID, SPEC_PAYLOAD, SPEC_TIMESTAMP)
    assert headers["webhook-signature"] == SPEC_SIGNATURE
    assert headers["webhook-id"] == SPEC_ID and headers["webhook-timestamp"] == "1614265330"
    assert verify(SPEC_SECRET, headers, SPEC_PAYLOAD)  # the tests' own receiver agrees
    assert not verify(SPEC_SECRET, headers, SPEC_PAYLOAD + b" ")
    # During a rotation both signatures are sent; a receiver with either secret accepts.
    other = webhooks.new_secret()
    both = webhooks.sign([other, SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD)
    assert both.split(" ")[1] == SPEC_SIGNATURE and both.count("v1,") == 2


@pytest.mark.parametrize(
    "host",
    [
        "100.100.100.200",  # shared address space: a cloud metadata service lives here
        "100.64.0.1",
        "0.0.0.0",
        "198.18.0.1",
        "240.0.0.1",
        "224.0.0.1",
        "[::ffff:127.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[fd00::1]",
        "[fe80::1]",
        "[::]",
    ],
)
def test_every_non_public_address_is_refused_unless_an_admin_allows(host: str) -> None:
    url = f"http://{host}:8080/hook"
    with pytest.raises(webhooks.TargetRefused, match="private, loopback or link-local"):
        webhooks.check_target(url, allow_private=False)
    assert webhooks.check_target(url, allow_private=True)[1] == 8080


@pytest.mark.parametrize("host", ["8.8.8.8", "[2001:4860:4860::8888]"])
def test_public_addresses_pass(host: str) -> None:
    assert webhooks.check_target(f"https://{host}/hook", allow_private=False)[1] == 443


def test_a_body_over_the_cap_is_not_sent_and_not_retried(receiver: Receiver) -> None:
    headers = {"content-type": "application/json"}
    limit = webhooks.MAX_REQUEST_BYTES
    refused = webhooks.send(receiver.url, headers, b"x" * (limit + 1), allow_private=True)
    assert refused.status_code is None and refused.error is not None
    assert refused.error.startswith("refused:") and f"{limit + 1} bytes" in refused.error
    assert receiver.received == []
    sent = webhooks.send(receiver.url, headers, b"x" * limit, allow_private=True)
    assert sent.ok and len(receiver.received[0].body) == limit


class _Stalling:
    """Answers 200 with a promised 10 MB body, sends 1 MB of it, then stalls until told.

    A client that read the whole answer would wait for the rest and time out; one that
    stops after ``MAX_RESPONSE_BYTES`` returns at once with the status."""

    def __init__(self) -> None:
        self.release = threading.Event()
        stalling = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(200)
                self.send_header("content-length", str(10 * 1024 * 1024))
                self.end_headers()
                try:
                    self.wfile.write(b"y" * 1024 * 1024)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                stalling.release.wait(30)

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stalling() -> Iterator[_Stalling]:
    server = _Stalling()
    yield server
    server.close()


def test_only_the_start_of_an_answer_is_read(
    stalling: _Stalling, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "READ_TIMEOUT_SECONDS", 2.0)
    sent = webhooks.send(stalling.url, {}, b"{}", allow_private=True)
    assert sent.ok and sent.error is None, sent
    assert sent.excerpt == "y" * 500  # what the delivery log keeps


def test_a_receiver_that_does_not_answer_times_out_and_is_retried(
    runtime: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "READ_TIMEOUT_SECONDS", 0.5)
    receiver.hold = threading.Event()  # answers only when the test ends
    allow_private(runtime)
    with runtime.database.session() as session:
        rules.create_rule(
            session,
            CLI,
            {
                "name": "Everything to a slow hook",
                "trigger": "roadmap_item.created",
                "actions": [{"kind": "webhook", "url": receiver.url}],
            },
        )
    with runtime.database.session() as session:
        items.create_item(session, CLI, {"kind": "idea", "title": "Slow"})

    dispatch_once(runtime, run_now=True)

    with runtime.database.session() as session:
        [delivery] = session.scalars(select(Delivery)).all()
        assert delivery.status == "retrying" and delivery.response_code is None
        assert "Timeout" in (delivery.error or ""), delivery.error
        assert delivery.next_attempt_at is not None
    assert len(receiver.received) == 1
