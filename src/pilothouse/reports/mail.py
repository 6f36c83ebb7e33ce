"""The weekly review e-mail, sent on Monday mornings by a built-in schedule.

One message per subscriber (:mod:`.subscription`): the Markdown review as the plain
text part, the HTML review as the alternative, each metric's chart attached to the
HTML part as an inline PNG that the HTML shows by ``cid:``. Messages go through core
notifications' SMTP sending (``mailer.deliver``: retries, one-click unsubscribe
headers). A person whose message fails does not stop the others; the job's result
lists them.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from pilothouse.core.config import Settings
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.models import User
from pilothouse.core.notifications.mailer import deliver, envelope
from pilothouse.core.notifications.preferences import unsubscribe_token
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import builtin_schedule
from pilothouse.reports.charts_for import png_charts
from pilothouse.reports.publish import publish_report
from pilothouse.reports.render import chart_cid, to_email_html, to_markdown
from pilothouse.reports.review import WeeklyReview, assemble
from pilothouse.reports.subscription import REVIEW_KIND, subscribers
from pilothouse.reports.weeks import parse_week

__all__ = [
    "WEEKLY_REVIEW_JOB",
    "build_review_message",
    "new_message",
    "review_summary",
    "send_to_each",
    "send_weekly_review",
]

WEEKLY_REVIEW_JOB = "reports.weekly_review"
logger = logging.getLogger(__name__)

builtin_schedule(
    "reports.weekly_review",
    "0 8 * * 1",
    job_kind=WEEKLY_REVIEW_JOB,
    title="Weekly product review e-mail",
    description="E-mails last week's product review (metrics, experiments, launches, "
    "feedback, decisions) to everyone who subscribed to it.",
)


def new_message(
    settings: Settings, person: User, subject: str, kind: str
) -> tuple[EmailMessage, str]:
    """A report e-mail's envelope for one person and its unsubscribe URL (also sent as
    RFC 8058 one-click headers), signed for ``kind``."""
    base = settings.effective_public_url
    token = unsubscribe_token(settings.resolved_secret_key(), person.id, kind)
    unsubscribe = f"{base}/notifications/unsubscribe/{token}"
    to = formataddr((person.name, person.email))
    return envelope(settings, to, subject, unsubscribe), unsubscribe


def build_review_message(
    settings: Settings, review: WeeklyReview, charts: dict[str, bytes], person: User
) -> EmailMessage:
    """One person's message: text + HTML alternative, charts inline in the HTML part."""
    base = settings.effective_public_url
    message, unsubscribe = new_message(settings, person, review.title, REVIEW_KIND)
    text = to_markdown(review, base) + f"\nUnsubscribe: {unsubscribe}\n"
    message.set_content(text)
    message.add_alternative(to_email_html(review, base, unsubscribe), subtype="html")
    html_part = message.get_payload()[1]  # type: ignore[index]
    for move in review.metrics:
        if move.metric in charts:
            html_part.add_related(
                charts[move.metric], maintype="image", subtype="png",
                cid=f"<{chart_cid(move)}>", filename=f"{move.metric}.png",
            )  # fmt: skip
    return message


def send_to_each(
    settings: Settings, people: list[User], build: Callable[[User], EmailMessage]
) -> tuple[list[str], list[str]]:
    """Send each person their message; one failure does not stop the rest.

    Returns ``(sent to, failed)`` e-mail addresses.
    """
    sent, failed = [], []
    for person in people:
        try:
            deliver(settings, build(person))
            sent.append(person.email)
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("report e-mail to %s failed: %s", person.email, exc)
            failed.append(person.email)
    return sent, failed


def review_summary(review: WeeklyReview, base: str = "") -> str:
    """A few lines of Markdown for chat (the ``report.published`` event's summary)."""
    outside = [m.label for m in review.metrics if m.verdict == "outside"]
    moved = ", ".join(outside) if outside else "none"
    return (
        f"**{review.title}**\n"
        f"- Metrics outside normal variation: {moved}\n"
        f"- Launches: {len(review.launches_shipped)} shipped, "
        f"{len(review.launches_overdue)} overdue\n"
        f"- Experiments: {len(review.experiments_started)} started, "
        f"{len(review.experiments_finished)} finished; "
        f"{len(review.decisions)} decisions\n"
        f"- Feedback: {review.feedback_items} items\n"
        f"[Open in Pilothouse]({base}{review.url})\n"
    )


def send_weekly_review(runtime: Runtime, week: str | None = None) -> dict[str, Any]:
    """Assemble the review of ``week`` (default: last complete week) once, e-mail it
    to every subscriber and publish it (``report.published``); returns who got it."""
    settings = runtime.settings
    with runtime.database.session() as session:
        review = assemble(runtime, session, parse_week(week, settings.timezone))
        people = subscribers(session)
        session.expunge_all()
    charts = png_charts(review)
    sent, failed = send_to_each(
        settings, people, lambda person: build_review_message(settings, review, charts, person)
    )
    base = settings.effective_public_url
    event = publish_report(
        runtime, REVIEW_KIND, review.week.key, review.title, review.url,
        review_summary(review, base),
    )  # fmt: skip
    return {
        "week": review.week.key, "sent": len(sent), "to": sent, "failed": failed, "event": event
    }  # fmt: skip


@job_handler(WEEKLY_REVIEW_JOB, title="E-mail the weekly product review")
def weekly_review_job(ctx: JobContext) -> dict[str, Any]:
    """E-mail the weekly product review to its subscribers"""
    week = ctx.payload.get("week")
    return send_weekly_review(ctx.runtime, str(week) if week else None)
