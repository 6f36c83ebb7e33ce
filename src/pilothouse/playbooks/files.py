"""One playbook as one Markdown file with YAML front matter (for workspace export/apply).

::

    ---
    title: Launch playbook
    slug: launch-playbook
    owner: maya@ledgerly.example
    reviewed_on: 2026-10-01
    links:
      - launch_template:1
    ---
    The body, in Markdown.

:func:`from_markdown` parses and checks the *shape* of a file without a database and
reports every problem as ``path:line: field: message`` (the line of the offending
front-matter key, or of the YAML syntax error), so nothing is written from a bad
file. Checks that need the database (the owner exists, the linked template exists)
happen in ``service.apply_markdown``, which names the same file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from sqlalchemy.orm import object_session

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.playbooks.common import clean_slug, clean_text, parse_date
from pilothouse.playbooks.models import Playbook

__all__ = ["FRONT_MATTER_KEYS", "PlaybookFile", "from_markdown", "to_markdown"]

FRONT_MATTER_KEYS = ("title", "slug", "owner", "reviewed_on", "links")
_FENCE = "---"


@dataclass
class PlaybookFile:
    """A parsed file: the values, and the line each front-matter key is on."""

    path: str
    title: str
    slug: str
    body: str
    owner: str | None = None
    reviewed_on: date | None = None
    links: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "owner": self.owner,
            "reviewed_on": self.reviewed_on,
        }

    def located(self, error: ValidationFailed) -> ValidationFailed:
        """``error`` again, with this file and the line of the field it names."""
        name = error.errors[0].field if error.errors else ""
        line = self.lines.get(name.split(".")[0], 1)  # a missing key: the front matter
        return _error(self.path, line, name or "file", str(error.detail))


def _error(path: str, line: int, name: str, message: str) -> ValidationFailed:
    where = f"{path}:{line}"
    return ValidationFailed(f"{where}: {message}", errors=[FieldError(name, f"{where}: {message}")])


def to_markdown(playbook: Playbook, links: Sequence[str] | None = None) -> str:
    """The playbook as a file that :func:`from_markdown` reads back to the same values.

    ``links`` replaces the stored ``TYPE:ID`` links: workspace export names them by
    portable key instead, as ids differ between workspaces."""
    from pilothouse.playbooks.service import linked_refs

    session = object_session(playbook)
    if links is None:
        links = [str(ref) for _, ref in linked_refs(session, playbook)] if session else []
    head: dict[str, Any] = {"title": playbook.title, "slug": playbook.slug}
    if playbook.owner is not None:
        head["owner"] = playbook.owner.email
    if playbook.reviewed_on is not None:
        head["reviewed_on"] = playbook.reviewed_on
    if links:
        head["links"] = list(links)
    front = yaml.safe_dump(head, sort_keys=False, allow_unicode=True).rstrip("\n")
    body = playbook.body.rstrip("\n")
    return f"{_FENCE}\n{front}\n{_FENCE}\n{body}\n" if body else f"{_FENCE}\n{front}\n{_FENCE}\n"


def _split(text: str, path: str) -> tuple[str, str, int]:
    """``(front matter, body, line the body starts on)``."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise _error(path, 1, "file", "a playbook file starts with '---' and YAML front matter")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == _FENCE:
            body = "\n".join(lines[number:])
            return "\n".join(lines[1 : number - 1]), body, number + 1
    raise _error(path, 1, "file", "the front matter has no closing '---' line")


def _key_lines(front: str, path: str) -> dict[str, int]:
    """The file line of each top-level key (front matter starts on line 2)."""
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc)
        raise _error(path, line, "front_matter", f"invalid YAML: {problem}") from None
    if not isinstance(node, yaml.MappingNode):
        raise _error(path, 2, "front_matter", "the front matter must be a mapping of keys")
    return {str(k.value): k.start_mark.line + 2 for k, _ in node.value}


def _links(raw: Any, path: str, line: int) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise _error(path, line, "links", "links: a list of TYPE:ID strings")
    for value in raw:
        if ":" not in value:
            raise _error(path, line, "links", f"links: {value!r} is not TYPE:ID")
    return [v.strip() for v in raw]


def from_markdown(text: str, path: str) -> PlaybookFile:
    """Parse one playbook file; a problem raises ``ValidationFailed`` naming ``path:line``."""
    front, body, body_line = _split(text, path)
    lines = _key_lines(front, path)
    lines["body"] = body_line
    head = yaml.safe_load(front) or {}
    for key in head:
        if key not in FRONT_MATTER_KEYS:
            allowed = ", ".join(FRONT_MATTER_KEYS)
            raise _error(path, lines[str(key)], str(key), f"unknown key {key!r}; use {allowed}")
    parsed = PlaybookFile(path=path, title="", slug="", body=body.strip("\n"), lines=lines)
    try:
        parsed.title = clean_text(head.get("title"), "title", required=True)
        parsed.slug = clean_slug(head.get("slug"))
        owner = head.get("owner")
        parsed.owner = str(owner).strip() if owner not in (None, "") else None
        parsed.reviewed_on = parse_date(head.get("reviewed_on"), "reviewed_on")
    except ValidationFailed as exc:
        raise parsed.located(exc) from None
    parsed.links = _links(head.get("links"), path, lines.get("links", 2))
    return parsed
