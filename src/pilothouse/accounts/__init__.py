"""Customer accounts (companies) and their contacts, shared by every domain.

Tracking calls (Segment ``identify``/``group``), CRM imports and people in the UI
all update the same records; feedback is weighted by them and metrics filter on
their traits.
"""

from pilothouse.accounts.models import Contact, CustomerAccount

__all__ = ["CustomerAccount", "Contact"]
