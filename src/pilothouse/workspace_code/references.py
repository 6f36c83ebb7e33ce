"""Cross-references in exported files by portable key, never by database id.

Ids differ between workspaces, so a file that said ``launch_template:3`` would point at
another template (or none) once applied elsewhere. Objects that are themselves part of
the export are named by the key of their file: launch and experiment templates by the
slug of their name, roadmap fields by key, playbooks and dashboards by slug, saved
roadmap views by ``<owner e-mail slug>--<name slug>``. Keys are turned back into ids
when applied, in the apply's own transaction, so a file may name an object that another
file of the same directory creates. Other types (``decision:DEC-3``,
``metric:activation_rate``) are data, not configuration: they keep their reference as
stored and must exist in the target workspace.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.areas import slugify
from pilothouse.core.models import User
from pilothouse.experiments import template_service
from pilothouse.launches import blueprints
from pilothouse.ops.dashboards import service as dashboards
from pilothouse.playbooks import service as playbooks
from pilothouse.roadmap import fields
from pilothouse.roadmap.models import RoadmapView

__all__ = ["DIRECTORIES", "PORTABLE_TYPES", "id_of", "key_of", "keys_by_id", "view_keys"]


def view_keys(session: Session) -> dict[int, str]:
    """Each saved roadmap view's key: ``<owner e-mail slug>--<name slug>``; a second view
    of the same owner and name gets ``-2`` (in the order they were saved)."""
    emails = {u.id: u.email for u in session.scalars(select(User))}
    out: dict[int, str] = {}
    for view in session.scalars(select(RoadmapView).order_by(RoadmapView.id)):
        base = f"{slugify(emails.get(view.owner_id, str(view.owner_id)))}--{slugify(view.name)}"
        key, number = base, 2
        while key in out.values():
            key, number = f"{base}-{number}", number + 1
        out[view.id] = key
    return out


def _launch_templates(session: Session) -> dict[str, str]:
    return {str(t.id): slugify(t.name) for t in blueprints.list_templates(session)}


def _experiment_templates(session: Session) -> dict[str, str]:
    return {str(t.id): slugify(t.name) for t in template_service.list_templates(session)}


def _fields(session: Session) -> dict[str, str]:
    return {str(f.id): f.key for f in fields.list_fields(session)}


def _playbooks(session: Session) -> dict[str, str]:
    return {str(p.id): p.slug for p in playbooks.list_playbooks(session)}


def _dashboards(session: Session) -> dict[str, str]:
    found = dashboards.list_dashboards(session, Actor.command_line())
    return {str(d.id): d.slug for d in found}


#: Object type → its objects' ``{id: portable key}``.
PORTABLE_TYPES: dict[str, Callable[[Session], dict[str, str]]] = {
    "launch_template": _launch_templates,
    "experiment_template": _experiment_templates,
    "roadmap_field": _fields,
    "playbook": _playbooks,
    "dashboard": _dashboards,
}


#: Object type → the export directory of its files (whose names are the keys).
DIRECTORIES = {
    "launch_template": "launch-templates",
    "experiment_template": "experiment-templates",
    "roadmap_field": "fields",
    "playbook": "playbooks",
    "dashboard": "dashboards",
}
assert set(DIRECTORIES) == set(PORTABLE_TYPES)


def keys_by_id(session: Session, kind: str) -> dict[str, str]:
    """``{id: key}`` of every object of a portable type (slugs map to themselves too, as
    playbook and dashboard links may be stored by slug)."""
    found = PORTABLE_TYPES[kind](session)
    return found | {key: key for key in found.values()}


def key_of(session: Session, reference: str) -> str | None:
    """``TYPE:KEY`` for a stored ``TYPE:ID``; None when the object is gone."""
    kind, _, ident = reference.partition(":")
    if kind not in PORTABLE_TYPES:
        return reference
    key = keys_by_id(session, kind).get(ident)
    return f"{kind}:{key}" if key is not None else None


def id_of(session: Session, reference: str) -> str | None:
    """``TYPE:ID`` for a file's ``TYPE:KEY``; None when no object has that key. Other
    types come back as written (their own service checks them)."""
    kind, _, key = reference.partition(":")
    if kind not in PORTABLE_TYPES:
        return reference
    ids = {k: i for i, k in PORTABLE_TYPES[kind](session).items()}
    found = ids.get(key.strip())
    return f"{kind}:{found}" if found is not None else None
