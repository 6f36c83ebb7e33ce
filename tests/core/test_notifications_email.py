"""Notification e-mail through a real SMTP server (aiosmtpd on 127.0.0.1), read back.

Immediate e-mail, the daily digest, "off", unsubscribe tokens and retries, on SQLite
and PostgreSQL; jobs run at submit (``jobs_mode=immediate``) so nothing waits.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.errors import BadRequest
from pilothouse.core.job_models import Job, JobStatus
from pilothouse.core.jobs import retry_job
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role
from pilothouse.core.notifications import notify, notify_watchers, watch
from pilothouse.core.notifications.jobs import send_daily_digests
from pilothouse.core.notifications.models import Delivery, EmailState, Notification
from pilothouse.core.notifications.preferences import choices_for, set_delivery
from pilothouse.core.notifications.unsubscribe import unsubscribe
from pilothouse.core.runtime import Runtime
from tests.support.accounts import Accounts
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

ITEM = ObjectRef("roadmap_item", "3")


@pytest.fixture
def mail(runtime: Runtime, smtp_server: SmtpServer) -> Runtime:
    settings = runtime.settings.model_copy(
        update={
            **smtp_server.settings(),
            "jobs_mode": "immediate",
            "smtp_retry_seconds": 0.0,
            "public_url": "http://pilothouse.test",
        }
    )
    return Runtime(settings=settings, database=runtime.database)


def _states(runtime: Runtime, user_id: int) -> list[EmailState]:
    with runtime.database.session() as session:
        query = select(Notification.email_state).where(Notification.recipient_id == user_id)
        return list(session.scalars(query.order_by(Notification.id)))


def _unsubscribe_url(message: object) -> str:
    header = str(message["List-Unsubscribe"])  # type: ignore[index]
    assert header.startswith("<http://pilothouse.test/notifications/unsubscribe/")
    return header.strip("<>")


def test_an_immediate_notification_is_one_e_mail_with_both_parts(
    mail: Runtime,
    smtp_server: SmtpServer,
    accounts: Accounts,
) -> None:
    ann = accounts.person(Role.viewer, email="ann@example.com")
    with mail.database.session() as session:
        notify(
            session,
            recipients=[ann.id],
            kind="automation",
            title="Spike in 'Export fails' feedback",
            body_markdown="**12** new items <b>today</b>",
            url="/feedback/themes/4",
        )
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "Ann <ann@example.com>"
    assert message["Subject"] == "Spike in 'Export fails' feedback"
    assert message["From"] == "Pilothouse <pilothouse@localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = _unsubscribe_url(message)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "**12** new items <b>today</b>" in text
    assert "Open: http://pilothouse.test/feedback/themes/4" in text
    assert url in text and url in html
    assert "<strong>12</strong> new items &lt;b&gt;today&lt;/b&gt;" in html
    assert 'href="http://pilothouse.test/feedback/themes/4"' in html
    assert _states(mail, ann.id) == [EmailState.sent]
    with mail.database.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "notifications.send_email")).one()
        assert job.status is JobStatus.succeeded and job.result["attempt"] == 1


def test_digest_waits_for_the_daily_run_and_sends_once(
    mail: Runtime,
    smtp_server: SmtpServer,
    accounts: Accounts,
) -> None:
    ann, bob = accounts.person(email="ann@example.com"), accounts.person()
    with mail.database.session() as session:
        watch(session, ann.id, ITEM)
        notify_watchers(session, ITEM, title="Status changed to Now", actor_id=bob.id)
        notify_watchers(session, ITEM, title="Target date moved", actor_id=bob.id)
    assert smtp_server.messages == []
    assert _states(mail, ann.id) == [EmailState.digest, EmailState.digest]
    earlier = send_daily_digests(mail, utcnow() - timedelta(days=1))
    assert earlier == {"recipients": 0, "notifications": 0}
    assert send_daily_digests(mail, utcnow()) == {"recipients": 1, "notifications": 2}
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Pilothouse daily digest: 2 notifications"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Status changed to Now" in text and "Target date moved" in text
    assert "the daily digest" in text
    assert send_daily_digests(mail, utcnow()) == {"recipients": 0, "notifications": 0}
    assert len(smtp_server.messages) == 1
    assert _states(mail, ann.id) == [EmailState.sent, EmailState.sent]


def test_off_sends_nothing_but_keeps_the_in_app_notification(
    mail: Runtime,
    smtp_server: SmtpServer,
    accounts: Accounts,
) -> None:
    ann = accounts.person()
    with mail.database.session() as session:
        set_delivery(session, ann.id, "automation", Delivery.off)
        notify(session, recipients=[ann.id], kind="automation", title="Quiet")
    send_daily_digests(mail)
    assert smtp_server.messages == []
    assert _states(mail, ann.id) == [EmailState.none]


def test_the_unsubscribe_token_switches_that_kind_off_and_cannot_be_forged(
    mail: Runtime,
    smtp_server: SmtpServer,
    accounts: Accounts,
) -> None:
    ann = accounts.person()
    with mail.database.session() as session:
        notify(session, recipients=[ann.id], kind="automation", title="First")
    token = _unsubscribe_url(smtp_server.wait_for(1)[0]).rsplit("/", 1)[1]
    key = mail.settings.resolved_secret_key()
    with mail.database.session() as session:
        with pytest.raises(BadRequest):
            unsubscribe(session, key, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        with pytest.raises(BadRequest):
            unsubscribe(session, "another key of at least thirty-two chars", token)
        done = unsubscribe(session, key, token)
        assert (done.user_id, done.kind) == (ann.id, "automation")
    with mail.database.session() as session:
        choice = {c.kind: c.delivery for c in choices_for(session, ann.id)}
        assert choice["automation"] is Delivery.off
        notify(session, recipients=[ann.id], kind="automation", title="Second")
    assert len(smtp_server.messages) == 1


def test_a_temporary_smtp_failure_is_retried(
    mail: Runtime,
    smtp_server: SmtpServer,
    accounts: Accounts,
) -> None:
    ann = accounts.person()
    smtp_server.refuse_next(2)
    with mail.database.session() as session:
        notify(session, recipients=[ann.id], kind="automation", title="Third time lucky")
    smtp_server.wait_for(1)
    assert smtp_server.handler.refused == 2
    with mail.database.session() as session:
        job = session.scalars(select(Job)).one()
        assert job.result is not None and job.result["attempt"] == 3


def test_an_smtp_server_that_keeps_refusing_fails_the_job_and_retry_sends(
    mail: Runtime,
    smtp_server: SmtpServer,
    accounts: Accounts,
) -> None:
    ann = accounts.person()
    smtp_server.refuse_next(3)
    with mail.database.session() as session:
        notify(session, recipients=[ann.id], kind="automation", title="Eventually")
    with mail.database.session() as session:
        job = session.scalars(select(Job)).one()
        assert job.status is JobStatus.failed and "451" in (job.error or "")
        job_id = job.id
    assert _states(mail, ann.id) == [EmailState.queued]
    retry_job(mail, Actor.command_line(), job_id, run_now=True)
    assert len(smtp_server.wait_for(1)) == 1
    assert _states(mail, ann.id) == [EmailState.sent]


def test_without_an_smtp_server_nothing_is_queued(runtime: Runtime, accounts: Accounts) -> None:
    ann = accounts.person()
    with runtime.database.session() as session:
        notify(session, recipients=[ann.id], kind="automation", title="In the app only")
        assert session.scalars(select(Job)).all() == []
    assert _states(runtime, ann.id) == [EmailState.none]
