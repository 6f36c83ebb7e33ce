"""Playbooks as ``playbooks/<slug>.md``: the playbooks domain's own Markdown with YAML
front matter (``service.to_markdown`` / ``service.from_markdown``), written with the
playbooks service. The service has no delete (a playbook keeps its version history), so
``--prune`` never removes one.

``links`` name what a playbook describes by portable key (``launch_template:standard-launch``,
``roadmap_field:team``; see :mod:`pilothouse.workspace_code.references`), never by id. They
are set after every file is written (``settle``), so a playbook may name a template,
another playbook or a dashboard of the same directory; the playbook's links then are the
file's, in its order (links not in the file are removed). A key that names nothing is
refused with the file and line of that link.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.playbooks import service
from pilothouse.playbooks.common import check_ref, invalid
from pilothouse.playbooks.models import Playbook
from pilothouse.workspace_code import references
from pilothouse.workspace_code.kinds import Kind, Values
from pilothouse.workspace_code.yamltext import Parsed, field_lines

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


def _portable_links(session: Session, playbook: Playbook) -> list[str]:
    """The stored links by portable key; links to objects deleted since are left out."""
    found = (
        references.key_of(session, str(ref)) for _, ref in service.linked_refs(session, playbook)
    )
    return [key for key in found if key is not None]


def _current(session: Session) -> dict[str, Values]:
    out = {}
    for playbook in service.list_playbooks(session):
        text = service.to_markdown(playbook, links=_portable_links(session, playbook))
        out[playbook.slug] = _values(text, f"{playbook.slug}.md")
    return out


def _front_lines(text: str) -> dict[str, int]:
    """The file line of every front-matter path (``links.2``); the front matter is line 2 on."""
    rows = text.splitlines()
    end = next((i for i, row in enumerate(rows[1:], 1) if row.strip() == "---"), None)
    return field_lines("\n".join(rows[1:end]), 2) if end is not None else {}


def _parse(text: str, filename: str) -> Parsed:
    found = service.from_markdown(text, filename)
    data = {"slug": found.slug, **_values(text, filename), "_file": filename}
    return Parsed(filename, data, {**_front_lines(text), **found.lines})


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = []
    if parsed.data["slug"] != key:
        problems.append(parsed.error("slug", f"the file for {parsed.data['slug']!r} is not {key}"))
    values = {k: v for k, v in parsed.data.items() if k != "slug"}
    return values, problems


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    """Title, owner, review date and body; the links follow in :func:`_settle`."""
    found = service.from_markdown(values["_text"], values["_file"])
    if before is None:
        service.create_playbook(session, actor, {**found.values(), "slug": found.slug})
    else:
        service.update_playbook(session, actor, service.find_playbook(session, key), found.values())


def _resolved(session: Session, text: str, field: str) -> str:
    """``TYPE:ID`` for a file's ``TYPE:KEY``; a key naming nothing → 422 naming ``field``."""
    ref = references.id_of(session, text)
    if ref is None:
        kind, _, key = text.partition(":")
        raise invalid(field, f"no {kind} {key.strip()!r} in the directory or the workspace")
    return str(check_ref(session, ref, field))


def _settle(session: Session, actor: Actor, key: str, values: Values) -> None:
    """Make the playbook's links the file's, in the file's order."""
    playbook = service.find_playbook(session, key)
    wanted = [_resolved(session, t, f"links.{i}") for i, t in enumerate(values["links"])]
    current = service.linked_refs(session, playbook)
    same = 0
    while same < min(len(current), len(wanted)) and str(current[same][1]) == wanted[same]:
        same += 1
    for link_id, _ref in current[same:]:
        service.unlink_playbook(session, actor, playbook, link_id)
    for target in wanted[same:]:
        service.link_playbook(session, actor, playbook, target)


def _refers(values: Values) -> list[tuple[str, str, str]]:
    """The links to objects of the export, by directory and key."""
    out = []
    for index, link in enumerate(values["links"]):
        kind, _, key = link.partition(":")
        if kind in references.DIRECTORIES:
            out.append((f"links.{index}", references.DIRECTORIES[kind], key.strip()))
    return out


KIND = Kind(
    "playbooks",
    _current,
    _read,
    _put,
    suffix=".md",
    render=lambda v: v["_text"],
    parse=_parse,
    settle=_settle,
    refers=_refers,
)
