"""What every object kind's adapter offers the export/apply engine.

An adapter turns stored objects into plain values (the file's content, in a fixed key
order) and plain values back into service calls. The engine never touches a table:
it compares values, and the adapters call the owning domain's service functions,
which check, write and audit each change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.workspace_code.yamltext import Parsed, dump

__all__ = ["Kind", "Values", "check_fields"]

Values = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One object kind: its directory, file suffix and the calls that read and write it."""

    directory: str
    #: key → values of every stored object, in the exported form.
    current: Callable[[Session], dict[str, Values]]
    #: the checked values of one parsed file, or its problems (named by field path).
    read: Callable[[Parsed, str], tuple[Values, list[FieldError]]]
    #: create (``before`` is None) or change the object ``key`` to ``values``.
    put: Callable[[Session, Actor, str, Values, Values | None], None]
    #: delete the object ``key``; None when this kind is never deleted by apply.
    remove: Callable[[Session, Actor, str], None] | None = None
    #: why ``key`` may not be deleted (in use), or None.
    in_use: Callable[[Session, str], str | None] = lambda _session, _key: None
    suffix: str = ".yaml"
    render: Callable[[Values], str] = dump
    #: parse a file's text; YAML by default (Markdown kinds bring their own).
    parse: Callable[[str, str], Parsed] | None = None
    #: after every object of every kind is written: set what refers to other objects
    #: (a playbook's links), so a file may name any object of the same directory.
    settle: Callable[[Session, Actor, str, Values], None] | None = None
    #: the objects a file's values name: ``(field path, kind directory, key)`` each,
    #: checked before anything is written against the directory and the workspace.
    refers: Callable[[Values], list[tuple[str, str, str]]] = lambda _values: []


def check_fields(
    parsed: Parsed, allowed: dict[str, type | tuple[type, ...]], required: tuple[str, ...]
) -> list[FieldError]:
    """Unknown, missing and wrongly typed top-level fields of a file, each with its line."""
    problems = []
    for name in parsed.data:
        if name not in allowed:
            known = ", ".join(allowed)
            problems.append(parsed.error(str(name), f"unknown field; known: {known}"))
    for name in required:
        if parsed.data.get(name) in (None, ""):
            problems.append(parsed.error(name, "required"))
    for name, kind in allowed.items():
        value = parsed.data.get(name)
        if value is None:
            continue
        wrong_bool = isinstance(value, bool) and kind is not bool and bool not in _tuple(kind)
        if not isinstance(value, kind) or wrong_bool:
            problems.append(parsed.error(name, f"{_names(kind)} expected"))
    return problems


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    words = {"str": "text", "int": "a whole number", "bool": "true or false", "list": "a list"}
    return " or ".join(words.get(k.__name__, k.__name__) for k in _tuple(kind))
