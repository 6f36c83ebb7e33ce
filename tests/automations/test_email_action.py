"""The ``email`` action: a real message through a real SMTP server (aiosmtpd on
127.0.0.1), read back; each person's choice for automation messages is kept and the
delivery log says what happened. Outside addresses (``to``: a team list) get the
message from the delivery itself, retried after a temporary refusal. Without an SMTP
server the action fails, saying so, rather than reporting an e-mail nobody sent.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pilothouse.automations import rules
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import Delivery, DeliveryAttempt
from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.notifications import EmailState
from pilothouse.core.notifications.models import Notification
from pilothouse.core.notifications.preferences import set_delivery
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.support.accounts import Accounts
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

CLI = Actor.command_line()


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


def _email_rule(runtime: Runtime, **action: object) -> None:
    with runtime.database.session() as session:
        rules.create_rule(
            session,
            CLI,
            {
                "name": "New initiatives by e-mail",
                "trigger": "roadmap_item.created",
                "conditions": [{"field": "kind", "value": "initiative"}],
                "actions": [
                    {
                        "kind": "email",
                        "title": "New initiative: {{ title }}",
                        "body": "**{{ key }}** was created by {{ actor }}.",
                        **action,
                    }
                ],
            },
        )


def _create(runtime: Runtime, title: str) -> None:
    with runtime.database.session() as session:
        items.create_item(session, CLI, {"kind": "initiative", "title": title})


def _delivery(runtime: Runtime) -> Delivery:
    with runtime.database.session() as session:
        [delivery] = session.scalars(select(Delivery)).all()
        session.expunge(delivery)
        return delivery


def test_the_email_action_mails_each_person_as_they_chose(
    mail: Runtime, smtp_server: SmtpServer, accounts: Accounts
) -> None:
    ann = accounts.person(Role.viewer, email="ann@example.com")
    bob = accounts.person(Role.viewer, email="bob@example.com")
    cy = accounts.person(Role.viewer, email="cy@example.com")
    dan = accounts.person(Role.viewer, email="dan@example.com")
    with mail.database.session() as session:
        set_delivery(session, bob.id, "automation", "digest")
        set_delivery(session, cy.id, "automation", "off")
        # per event kind: dan wants no automation e-mail except about new roadmap items
        set_delivery(session, dan.id, "automation", "off")
        set_delivery(session, dan.id, "roadmap_item.created", "immediately")
    _email_rule(mail, role="viewer")
    _create(mail, "Self-serve SSO")

    dispatch_once(mail, run_now=True)

    messages = smtp_server.wait_for(2)
    to = sorted(m["To"].addresses[0].addr_spec for m in messages)  # type: ignore[union-attr]
    assert to == ["ann@example.com", "dan@example.com"]
    message = messages[0]
    assert message["Subject"] == "New initiative: Self-serve SSO"
    assert "/notifications/unsubscribe/" in str(message["List-Unsubscribe"])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "**INIT-1** was created by cli:root." in text
    assert "<strong>INIT-1</strong> was created by cli:root." in html
    assert "http://pilothouse.test/notifications/unsubscribe/" in text
    delivery = _delivery(mail)
    assert delivery.status == "succeeded" and delivery.error is None
    with mail.database.session() as session:
        [attempt] = session.scalars(select(DeliveryAttempt)).all()
        assert attempt.response_excerpt == (
            "e-mail queued for 2 of 4 people; 1 in their daily digest; "
            "1 turned this kind of e-mail off"
        )
        rows = session.execute(
            select(Notification.recipient_id, Notification.email_state, Notification.kind)
        ).all()
    states = {who: state for who, state, _ in rows}
    assert states == {
        ann.id: EmailState.sent,
        bob.id: EmailState.digest,
        cy.id: EmailState.none,
        dan.id: EmailState.sent,
    }
    assert {kind for *_, kind in rows} == {"roadmap_item.created"}  # the event's kind


def test_without_an_smtp_server_the_email_action_fails_saying_why(
    runtime: Runtime, accounts: Accounts
) -> None:
    ann = accounts.person(Role.viewer, email="ann@example.com")
    _email_rule(runtime, users=[ann.email])
    _create(runtime, "Audit log export")

    dispatch_once(runtime, run_now=True)

    delivery = _delivery(runtime)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "PILOTHOUSE_SMTP_HOST" in (delivery.error or "")
    with runtime.database.session() as session:
        assert session.scalars(select(Notification)).all() == []


def test_outside_addresses_get_the_message_from_the_delivery_with_retries(
    mail: Runtime, smtp_server: SmtpServer
) -> None:
    outside = ["product-team@lists.example", "ops@lists.example"]
    _email_rule(mail, to=outside)
    smtp_server.refuse_next(1)  # a temporary refusal: the delivery tries again later
    _create(mail, "Usage-based billing")

    dispatch_once(mail, run_now=True)

    first = _delivery(mail)
    assert first.status == "retrying" and "SMTP" in (first.error or "")
    assert smtp_server.messages == []
    assert first.next_attempt_at is not None
    dispatch_once(mail, now=first.next_attempt_at, run_now=True)

    [message] = smtp_server.wait_for(1)
    assert [a.addr_spec for a in message["To"].addresses] == outside  # type: ignore[union-attr]
    assert message["Subject"] == "New initiative: Usage-based billing"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "**INIT-1** was created by cli:root." in text
    assert "automation rule “New initiatives by e-mail”" in text
    assert "<strong>INIT-1</strong>" in html and "New initiatives by e-mail" in html
    done = _delivery(mail)
    assert done.status == "succeeded" and done.attempts == 2
    with mail.database.session() as session:
        assert session.scalars(select(Notification)).all() == []  # nobody in the app


def test_outside_addresses_are_checked_when_the_rule_is_saved(runtime: Runtime) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _email_rule(runtime, to=["team@lists.example", "not an address"])
    assert [e.field for e in refused.value.errors] == ["actions[0].to[1]"]
    with pytest.raises(ValidationFailed) as empty:
        _email_rule(runtime)  # neither people nor outside addresses
    assert [e.field for e in empty.value.errors] == ["actions[0].users"]
    with runtime.database.session() as session:
        assert rules.list_rules(session) == []
