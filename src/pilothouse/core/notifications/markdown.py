"""Markdown of comments and notifications rendered safely: no raw HTML, only safe links.

CommonMark through markdown-it-py with HTML input off (any ``<tag>`` is shown as
text), images off (an image would load a remote address the moment a page opens),
and links allowed only to http(s), mailto and this site's own paths. Links open
with ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["render_markdown"]

SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _safe_link(url: str) -> bool:
    url = url.strip()
    lowered = url.lower()
    if lowered.startswith(SAFE_SCHEMES):
        return True
    return url.startswith(("/", "#")) and not url.startswith(("//", "/\\"))


def _link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _build()


def render_markdown(text: str) -> Markup:
    """``text`` as HTML that is safe to put on a page."""
    return Markup(_MD.render(text or ""))
