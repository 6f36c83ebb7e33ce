"""Event chains: how the changes an automation makes remember which event caused them.

An action runs as an :class:`~pilothouse.core.actor.Actor` whose ``client_address`` is
``automation:<chain root event id>:<rule id>``; core stores that address with every
audit event the action produces. When the dispatcher reads such an event it continues
the chain instead of starting a new one, and ``automation_firings`` (unique per rule
and chain root) lets each rule fire at most once per chain: a rule whose action would
trigger itself fires once and stops.
"""

from __future__ import annotations

import re

from pilothouse.core.actor import Actor
from pilothouse.core.models import Event, Role

__all__ = ["MARKER", "automation_actor", "chain_of"]

MARKER = "automation"
_PATTERN = re.compile(r"^automation:(\d+):(\d+)$")


def automation_actor(rule_id: int, rule_name: str, chain_root_id: int) -> Actor:
    """Who an action acts as: the rule (editor rights), marked with its event chain."""
    label = f"{MARKER}: {rule_name}"[:320]
    return Actor(None, label, Role.editor, f"{MARKER}:{chain_root_id}:{rule_id}")


def chain_of(event: Event) -> tuple[int, int | None]:
    """``(chain root event id, rule id)`` of an event; its own id when no rule caused it."""
    found = _PATTERN.match(event.client_address or "")
    if found is None:
        return event.id, None
    return int(found.group(1)), int(found.group(2))
