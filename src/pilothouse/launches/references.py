"""How launches are named and linked on every page (``core.references``)."""

from __future__ import annotations

from pilothouse.core.reference_types import keyed_resolver
from pilothouse.core.references import register_type
from pilothouse.launches.models import Launch

__all__ = ["resolve_launches"]

#: Launches by id or key (``LAUNCH-3``): name, page, key as detail.
resolve_launches = keyed_resolver(Launch, "name", "/launches/{key}")
register_type("launch", "Launch", resolve_launches)
