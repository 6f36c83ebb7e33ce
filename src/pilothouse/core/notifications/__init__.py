"""Notifications (core): in-app notifications, watching, comments with @mentions, e-mail.

Callers use :func:`notify`, :func:`users_with_role`, :func:`watchers_of` and
:func:`notify_watchers`; comments live in :mod:`.comments`, e-mail in :mod:`.mailer`
and :mod:`.jobs`. See ``docs/notifications.md``.
"""

from pilothouse.core.notifications.models import Delivery, EmailState
from pilothouse.core.notifications.service import notify, users_with_role
from pilothouse.core.notifications.watching import (
    is_watching,
    notify_watchers,
    unwatch,
    watch,
    watchers_of,
)

__all__ = [
    "Delivery",
    "EmailState",
    "is_watching",
    "notify",
    "notify_watchers",
    "unwatch",
    "users_with_role",
    "watch",
    "watchers_of",
]
