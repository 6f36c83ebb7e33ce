"""The public changelog: published release notes for readers without an account.

Opt-in per workspace (``launches.public_changelog``, off by default): when it is off
every public address answers 404, so a workspace that never opted in shows nothing.
Only *published* notes appear (drafts never), rendered from Markdown without raw
HTML, images or links into the app itself — a reader outside the company cannot
follow an internal link, and an internal path says more than the notes should.
The Atom feed gives each entry a stable ``tag:`` URI made from the launch's key and
creation date, so readers never see an entry twice after a republish.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.db import utcnow
from pilothouse.core.errors import NotFound
from pilothouse.core.workspace import WORKSPACE_SETTINGS, get_setting
from pilothouse.launches.models import Launch
from pilothouse.launches.release_notes import changelog

__all__ = [
    "ENABLED_SETTING",
    "TITLE_SETTING",
    "PublicEntry",
    "atom_feed",
    "etag_of",
    "is_enabled",
    "public_entries",
    "public_entry",
    "published_markdown_of",
    "render_public_markdown",
    "require_enabled",
    "title",
]

ENABLED_SETTING = "launches.public_changelog"
TITLE_SETTING = "launches.public_changelog_title"
ATOM_NS = "http://www.w3.org/2005/Atom"
PUBLIC_PATH = "/public/changelog"
EXTERNAL_SCHEMES = ("http://", "https://", "mailto:")


def _external_only(url: str) -> bool:
    """Links to other sites only: a relative path would point into the signed-in app."""
    return url.strip().lower().startswith(EXTERNAL_SCHEMES)


def _link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).disable("image")
    md.validateLink = _external_only  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _build_markdown()


def render_public_markdown(text: str) -> Markup:
    """Safe HTML for outside readers: raw HTML escaped, no images, no internal links."""
    return Markup(_MD.render(text or ""))  # noqa: S704 (markdown-it escapes raw HTML)


@dataclass(frozen=True)
class PublicEntry:
    """One launch's published notes, with nothing internal (no people, no ids)."""

    key: str
    name: str
    published_at: datetime
    created_at: datetime
    html: Markup

    @property
    def path(self) -> str:
        return f"{PUBLIC_PATH}/{self.key}"


def is_enabled(session: Session) -> bool:
    return bool(get_setting(session, ENABLED_SETTING))


def require_enabled(session: Session) -> None:
    """404 (not 403) when off: an address that was never opted in does not exist."""
    if not is_enabled(session):
        raise NotFound("this workspace has no public changelog")


def title(session: Session) -> str:
    """The product/workspace name the page and feed are titled with."""
    value = str(get_setting(session, TITLE_SETTING) or "").strip()
    return value or str(WORKSPACE_SETTINGS[TITLE_SETTING].default)


def _entry(launch: Launch) -> PublicEntry:
    assert launch.notes_published_at is not None
    return PublicEntry(
        key=launch.key,
        name=launch.name,
        published_at=launch.notes_published_at,
        created_at=launch.created_at or launch.notes_published_at,
        html=render_public_markdown(launch.notes_published),
    )


def public_entries(session: Session, limit: int = 50) -> list[PublicEntry]:
    """Published notes only, newest first (the changelog's own rule)."""
    return [_entry(launch) for launch in changelog(session, limit=limit)]


def public_entry(session: Session, key: str) -> PublicEntry:
    launch = session.scalar(select(Launch).where(Launch.key == key))
    if launch is None or launch.notes_published_at is None:
        raise NotFound(f"no published release notes named {key!r}")
    return _entry(launch)


def published_markdown_of(session: Session, key: str) -> str:
    """The published Markdown of ``key`` (for the plain-text part of e-mails)."""
    launch = session.scalar(select(Launch).where(Launch.key == key))
    if launch is None or launch.notes_published_at is None:
        raise NotFound(f"no published release notes named {key!r}")
    return launch.notes_published


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _tag(base_url: str, entry: PublicEntry | None) -> str:
    """RFC 4151 tag URI: authority = this site's host, date = when the name was minted."""
    host = urlsplit(base_url).hostname or "localhost"
    if entry is None:
        return f"tag:{host},2026-01-01:pilothouse/changelog"
    return f"tag:{host},{entry.created_at.date().isoformat()}:pilothouse/changelog/{entry.key}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    element.text = text
    return element


def _add_entry(feed: ET.Element, base_url: str, entry: PublicEntry) -> None:
    node = _sub(feed, "entry")
    _sub(node, "id", _tag(base_url, entry))
    _sub(node, "title", entry.name)
    _sub(node, "updated", _iso(entry.published_at))
    _sub(node, "published", _iso(entry.published_at))
    _sub(node, "link", rel="alternate", type="text/html", href=base_url + entry.path)
    _sub(node, "content", str(entry.html), type="html")


def atom_feed(base_url: str, feed_title: str, entries: list[PublicEntry]) -> bytes:
    """An Atom 1.0 document (RFC 4287) of the entries; ``updated`` is the newest entry's."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", _tag(base_url, None))
    _sub(feed, "title", feed_title)
    newest = max((e.published_at for e in entries), default=None)
    _sub(feed, "updated", _iso(newest or utcnow().replace(hour=0, minute=0, second=0)))
    _sub(
        feed, "link", rel="self", type="application/atom+xml", href=f"{base_url}{PUBLIC_PATH}.atom"
    )
    _sub(feed, "link", rel="alternate", type="text/html", href=base_url + PUBLIC_PATH)
    _sub(feed, "author").append(_named(feed_title))
    for entry in entries:
        _add_entry(feed, base_url, entry)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _named(name: str) -> ET.Element:
    element = ET.Element(f"{{{ATOM_NS}}}name")
    element.text = name
    return element


def etag_of(body: bytes) -> str:
    """A strong validator of exactly these bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
