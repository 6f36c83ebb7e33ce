"""Playbooks as ``playbooks/<slug>.md``: the playbooks domain's own Markdown with YAML
front matter (``service.to_markdown`` / ``service.from_markdown``), applied with
``service.apply_markdown``. The playbooks service has no delete (a playbook keeps its
version history), so ``--prune`` never removes one; links in a file name objects by
id (``launch_template:3``) and are only added, as ``pilothouse playbooks`` does."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.playbooks import service
from pilothouse.workspace_code.kinds import Kind, Values
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]


def _values(text: str, filename: str) -> Values:
    found = service.from_markdown(text, filename)
    return {
        "title": found.title,
        "owner": found.owner,
        "reviewed_on": found.reviewed_on.isoformat() if found.reviewed_on else None,
        "links": list(found.links),
        "body": found.body,
        "_text": text,
    }


def _current(session: Session) -> dict[str, Values]:
    out = {}
    for playbook in service.list_playbooks(session):
        text = service.to_markdown(playbook)
        out[playbook.slug] = _values(text, f"{playbook.slug}.md")
    return out


def _parse(text: str, filename: str) -> Parsed:
    found = service.from_markdown(text, filename)
    data = {"slug": found.slug, **_values(text, filename), "_file": filename}
    return Parsed(filename, data, dict(found.lines))


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = []
    if parsed.data["slug"] != key:
        problems.append(parsed.error("slug", f"the file for {parsed.data['slug']!r} is not {key}"))
    values = {k: v for k, v in parsed.data.items() if k != "slug"}
    return values, problems


def _put(session: Session, actor: Actor, _key: str, values: Values, _before: Values | None) -> None:
    service.apply_markdown(session, actor, values["_text"], values["_file"])


KIND = Kind(
    "playbooks", _current, _read, _put, suffix=".md", render=lambda v: v["_text"], parse=_parse
)
