"""``pilothouse notifications list|digest`` and the masked SMTP password in ``config show``."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.links import ObjectRef
from pilothouse.core.notifications import notify, watch
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def env(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in list(os.environ):
        if key.startswith("PILOTHOUSE_") and key != "PILOTHOUSE_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    settings = runtime.settings
    assert settings.secret_key is not None
    values = {
        "PILOTHOUSE_HOME": str(settings.home),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "PILOTHOUSE_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def _run(*args: str, code: int = 0) -> object:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result


def test_list_in_every_format(runtime: Runtime, accounts: Accounts) -> None:
    ann = accounts.person(email="ann@example.com")
    with runtime.database.session() as session:
        notify(session, recipients=[ann.id], kind="automation", title="First", url="/launches")
        notify(session, recipients=[ann.id], kind="automation", title="Second")
    rows = json.loads(_run("notifications", "list", "--user", ann.email, "--format", "json").stdout)  # type: ignore[attr-defined]
    assert [r["title"] for r in rows] == ["Second", "First"]
    assert rows[1]["url"] == "/launches" and rows[1]["read"] is None
    table = _run("notifications", "list", "--user", ann.email).stdout  # type: ignore[attr-defined]
    assert "Second" in table
    reader = csv.DictReader(
        io.StringIO(
            _run("notifications", "list", "--user", ann.email, "--unread", "--format", "csv").stdout
        )
    )  # type: ignore[attr-defined]
    assert [r["title"] for r in reader] == ["Second", "First"]
    missing = _run("notifications", "list", "--user", "nobody@example.com", code=1)
    assert "no user with e-mail nobody@example.com" in missing.output  # type: ignore[attr-defined]


def test_digest_now_sends_through_smtp(
    runtime: Runtime,
    accounts: Accounts,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_smtp = _run("notifications", "digest", "--now", code=1)
    assert "PILOTHOUSE_SMTP_HOST" in no_smtp.output  # type: ignore[attr-defined]
    assert "--now" in _run("notifications", "digest", code=1).output  # type: ignore[attr-defined]
    for key, value in smtp_server.settings().items():
        monkeypatch.setenv(f"PILOTHOUSE_{key.upper()}", str(value))
    ann, bob = accounts.person(email="ann@example.com"), accounts.person()
    settings = runtime.settings.model_copy(update=smtp_server.settings())
    mail = Runtime(settings=settings, database=runtime.database)
    with mail.database.session() as session:
        watch(session, ann.id, ObjectRef("launch", "1"))
        from pilothouse.core.notifications import notify_watchers

        notify_watchers(session, ObjectRef("launch", "1"), title="Gate approved", actor_id=bob.id)
    assert smtp_server.messages == []
    done = _run("notifications", "digest", "--now")
    assert "Sent 1 digest e-mail(s) with 1 notification(s)." in done.output  # type: ignore[attr-defined]
    [message] = smtp_server.wait_for(1)
    assert message["To"].addresses[0].addr_spec == "ann@example.com"  # type: ignore[union-attr]


def test_config_show_masks_the_smtp_password(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = json.loads(_run("config", "show", "--json").stdout)  # type: ignore[attr-defined]
    assert shown["smtp_password"] == "(not set)"
    monkeypatch.setenv("PILOTHOUSE_SMTP_PASSWORD", "hunter2-very-secret")
    output = _run("config", "show").stdout  # type: ignore[attr-defined]
    assert "hunter2" not in output
    shown = json.loads(_run("config", "show", "--json").stdout)  # type: ignore[attr-defined]
    assert shown["smtp_password"] == "(set)"
