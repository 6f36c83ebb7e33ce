"""How tools are named and linked on every page (``core.references``)."""

from __future__ import annotations

from pilothouse.core.reference_types import slugged_resolver
from pilothouse.core.references import register_type
from pilothouse.tools.models import Tool

__all__ = ["resolve_tools"]

#: Tools by id or slug: name, page, category as detail.
resolve_tools = slugged_resolver(Tool, "name", "/tools/{slug}", detail="category")

register_type("tool", "Tool", resolve_tools)
