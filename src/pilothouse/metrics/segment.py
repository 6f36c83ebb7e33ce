"""Reading Segment tracking-spec messages (track, identify, group, page, screen, batch).

Pure functions: JSON-decoded bodies in, validated and normalised messages out.
A batch is validated message by message; each invalid one is reported with its
index and reason while the valid ones go on to be stored. Size is bounded by the
request body limit (``PILOTHOUSE_MAX_BODY_BYTES``) rather than per message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "KINDS",
    "Group",
    "Identify",
    "MessageProblem",
    "ParsedBatch",
    "TrackedEvent",
    "parse_batch",
    "parse_message",
]

KINDS = ("track", "identify", "group", "page", "screen")
MAX_ID_LENGTH = 200
MAX_BATCH_MESSAGES = 5000
PAGE_EVENT, SCREEN_EVENT = "Page Viewed", "Screen Viewed"


class MessageProblem(ValueError):
    """Why one message cannot be stored."""


@dataclass(frozen=True)
class TrackedEvent:
    message_id: str
    event: str
    user_id: str | None
    anonymous_id: str | None
    account_id: str | None
    timestamp: datetime
    properties: dict[str, Any]


@dataclass(frozen=True)
class Identify:
    message_id: str
    user_id: str | None
    anonymous_id: str | None
    account_id: str | None
    traits: dict[str, Any]
    timestamp: datetime


@dataclass(frozen=True)
class Group:
    message_id: str
    group_id: str
    user_id: str | None
    anonymous_id: str | None
    traits: dict[str, Any]
    timestamp: datetime


Message = TrackedEvent | Identify | Group


@dataclass
class ParsedBatch:
    events: list[TrackedEvent] = field(default_factory=list)
    identifies: list[Identify] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def valid_count(self) -> int:
        return len(self.events) + len(self.identifies) + len(self.groups)

    def add(self, message: Message) -> None:
        if isinstance(message, TrackedEvent):
            self.events.append(message)
        elif isinstance(message, Identify):
            self.identifies.append(message)
        else:
            self.groups.append(message)


def _identifier(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise MessageProblem(f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MessageProblem(f"{key} must be a string")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise MessageProblem(f"{key} is longer than {MAX_ID_LENGTH} characters")
    return text


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MessageProblem(f"{key} must be an object")
    return value


def _timestamp(body: dict[str, Any], received_at: datetime) -> datetime:
    value = body.get("timestamp")
    if value is None:
        return received_at
    if not isinstance(value, str):
        raise MessageProblem("timestamp must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MessageProblem(f"timestamp {value[:40]!r} is not ISO-8601") from None
    if not 1970 <= parsed.year <= 2200:
        raise MessageProblem(f"timestamp {value[:40]!r} is out of range")
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _common(
    body: dict[str, Any], received_at: datetime
) -> tuple[str, str | None, str | None, datetime]:
    user_id = _identifier(body, "userId")
    anonymous_id = _identifier(body, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise MessageProblem("userId or anonymousId is required")
    message_id = _identifier(body, "messageId") or f"ph-{uuid.uuid4()}"
    return message_id, user_id, anonymous_id, _timestamp(body, received_at)


def _context_group(body: dict[str, Any]) -> str | None:
    context = _object(body, "context")
    value = context.get("groupId")
    return str(value)[:MAX_ID_LENGTH] if isinstance(value, str | int) and value != "" else None


def _track(body: dict[str, Any], kind: str, received_at: datetime) -> TrackedEvent:
    message_id, user_id, anonymous_id, timestamp = _common(body, received_at)
    properties = _object(body, "properties")
    if kind == "track":
        event = body.get("event")
        if not isinstance(event, str) or not event.strip():
            raise MessageProblem("event is required and must be a non-empty string")
        if len(event) > MAX_ID_LENGTH:
            raise MessageProblem(f"event is longer than {MAX_ID_LENGTH} characters")
    else:
        event = PAGE_EVENT if kind == "page" else SCREEN_EVENT
        if isinstance(body.get("name"), str):
            properties = {"name": body["name"], **properties}
    return TrackedEvent(
        message_id,
        event.strip(),
        user_id,
        anonymous_id,
        _context_group(body),
        timestamp,
        properties,
    )


def parse_message(body: Any, kind: str | None, received_at: datetime) -> Message:
    """Validate one message; ``kind`` is the endpoint's type, or ``None`` to read ``type``."""
    if not isinstance(body, dict):
        raise MessageProblem("a message must be a JSON object")
    kind = kind or body.get("type")
    if kind not in KINDS:
        raise MessageProblem(f"type must be one of {', '.join(KINDS)}")
    if kind in ("track", "page", "screen"):
        return _track(body, kind, received_at)
    message_id, user_id, anonymous_id, timestamp = _common(body, received_at)
    if kind == "identify":
        return Identify(
            message_id,
            user_id,
            anonymous_id,
            _context_group(body),
            _object(body, "traits"),
            timestamp,
        )
    group_id = _identifier(body, "groupId", required=True)
    assert group_id is not None
    return Group(message_id, group_id, user_id, anonymous_id, _object(body, "traits"), timestamp)


def parse_batch(body: Any, received_at: datetime) -> ParsedBatch:
    """Validate a ``/batch`` body: ``{"batch": [message, ...]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise MessageProblem('the body must be {"batch": [ ... ]}')
    messages = body["batch"]
    if len(messages) > MAX_BATCH_MESSAGES:
        raise MessageProblem(f"a batch holds at most {MAX_BATCH_MESSAGES} messages")
    parsed = ParsedBatch()
    for index, message in enumerate(messages):
        try:
            parsed.add(parse_message(message, None, received_at))
        except MessageProblem as problem:
            parsed.problems.append((index, str(problem)))
    return parsed
