"""The tool-stack inventory: tools with category, owner, admins, cost, seats, contract
and renewal; CSV imports with a preview; seat usage from last-active dates; overlap,
unused seats, renewals inside the notice period (``tool.renewal_due``) and spend totals.

Other domains use it through ``tools.service`` and the JSON API; it uses only core.
"""

from pilothouse.tools.models import Tool, ToolAdmin
from pilothouse.tools.schemas import CATEGORIES, STATUSES

__all__ = ["CATEGORIES", "STATUSES", "Tool", "ToolAdmin"]
