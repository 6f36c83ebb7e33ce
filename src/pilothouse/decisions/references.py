"""How decisions are named and linked on every page (``core.references``)."""

from __future__ import annotations

from pilothouse.core.reference_types import keyed_resolver
from pilothouse.core.references import register_type
from pilothouse.decisions.models import Decision

__all__ = ["resolve_decisions"]

#: Decisions by id or key (``DEC-7``): title, page, key as detail.
resolve_decisions = keyed_resolver(Decision, "title", "/decisions/{key}")
register_type("decision", "Decision", resolve_decisions)
