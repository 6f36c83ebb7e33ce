"""How dashboards are named and linked on every page (``core.references``): the audit
log's ``dashboard`` entries, and links to a dashboard from anywhere."""

from __future__ import annotations

from pilothouse.core.reference_types import slugged_resolver
from pilothouse.core.references import register_type
from pilothouse.ops.dashboards.models import Dashboard

__all__ = ["resolve_dashboards"]

#: Dashboards by id or slug: name, page, visibility as detail.
resolve_dashboards = slugged_resolver(Dashboard, "name", "/dashboards/{slug}", detail="visibility")

register_type("dashboard", "Dashboard", resolve_dashboards)
