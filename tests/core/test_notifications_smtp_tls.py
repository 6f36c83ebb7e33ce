"""SMTP security and credentials against a real aiosmtpd server: STARTTLS with login,
TLS from the first byte, an untrusted certificate, and a permanent refusal (not retried).

The server's certificate is made with the ``openssl`` command for 127.0.0.1 and
trusted through ``SSL_CERT_FILE``, so the client verifies it as in production.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pilothouse.core.config import Settings
from pilothouse.core.notifications.mailer import deliver
from tests.support.served_app import free_port

USER, PASSWORD = "pilothouse", "s3cret-smtp-password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        raw = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


def _authenticate(
    server: Any,  # noqa: ARG001
    session: Any,  # noqa: ARG001
    envelope: Any,  # noqa: ARG001
    mechanism: str,  # noqa: ARG001
    auth_data: Any,
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _serve(inbox: Inbox, **kwargs: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _message() -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Hi", "p@localhost", "ann@example.com"
    message.set_content("hello")
    return message


def _settings(tmp_path: Path, port: int, security: str, password: str = PASSWORD) -> Settings:
    return Settings(  # type: ignore[call-arg]
        home=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        smtp_username=USER,
        smtp_password=password,
        smtp_retry_seconds=0,
    )


@pytest.mark.usefixtures("trusted")
def test_starttls_with_login(certificate: tuple[Path, Path], tmp_path: Path) -> None:
    inbox = Inbox()
    for port in _serve(
        inbox,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    ):
        assert deliver(_settings(tmp_path, port, "starttls"), _message()) == 1
    assert [m["Subject"] for m in inbox.messages] == ["Hi"]


@pytest.mark.usefixtures("trusted")
def test_tls_from_the_first_byte(certificate: tuple[Path, Path], tmp_path: Path) -> None:
    inbox = Inbox()
    for port in _serve(
        inbox,
        ssl_context=_server_context(certificate),
        authenticator=_authenticate,
        auth_require_tls=False,  # aiosmtpd does not count implicit TLS as TLS for AUTH
    ):
        assert deliver(_settings(tmp_path, port, "tls"), _message()) == 1
    assert len(inbox.messages) == 1


def test_an_untrusted_certificate_is_refused(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    inbox = Inbox()
    for port in _serve(inbox, tls_context=_server_context(certificate), require_starttls=True):
        with pytest.raises(ssl.SSLCertVerificationError):
            deliver(_settings(tmp_path, port, "starttls"), _message(), sleep=lambda _s: None)
    assert inbox.messages == []


class Refusing(Inbox):
    async def handle_RCPT(  # noqa: N802
        self,
        server: Any,  # noqa: ARG002
        session: Any,  # noqa: ARG002
        envelope: Any,  # noqa: ARG002
        address: str,  # noqa: ARG002
        rcpt_options: Any,  # noqa: ARG002
    ) -> str:
        return "550 5.1.1 no such mailbox"


def test_a_permanent_refusal_is_not_retried(tmp_path: Path) -> None:
    slept: list[float] = []
    for port in _serve(Refusing()):
        settings = _settings(tmp_path, port, "none").model_copy(update={"smtp_username": None})
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            deliver(settings, _message(), sleep=slept.append)
    assert slept == []
