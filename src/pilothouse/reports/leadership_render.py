"""The leadership digest as Markdown and as e-mail HTML (the progress chart by ``cid:``).

Links are absolute to the installation's public URL, as in the weekly review's
:mod:`.render`; the e-mail uses the same Jinja environment (inline styles only).
"""

from __future__ import annotations

from pilothouse.reports.kr_chart import png_progress, progress_rows
from pilothouse.reports.leadership import LeadershipDigest
from pilothouse.reports.okr_progress import TRACK_TEXT, KeyResultEntry, ObjectiveEntry
from pilothouse.reports.render import _environment, _link, _md

__all__ = [
    "PROGRESS_CID",
    "digest_charts",
    "digest_to_email_html",
    "digest_to_markdown",
    "kr_text",
    "objective_text",
    "summary_markdown",
]

PROGRESS_CID = "kr-progress@pilothouse"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def kr_text(kr: KeyResultEntry) -> str:
    """``4.6% of target 4% (from 10%): 90%, on track``."""
    source = " (set by hand)" if kr.source == "manual" else ""
    return (
        f"{kr.current_text}{source} of target {kr.target_text} (from {kr.baseline_text}): "
        f"{_share(kr.progress)}, {TRACK_TEXT[kr.track]}"
    )


def objective_text(o: ObjectiveEntry) -> str:
    """``2026-Q4, 45% of the period passed: 60% done, on track``."""
    period = o.period or "no period"
    passed = f", {_share(o.expected)} of the period passed" if o.expected is not None else ""
    return f"{period}{passed}: {_share(o.progress)} done, {TRACK_TEXT[o.track]} ({o.status})"


def _objectives_md(digest: LeadershipDigest, base: str) -> list[str]:
    lines = ["## Objectives and key results", ""]
    if not digest.objectives:
        return [*lines, "No active objectives.", ""]
    for o in digest.objectives:
        owner = f" — owner {_link(o.owner, base)}" if o.owner else ""
        lines += [f"### {_link(o.objective, base)}{owner}", "", _md(objective_text(o)), ""]
        lines += ["| Key result | Metric | Progress |", "|---|---|---|"]
        for kr in o.key_results:
            metric = _link(kr.metric, base) if kr.metric else "set by hand"
            lines.append(f"| {_md(kr.title)} | {metric} | {_md(kr_text(kr))} |")
        if not o.key_results:
            lines.append("| No key results | | |")
        items = ", ".join(_link(i, base) for i in o.items) or "none linked"
        lines += ["", f"Roadmap items: {items}", ""]
    return lines


CHANGE_TITLES = {
    "created": "New items",
    "status": "Status changes",
    "rank": "Re-ranked on the board",
    "removed": "Removed items",
}
LAUNCH_TITLES = (
    ("Shipped", "launches_shipped"),
    ("Upcoming (next 2 weeks)", "launches_upcoming"),
    ("Overdue", "launches_overdue"),
)


def _changes_md(digest: LeadershipDigest, base: str) -> list[str]:
    lines = ["## Roadmap changes", ""]
    for kind, title in CHANGE_TITLES.items():
        found = digest.changes_of(kind)
        lines += [f"### {title} ({len(found)})", ""]
        lines += [f"- {_link(c.item, base)} — {_md(c.text)}" for c in found] or ["None."]
        lines.append("")
    return lines


def _launches_md(digest: LeadershipDigest, base: str) -> list[str]:
    lines = ["## Launches", ""]
    for title, name in LAUNCH_TITLES:
        entries = getattr(digest, name)
        lines += [f"### {title}", ""]
        lines += [f"- {_link(x.launch, base)} — {_md(x.note)}" for x in entries] or ["None."]
        lines.append("")
    return lines


def summary_markdown(digest: LeadershipDigest, base: str = "") -> str:
    """A few lines for chat (the ``report.published`` event's summary)."""
    tracks = digest.tracks()
    parts = [f"{tracks.get(k, 0)} {TRACK_TEXT[k]}" for k in ("on_track", "off_track", "achieved")]
    return (
        f"**{_md(digest.title)}**\n"
        f"- Key results: {', '.join(parts)}\n"
        f"- Roadmap: {len(digest.changes_of('created'))} new, "
        f"{len(digest.changes_of('status'))} status changes, "
        f"{len(digest.changes_of('removed'))} removed\n"
        f"- Launches: {len(digest.launches_shipped)} shipped, "
        f"{len(digest.launches_upcoming)} upcoming, {len(digest.launches_overdue)} overdue\n"
        f"[Open in Pilothouse]({base}{digest.url})\n"
    )


def digest_to_markdown(digest: LeadershipDigest, base: str = "") -> str:
    """The whole digest as CommonMark (GitHub tables), links absolute to ``base``."""
    head = [f"# {digest.title}", "", f"[Open in Pilothouse]({base}{digest.url})", ""]
    body = _objectives_md(digest, base) + _changes_md(digest, base) + _launches_md(digest, base)
    return "\n".join(head + body).rstrip() + "\n"


def digest_charts(digest: LeadershipDigest) -> dict[str, bytes]:
    """``{content id: PNG}`` of the e-mail's inline images (empty without key results)."""
    rows = progress_rows(digest.objectives)
    return {PROGRESS_CID: png_progress(rows)} if rows else {}


def digest_to_email_html(
    digest: LeadershipDigest, base: str, unsubscribe_url: str | None = None
) -> str:
    """The digest for mail clients: inline styles, the progress chart as a ``cid:`` image."""
    rows = progress_rows(digest.objectives)
    return (
        _environment()
        .get_template("leadership_email.html")
        .render(
            digest=digest,
            base=base,
            unsubscribe_url=unsubscribe_url,
            kr_text=kr_text,
            objective_text=objective_text,
            change_titles=CHANGE_TITLES,
            launch_titles=LAUNCH_TITLES,
            chart_cid=PROGRESS_CID if rows else None,
            chart_height=len(rows) * 22,
        )  # fmt: skip
    )
