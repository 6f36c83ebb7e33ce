"""How launches are named and linked on every page (``core.references``)."""

from __future__ import annotations

from pilothouse.core.reference_types import keyed_resolver, named_resolver
from pilothouse.core.references import register_type
from pilothouse.launches.models import Launch, LaunchTemplate

__all__ = ["resolve_launch_templates", "resolve_launches"]

#: Launches by id or key (``LAUNCH-3``): name, page, key as detail.
resolve_launches = keyed_resolver(Launch, "name", "/launches/{key}")
register_type("launch", "Launch", resolve_launches)

#: Launch templates by id or name (playbooks link to the templates they describe).
resolve_launch_templates = named_resolver(LaunchTemplate, "/launches/templates")
register_type("launch_template", "Launch template", resolve_launch_templates)
