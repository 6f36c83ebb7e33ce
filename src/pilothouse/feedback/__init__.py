"""The customer-feedback hub: every piece of feedback in one place, weighted by who said it.

Feedback items come in through the API (single and batch), the in-app form and
importers for support, app-store and survey exports; they belong to the shared
customer accounts and contacts, move through ``new → triaged → linked → closed``
and link to roadmap items as evidence. ``feedback/synthesis/`` is the pure,
offline synthesis engine (themes, duplicates, sentiment) built on these items.
Other domains use :mod:`pilothouse.feedback.service`.
"""

from pilothouse.feedback.models import FeedbackItem, FeedbackStatus, Sentiment, SourceKind

__all__ = ["FeedbackItem", "FeedbackStatus", "Sentiment", "SourceKind"]
