"""The workspace rules (``core.workspace`` settings) as one file, ``workspace/settings.yaml``.

"Workspace rules" are taken to be the settings a product organisation sets for itself
(an experiment needs a hypothesis before it starts, the public changelog, ...). Every
setting is written, defaults included, so the file says the whole rule set; a setting
missing from the file is left as it is. There is nothing to delete.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core import workspace as service
from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.workspace_code.kinds import Kind, Values
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

KEY = "settings"


def _current(session: Session) -> dict[str, Values]:
    return {KEY: {s.key: s.value for s in service.list_settings(session)}}


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = []
    if key != KEY:
        problems.append(parsed.error("file", f"the only file here is {KEY}.yaml"))
    for name, value in parsed.data.items():
        spec = service.WORKSPACE_SETTINGS.get(str(name))
        if spec is None:
            known = ", ".join(service.WORKSPACE_SETTINGS)
            problems.append(parsed.error(str(name), f"unknown setting; known: {known}"))
        elif not isinstance(value, spec.kind) or (
            spec.kind is not bool and isinstance(value, bool)
        ):
            problems.append(parsed.error(str(name), f"{spec.kind.__name__} expected"))
    return dict(parsed.data), problems


def _put(session: Session, actor: Actor, _key: str, values: Values, before: Values | None) -> None:
    old = before or {}
    changes = {k: v for k, v in values.items() if old.get(k) != v}
    if changes:
        service.update_settings(session, actor, changes)


KIND = Kind("workspace", _current, _read, _put)
