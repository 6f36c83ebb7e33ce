"""The voice-of-customer digest: last week's VoC report e-mailed on Monday mornings.

It is the feedback domain's existing report (``feedback.reports``: top themes with
customers, ARR, trend, sentiment and quotes; spikes; new themes) for the last complete
Monday-to-Sunday week, sent as its Markdown (text part) and standalone HTML (with the
top themes as an inline PNG bar chart, ``reports.voc_chart``) to people
who chose the notification kind ``voc_digest`` (opt-in, like the weekly review), and
published as ``report.published`` (``report`` = ``voc_digest``) for automation rules.
The digest's page is the feedback report page for that week.
"""

from __future__ import annotations

from typing import Any

from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import builtin_schedule
from pilothouse.feedback import reports as voc
from pilothouse.reports.mail import new_message, send_to_each
from pilothouse.reports.publish import publish_report
from pilothouse.reports.subscription import VOC_KIND, subscribers
from pilothouse.reports.voc_chart import CID, chart_html, png_themes, theme_bars
from pilothouse.reports.weeks import parse_week

__all__ = ["VOC_DIGEST_JOB", "send_voc_digest"]

VOC_DIGEST_JOB = "reports.voc_digest"

builtin_schedule(
    "reports.voc_digest",
    "30 8 * * 1",
    job_kind=VOC_DIGEST_JOB,
    title="Voice-of-customer digest e-mail",
    description="E-mails last week's voice-of-customer report (top and spiking feedback "
    "themes with quotes) to everyone who subscribed to it.",
)


def _footer(unsubscribe: str) -> str:
    return (
        '<p style="color:#7b8794;font-size:12px">You get this because you subscribed to the '
        f'voice-of-customer digest. <a href="{unsubscribe}">Unsubscribe</a>.</p>'
    )


def send_voc_digest(runtime: Runtime, week: str | None = None) -> dict[str, Any]:
    """E-mail the VoC report of ``week`` (default: last complete week) to its subscribers."""
    settings = runtime.settings
    chosen = parse_week(week, settings.timezone)
    with runtime.database.session() as session:
        report = voc.build_report(session, chosen.start, chosen.end)
        people = subscribers(session, VOC_KIND)
        session.expunge_all()
    text, html = voc.to_markdown(report), voc.to_html(report)
    subject = f"Voice of the customer {chosen.key}: {report.item_count} feedback items"
    bars = theme_bars(report)
    chart = png_themes(bars) if bars else None
    html = html.replace("<h2>Top themes</h2>", "<h2>Top themes</h2>" + chart_html(bars), 1)

    def build(person: Any) -> Any:
        message, unsubscribe = new_message(settings, person, subject, VOC_KIND)
        message.set_content(text + f"\nUnsubscribe: {unsubscribe}\n")
        message.add_alternative(
            html.replace("</body>", _footer(unsubscribe) + "</body>"), subtype="html"
        )
        if chart is not None:
            message.get_payload()[1].add_related(
                chart, maintype="image", subtype="png", cid=f"<{CID}>", filename="top-themes.png"
            )
        return message

    sent, failed = send_to_each(settings, people, build)
    event = publish_report(
        runtime, VOC_KIND, chosen.key, subject, _page(chosen), _summary(report, subject)
    )
    return {"week": chosen.key, "sent": len(sent), "to": sent, "failed": failed, "event": event}


def _page(week: Any) -> str:
    return f"/feedback/reports?start={week.start.isoformat()}&end={week.end.isoformat()}"


def _summary(report: Any, subject: str) -> str:
    """The digest in a few Markdown lines: the top themes and the spiking ones."""
    top = ", ".join(f"{s.label} ({s.item_count})" for s in report.themes[:3]) or "none"
    spikes = ", ".join(s.label for s in report.spikes) or "none"
    return f"**{subject}**\n- Top themes: {top}\n- Spiking: {spikes}\n"


@job_handler(VOC_DIGEST_JOB, title="E-mail the voice-of-customer digest")
def voc_digest_job(ctx: JobContext) -> dict[str, Any]:
    """E-mail the voice-of-customer digest to its subscribers"""
    week = ctx.payload.get("week")
    return send_voc_digest(ctx.runtime, str(week) if week else None)
