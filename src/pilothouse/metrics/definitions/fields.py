"""Reading typed values out of a loaded YAML mapping, reporting problems with lines.

``Section`` wraps one mapping of a :class:`LoadedDocument` with its path. Each
``text``/``flag``/``choice``... call returns the value (or a fallback) and records a
problem, with the exact line of the key, when the value is missing or malformed. The
parser therefore reads every field even after an earlier one failed, and reports
every problem in one run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from pilothouse.metrics.definitions.errors import DefinitionProblem, did_you_mean
from pilothouse.metrics.definitions.loader import LoadedDocument, Path, format_path

__all__ = ["DURATION", "Section", "parse_duration_seconds"]

E = TypeVar("E", bound=StrEnum)
DURATION = re.compile(r"^\s*(\d+)\s*(m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration_seconds(value: object) -> int | None:
    """``"7d"``, ``"24 hours"``, ``"30m"``, ``"2w"`` or a bare number of days -> seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 86400
    if not isinstance(value, str):
        return None
    match = DURATION.match(value.lower())
    if not match:
        return None
    return int(match.group(1)) * _SECONDS[match.group(2)[0]]


class Section:
    """One mapping in a document, read field by field with problems recorded."""

    def __init__(
        self,
        doc: LoadedDocument,
        path: Path,
        data: dict[str, Any],
        problems: list[DefinitionProblem],
        metric: str | None = None,
    ) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.problems = problems
        self.metric = metric

    def child(self, key: str | int, data: dict[str, Any]) -> Section:
        return Section(self.doc, (*self.path, key), data, self.problems, self.metric)

    def problem(self, key: str | int | None, message: str) -> None:
        path = self.path if key is None else (*self.path, key)
        line = self.doc.line(path)
        self.problems.append(
            DefinitionProblem(self.doc.file, line, format_path(path), message, self.metric)
        )

    def has(self, key: str) -> bool:
        return key in self.data

    def check_keys(self, allowed: Iterable[str], what: str) -> None:
        allowed = sorted(set(allowed))
        for key in self.data:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.problem(key, f"unknown key {key!r} for {what}{hint}")

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(None, f"missing required key {key!r}")
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"{key!r} must be a non-empty string")
            return default
        return value.strip()

    def pattern(self, key: str, regex: re.Pattern[str], what: str, *, required: bool) -> str:
        value = self.text(key, required=required)
        if value and not regex.match(value):
            self.problem(key, f"{key!r} must be {what}, got {value!r}")
            return ""
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problem(key, f"{key!r} must be true or false")
            return default
        return value

    def integer(self, key: str, *, low: int, high: int, default: int | None = None) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            self.problem(None, f"missing required key {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(key, f"{key!r} must be a whole number from {low} to {high}")
            return None
        return value

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E | None:
        value = self.data.get(key)
        if value is None:
            if default is None:
                self.problem(None, f"missing required key {key!r}")
            return default
        try:
            return enum(str(value).lower() if isinstance(value, str) else value)
        except ValueError:
            options = ", ".join(repr(m.value) for m in enum)
            hint = did_you_mean(str(value), [m.value for m in enum])
            self.problem(key, f"{key!r} must be one of {options}, got {value!r}{hint}")
            return default

    def string_list(self, key: str, *, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(key, f"{key!r} must be a list of strings")
            return ()
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.child(key, {}).problem(index, "must be a non-empty string")
            elif pattern is not None and not pattern.match(item):
                self.child(key, {}).problem(index, f"{item!r} is not a valid name")
            else:
                items.append(item.strip())
        return tuple(items)

    def mapping(self, key: str | int, value: Any) -> Section | None:
        if not isinstance(value, dict):
            self.problem(key, f"{key if isinstance(key, str) else 'item'} must be a mapping")
            return None
        return self.child(key, value)
