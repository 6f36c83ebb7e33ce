"""Stable YAML text and YAML parsed with the line of every field.

Export must give the same bytes for the same objects, so dumping is fixed here once:
keys in the order the adapter gives them, block style, Unicode kept, no line folding.
Parsing records where every mapping key and list entry starts, under dotted paths
(``stages.1.items.0.title``), the form the domain services name fields in, so an
error from a service can be reported as ``file:line``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from pilothouse.core.errors import FieldError, ValidationFailed

__all__ = ["Parsed", "dump", "field_lines", "line_of", "parse", "problem"]


def dump(data: dict[str, Any]) -> str:
    """``data`` as YAML that :func:`parse` reads back to equal values."""
    return yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000
    )


class Parsed:
    """One file's mapping and the line of each field path in it."""

    def __init__(self, filename: str, data: dict[str, Any], lines: dict[str, int]) -> None:
        self.filename = filename
        self.data = data
        self.lines = lines

    def where(self, path: str) -> str:
        return f"{self.filename}:{line_of(self.lines, path)}"

    def error(self, path: str, message: str) -> FieldError:
        """A problem at ``path`` named as ``file:line: path``."""
        return FieldError(f"{self.where(path)}: {path or 'file'}", message)


def _lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}.{index}" if path else str(index)
            out[child] = item.start_mark.line + 1
            _lines(item, child, out)


def field_lines(text: str, first_line: int = 1) -> dict[str, int]:
    """The line of every field path of the YAML ``text``, which starts on ``first_line``
    of its file (front matter); empty when it does not parse (reported elsewhere)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if node is not None:
        _lines(node, "", lines)
    return {path: line + first_line - 1 for path, line in lines.items()}


def line_of(lines: dict[str, int], path: str) -> int:
    """The line of ``path`` or of its nearest enclosing field (``a[1].b`` = ``a.1.b``)."""
    path = re.sub(r"\[(\d+)\]", r".\1", path).strip(".")
    while path:
        if path in lines:
            return lines[path]
        path = path.rsplit(".", 1)[0] if "." in path else ""
    return 1


def problem(filename: str, line: int, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{filename}:{line}: {field}: {message}",
        errors=[FieldError(f"{filename}:{line}: {field}", message)],
    )


def parse(text: str, filename: str) -> Parsed:
    """A YAML mapping with its field lines; invalid YAML or another shape → ``file:line``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        detail = getattr(exc, "problem", None) or str(exc)
        raise problem(filename, line, "file", f"not valid YAML ({detail})") from None
    if not isinstance(data, dict):
        raise problem(filename, 1, "file", "a mapping of fields expected")
    lines: dict[str, int] = {}
    if node is not None:
        _lines(node, "", lines)
    return Parsed(filename, data, lines)
