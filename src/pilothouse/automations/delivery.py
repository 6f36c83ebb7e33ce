"""Carrying out one delivery: the ``automations.deliver`` job, attempts and back-off.

A job claims its delivery with a guarded ``UPDATE`` (queued → running), so a repeated
queue message sends nothing twice. Each try is an ``automation_delivery_attempts`` row
(response code, latency, error). A failed try that may succeed later (network error,
timeout, HTTP 408/429/5xx) waits ``BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)`` (at most
``BACKOFF_MAX_SECONDS``) and is tried again by the dispatcher, up to ``MAX_ATTEMPTS``;
other failures end the delivery at once. The job itself succeeds whenever the attempt
was recorded: the delivery, not the job, says whether the receiver got it.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from pilothouse.automations.chain import automation_actor
from pilothouse.automations.events import DomainEvent
from pilothouse.automations.models import AutomationRule, Delivery, DeliveryAttempt, DeliveryStatus
from pilothouse.core.db import utcnow
from pilothouse.core.errors import BadRequest, FieldError, PilothouseError
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.runtime import Runtime

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "MAX_ATTEMPTS",
    "Outcome",
    "backoff_seconds",
    "deliver",
    "run_delivery",
]

logger = logging.getLogger("pilothouse.automations")

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
RETRYABLE_CODES = frozenset({408, 425, 429})


def backoff_seconds(attempt: int) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...)."""
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Outcome:
    """How one attempt went."""

    ok: bool
    retryable: bool
    status_code: int | None = None
    latency_ms: int | None = None
    excerpt: str = ""
    error: str | None = None


def _event_of(delivery: Delivery) -> DomainEvent:
    data = delivery.payload
    obj = data.get("object", {})
    return DomainEvent(
        id=int(data.get("event_id") or 0),
        type=data.get("type", delivery.event_type),
        occurred_at=delivery.created_at,
        actor=str(data.get("actor", "")),
        actor_id=None,
        object_type=str(obj.get("type", "")),
        object_id=str(obj.get("id", "")),
        object_label=str(obj.get("label", "")),
        fields=dict(data.get("fields") or {}),
        changes=dict(data.get("changes") or {}),
        chain_root_id=delivery.chain_root_id or 0,
    )


def _send_webhook(runtime: Runtime, delivery: Delivery, secrets: list[str]) -> Outcome:
    from pilothouse.automations import webhooks
    from pilothouse.automations.rules import private_targets_allowed

    with runtime.database.session() as session:
        allow = private_targets_allowed(session)
    action = delivery.action
    if action.get("format") == "slack":
        body = webhooks.slack_body(delivery.payload, delivery.rule_name)
    else:
        body = webhooks.standard_body(delivery.payload, delivery.rule_name)
    headers = webhooks.signed_headers(secrets, f"msg_{delivery.idempotency_key}", body)
    sent = webhooks.send(action["url"], headers, body, allow_private=allow)
    code = sent.status_code
    retryable = code is None or code >= 500 or code in RETRYABLE_CODES
    if sent.error and sent.error.startswith("refused"):
        retryable = False
    return Outcome(
        sent.ok, retryable and not sent.ok, code, sent.latency_ms, sent.excerpt, sent.error
    )


def _run_in_app(runtime: Runtime, delivery: Delivery) -> Outcome:
    from pilothouse.automations.actions import run_action

    event = _event_of(delivery)
    actor = automation_actor(delivery.rule_id or 0, delivery.rule_name, delivery.chain_root_id or 0)
    try:
        with runtime.database.session() as session:
            summary = run_action(session, actor, delivery.action, event)
            # Outside addresses are sent before the in-app part commits: a refusal rolls
            # it back too, so a retry notifies nobody twice.
            summary = _send_outside(runtime, delivery, event, summary)
    except PilothouseError as exc:
        return Outcome(False, False, error=f"{type(exc).__name__}: {exc.detail}"[:1000])
    except (smtplib.SMTPException, OSError) as exc:
        from pilothouse.core.notifications.mailer import is_permanent

        error = f"SMTP: {type(exc).__name__}: {exc}"[:1000]
        return Outcome(False, not is_permanent(exc), error=error)
    return Outcome(True, False, excerpt=summary)


def _send_outside(runtime: Runtime, delivery: Delivery, event: DomainEvent, summary: str) -> str:
    """The ``to`` addresses of an ``email`` action (``automations.email_out``)."""
    action = delivery.action
    if action.get("kind") != "email" or not action.get("to"):
        return summary
    from pilothouse.automations import email_out

    if not runtime.settings.smtp_host:
        raise BadRequest(
            "e-mail is not configured: set PILOTHOUSE_SMTP_HOST (docs/notifications.md)",
            errors=[FieldError("to", "e-mail is not configured")],
        )
    sent = email_out.send(runtime.settings, action, event, delivery.rule_name)
    return "; ".join(part for part in (summary, sent) if part)


def _claim(
    runtime: Runtime, delivery_id: int, job_id: int | None
) -> tuple[Delivery, list[str]] | None:
    with runtime.database.session() as session:
        claimed = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status.in_((DeliveryStatus.queued, DeliveryStatus.pending)),
            )
            .values(
                status=DeliveryStatus.running,
                attempts=Delivery.attempts + 1,
                job_id=job_id if job_id is not None else Delivery.job_id,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        rule = session.get(AutomationRule, delivery.rule_id) if delivery.rule_id else None
        secrets = list(rule.secrets) if rule is not None else []
        session.expunge(delivery)
        return delivery, secrets


def _record(runtime: Runtime, delivery_id: int, attempt: int, outcome: Outcome) -> DeliveryStatus:
    now = utcnow()
    if outcome.ok:
        status = DeliveryStatus.succeeded
    elif outcome.retryable and attempt < MAX_ATTEMPTS:
        status = DeliveryStatus.retrying
    else:
        status = DeliveryStatus.failed
    with runtime.database.session() as session:
        session.add(
            DeliveryAttempt(
                delivery_id=delivery_id,
                number=attempt,
                started_at=now,
                response_code=outcome.status_code,
                latency_ms=outcome.latency_ms,
                error=outcome.error,
                response_excerpt=outcome.excerpt[:500],
            )
        )
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.status = status
        delivery.response_code = outcome.status_code
        delivery.latency_ms = outcome.latency_ms
        delivery.error = outcome.error
        retry_at = now + timedelta(seconds=backoff_seconds(attempt))
        delivery.next_attempt_at = retry_at if status is DeliveryStatus.retrying else None
    return status


def run_delivery(runtime: Runtime, delivery_id: int, job_id: int | None = None) -> dict[str, Any]:
    """Claim and carry out one delivery attempt; returns a small summary.

    Args:
        job_id: the job running it, stored on the delivery before anything is sent, so
            that a killed worker's delivery is found and sent again (see the dispatcher).
    """
    claimed = _claim(runtime, delivery_id, job_id)
    if claimed is None:
        return {"delivery_id": delivery_id, "skipped": "not queued any more"}
    delivery, secrets = claimed
    if delivery.action_kind == "webhook" and not secrets:
        outcome = Outcome(False, False, error="the rule was deleted; nothing sent unsigned")
    elif delivery.action_kind == "webhook":
        outcome = _send_webhook(runtime, delivery, secrets)
    else:
        outcome = _run_in_app(runtime, delivery)
    status = _record(runtime, delivery_id, delivery.attempts, outcome)
    return {
        "delivery_id": delivery_id,
        "attempt": delivery.attempts,
        "status": status.value,
        "response_code": outcome.status_code,
        "error": outcome.error,
    }


@job_handler("automations.deliver", title="Automation delivery")
def deliver(ctx: JobContext) -> dict[str, Any]:
    """Automation delivery"""
    return run_delivery(ctx.runtime, int(ctx.payload["delivery_id"]), ctx.job_id)
