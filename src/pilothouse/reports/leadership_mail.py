"""The leadership digest e-mail, sent on Monday at 09:00 (workspace time) by a built-in
schedule, and published as ``report.published`` for automation rules.

It covers the last complete Monday-to-Sunday week, like the weekly review that goes
out an hour earlier (08:00): weekly, because roadmap changes and launches are weekly
news; people who want it monthly set the schedule's cron to ``0 9 * * 1#1`` (the
first Monday) on the Schedules page. One message per subscriber of the
``leadership_digest`` notification kind: Markdown text part, HTML alternative with the
key-result progress chart as an inline PNG.
"""

from __future__ import annotations

from typing import Any

from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import builtin_schedule
from pilothouse.reports.leadership import assemble_digest
from pilothouse.reports.leadership_render import (
    digest_charts,
    digest_to_email_html,
    digest_to_markdown,
    summary_markdown,
)
from pilothouse.reports.mail import new_message, send_to_each
from pilothouse.reports.publish import publish_report
from pilothouse.reports.subscription import LEADERSHIP_KIND, subscribers
from pilothouse.reports.weeks import parse_week

__all__ = ["LEADERSHIP_DIGEST_JOB", "send_leadership_digest"]

LEADERSHIP_DIGEST_JOB = "reports.leadership_digest"

builtin_schedule(
    "reports.leadership_digest",
    "0 9 * * 1",
    job_kind=LEADERSHIP_DIGEST_JOB,
    title="Leadership digest e-mail",
    description="E-mails last week's leadership digest (objectives and key-result "
    "progress, roadmap changes, launches) to everyone who subscribed to it.",
)


def send_leadership_digest(runtime: Runtime, week: str | None = None) -> dict[str, Any]:
    """E-mail the digest of ``week`` (default: last complete week) to its subscribers,
    then publish it (``report.published``); returns who got it and the event id."""
    settings = runtime.settings
    base = settings.effective_public_url
    with runtime.database.session() as session:
        digest = assemble_digest(runtime, session, parse_week(week, settings.timezone))
        people = subscribers(session, LEADERSHIP_KIND)
        session.expunge_all()
    text, charts = digest_to_markdown(digest, base), digest_charts(digest)

    def build(person: Any) -> Any:
        message, unsubscribe = new_message(settings, person, digest.title, LEADERSHIP_KIND)
        message.set_content(text + f"\nUnsubscribe: {unsubscribe}\n")
        html = digest_to_email_html(digest, base, unsubscribe)
        message.add_alternative(html, subtype="html")
        html_part = message.get_payload()[1]
        for cid, png in charts.items():
            html_part.add_related(
                png, maintype="image", subtype="png", cid=f"<{cid}>", filename="kr-progress.png"
            )
        return message

    sent, failed = send_to_each(settings, people, build)
    event = publish_report(
        runtime, "leadership_digest", digest.week.key, digest.title, digest.url,
        summary_markdown(digest, base),
    )  # fmt: skip
    return {
        "week": digest.week.key, "sent": len(sent), "to": sent, "failed": failed, "event": event
    }  # fmt: skip


@job_handler(LEADERSHIP_DIGEST_JOB, title="E-mail the leadership digest")
def leadership_digest_job(ctx: JobContext) -> dict[str, Any]:
    """E-mail the leadership digest to its subscribers and publish it"""
    week = ctx.payload.get("week")
    return send_leadership_digest(ctx.runtime, str(week) if week else None)
