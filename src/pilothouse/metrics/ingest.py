"""Ingesting tracking calls: validate, update accounts and contacts, store events.

The order matters for retries: the event store write and the account/contact
merges are idempotent, so a request that fails half-way can simply be sent
again, and is acknowledged only after everything is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts
from pilothouse.core.db import utcnow
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.models import EventSource
from pilothouse.metrics.segment import MessageProblem, ParsedBatch, parse_batch, parse_message

__all__ = ["IngestResult", "ingest", "merge_entities"]


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    stored: int
    errors: list[tuple[int, str]]

    def as_dict(self) -> dict[str, object]:
        return {
            "success": not self.errors,
            "accepted": self.accepted,
            "stored": self.stored,
            "errors": [{"index": i, "reason": r} for i, r in self.errors],
        }


def _parse(body: object, kind: str, received_at: datetime) -> ParsedBatch:
    try:
        if kind == "batch":
            return parse_batch(body, received_at)
        parsed = ParsedBatch()
        parsed.add(parse_message(body, kind, received_at))
        return parsed
    except MessageProblem as problem:
        raise ValidationFailed(str(problem), errors=[FieldError("body", str(problem))]) from None


def merge_entities(session: Session, parsed: ParsedBatch) -> None:
    """Apply one request's ``group`` and ``identify`` calls to accounts and contacts.

    Calls are combined per account and per user in the order they came (later traits
    win), then written in a few bulk queries rather than one query per call.
    """
    account_traits: dict[str, dict[str, object]] = {}
    contacts: dict[str, tuple[dict[str, object], str | None]] = {}
    for group in parsed.groups:
        account_traits.setdefault(group.group_id, {}).update(group.traits)
        if group.user_id is not None:
            traits, _ = contacts.get(group.user_id, ({}, None))
            contacts[group.user_id] = (traits, group.group_id)
    for identify in parsed.identifies:
        if identify.user_id is not None:
            traits, account = contacts.get(identify.user_id, ({}, None))
            traits.update(identify.traits)
            contacts[identify.user_id] = (traits, identify.account_id or account)
    if account_traits or contacts:
        accounts.merge_tracked(session, account_traits, contacts)


def ingest(
    session: Session, runtime: Runtime, source: EventSource, body: object, kind: str
) -> IngestResult:
    """Validate ``body`` for endpoint ``kind`` and store what is valid.

    A single message that is invalid raises :class:`ValidationFailed`; in a batch,
    invalid messages are reported with their index and the valid ones stored.
    """
    received_at = utcnow()
    parsed = _parse(body, kind, received_at)
    if kind == "batch" and parsed.valid_count == 0 and parsed.problems:
        raise ValidationFailed(
            "no message in the batch is valid",
            errors=[FieldError(f"batch[{i}]", reason) for i, reason in parsed.problems],
        )
    merge_entities(session, parsed)
    written = runtime.event_store.write(
        events=parsed.events,
        identifies=parsed.identifies,
        groups=parsed.groups,
        source_id=source.id,
        received_at=received_at,
    )
    return IngestResult(parsed.valid_count, written.stored, parsed.problems)
