"""Release notes: a Markdown draft made from the launched features, edited, then published
to the changelog (``/changelog``) and as Markdown (``/api/v1/launches/KEY/release-notes.md``).

The draft is generated from the features' titles and descriptions (read through the
roadmap's service), grouped by their product area. Publishing copies the draft, so
editing the draft later does not change what readers see until it is published again.
"""

from __future__ import annotations

from collections import defaultdict

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, FieldError, NotFound
from pilothouse.core.models import ProductArea, Role
from pilothouse.launches.common import LAUNCH_OBJECT_TYPE, invalid, launch_label
from pilothouse.launches.launching import features_of
from pilothouse.launches.models import Launch

__all__ = [
    "MAX_NOTES_CHARS",
    "changelog",
    "generate_draft",
    "publish",
    "published_markdown",
    "render_markdown",
    "save_draft",
]

MAX_NOTES_CHARS = 100_000
OTHER_AREA = "Other improvements"
#: CommonMark without raw HTML: notes are written by people, read by everyone.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def generate_draft(session: Session, launch: Launch) -> str:
    """A Markdown draft: the launch as a heading, a section per product area, and each
    feature's title and description."""
    areas = {a.id: a.name for a in session.scalars(select(ProductArea))}
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in features_of(session, launch):
        area = areas.get(item.product_area_id or -1, OTHER_AREA)
        grouped[area].append((item.title, item.description.strip() or "_No description yet._"))
    lines = [f"## {launch.name}", "", f"_Released {launch.target_date.isoformat()}_", ""]
    if launch.description:
        lines += [launch.description, ""]
    for area in sorted(grouped, key=lambda a: (a == OTHER_AREA, a)):
        lines += [f"### {area}", ""]
        for title, text in grouped[area]:
            lines += [f"#### {title}", "", text, ""]
    if not grouped:
        lines.append("_No features are attached to this launch yet._")
    return "\n".join(lines).strip() + "\n"


def save_draft(session: Session, actor: Actor, launch: Launch, markdown: str) -> Launch:
    """Store an edited draft (editors); audited with before and after."""
    actor.require(Role.editor, write=True)
    if len(markdown) > MAX_NOTES_CHARS:
        raise invalid("markdown", f"at most {MAX_NOTES_CHARS:,} characters")
    before = launch.notes_draft
    launch.notes_draft = markdown.replace("\r\n", "\n")
    session.flush()
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch, "release notes"),
        before={"release_notes.draft": before},
        after={"release_notes.draft": launch.notes_draft},
        name="launch.release_notes_edited",
    )
    return launch


def publish(session: Session, actor: Actor, launch: Launch) -> Launch:
    """Publish the current draft to the changelog (editors); an empty draft is refused."""
    actor.require(Role.editor, write=True)
    if not launch.notes_draft.strip():
        raise Conflict(
            f"{launch.key} has no release-notes draft; generate or write one first",
            errors=[FieldError("markdown", "empty")],
        )
    before = {"release_notes.published": launch.notes_published}
    launch.notes_published = launch.notes_draft
    launch.notes_published_at = utcnow()
    session.flush()
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch, "release notes published"),
        before=before,
        after={"release_notes.published": launch.notes_published},
        name="launch.release_notes_published",
    )
    from pilothouse.launches.subscriber_mail import queue_release_mail  # noqa: PLC0415 (cycle)

    queue_release_mail(session, launch)  # e-mail to public-changelog subscribers, if any
    return launch


def published_markdown(launch: Launch) -> str:
    if launch.notes_published_at is None:
        raise NotFound(f"{launch.key} has no published release notes")
    return launch.notes_published


def changelog(session: Session, limit: int = 100) -> list[Launch]:
    """Launches with published notes, most recently published first."""
    query = (
        select(Launch)
        .where(Launch.notes_published_at.is_not(None))
        .order_by(Launch.notes_published_at.desc(), Launch.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query).unique())


def render_markdown(text: str) -> Markup:
    """Safe HTML for a page: raw HTML in the Markdown is escaped, unsafe links dropped."""
    return Markup(_MARKDOWN.render(text))  # noqa: S704 (markdown-it escapes raw HTML)
