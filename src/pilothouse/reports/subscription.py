"""Who gets the weekly review by e-mail: people who chose it under notification settings.

The review is a notification *kind* (``weekly_review``) like any other, so the
preferences page, the unsubscribe link and the one-click ``List-Unsubscribe`` header
of core notifications work for it unchanged. It is opt-in for everyone (default
``off``): a weekly e-mail nobody asked for is noise, and the page is always there.
Any choice other than ``off`` ("immediately" or "daily digest") subscribes: the
review is itself a digest and goes out on its own schedule.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.models import User
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import KNOWN_KINDS, KindInfo, delivery_for

__all__ = ["LEADERSHIP_KIND", "REVIEW_KIND", "VOC_KIND", "subscribers"]

REVIEW_KIND = "weekly_review"
#: The voice-of-customer digest: last week's VoC report, opt-in the same way.
VOC_KIND = "voc_digest"
#: The leadership digest: objectives, roadmap changes and launches; opt-in too.
LEADERSHIP_KIND = "leadership_digest"
KNOWN_KINDS.setdefault(
    REVIEW_KIND, KindInfo("The weekly product review, Monday mornings", Delivery.off)
)
KNOWN_KINDS.setdefault(
    VOC_KIND, KindInfo("The voice-of-customer digest, Monday mornings", Delivery.off)
)
KNOWN_KINDS.setdefault(
    LEADERSHIP_KIND,
    KindInfo("The leadership digest (goals, roadmap changes, launches), Monday mornings",
             Delivery.off),
)  # fmt: skip


def subscribers(session: Session, kind: str = REVIEW_KIND) -> list[User]:
    """Active people whose choice for ``kind`` is not ``off``, by id."""
    people = list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)))
    chosen = delivery_for(session, [p.id for p in people], kind)
    return [p for p in people if chosen[p.id] is not Delivery.off]
