"""YAML loading that remembers the line of every key and list item.

PyYAML's ``safe_load`` throws positions away, but every validation problem must name
its line. So we compose the node tree (which keeps ``start_mark``), build the plain
Python value ourselves and record a ``path -> line`` table beside it. Scalars are
still built by PyYAML's safe constructor, so no tag can construct Python objects.

Alias expansion is bounded (``MAX_NODES``) so a "billion laughs" file is refused,
not expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from pilothouse.metrics.definitions.errors import DefinitionProblem

__all__ = ["MAX_FILE_BYTES", "MAX_NODES", "LoadedDocument", "Path", "format_path", "load_yaml"]

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed file: plain data plus the line (1-based) of each path in it."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class _TooLarge(Exception):
    pass


class _Builder:
    """Turns a composed node tree into plain data, recording lines and problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path, int] = {}
        self.problems: list[DefinitionProblem] = []
        self.count = 0
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(line, path, "keys must be plain names")
                continue
            key = str(self._constructor.construct_object(key_node))
            if key in result:
                self._problem(line, (*path, key), f"duplicate key {key!r}")
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key))
        return result

    def _problem(self, line: int, path: Path, message: str) -> None:
        self.problems.append(DefinitionProblem(self.file, line, format_path(path), message))


def format_path(path: Path) -> str:
    """``("metrics", 2, "filters", 0, "op")`` -> ``metrics[2].filters[0].op``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(file)"


def load_yaml(text: str, file: str) -> tuple[LoadedDocument | None, list[DefinitionProblem]]:
    """Parse one YAML document; syntax errors become problems with their line.

    Args:
        text: the file's contents.
        file: the name used in problems (usually the path relative to the folder).

    Returns:
        The document (None when it could not be parsed) and the problems found.
    """
    if len(text.encode()) > MAX_FILE_BYTES:
        return None, [DefinitionProblem(file, None, "(file)", "file is larger than 1 MB")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        return None, [DefinitionProblem(file, line, "(file)", message)]
    except yaml.YAMLError as exc:
        return None, [DefinitionProblem(file, None, "(file)", f"invalid YAML: {exc}")]
    if node is None:
        return LoadedDocument(file, {}), []
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except _TooLarge:
        message = f"file expands to more than {MAX_NODES} YAML nodes (alias bomb?)"
        return None, [DefinitionProblem(file, None, "(file)", message)]
    except yaml.YAMLError as exc:
        return None, [DefinitionProblem(file, None, "(file)", f"invalid YAML value: {exc}")]
    return LoadedDocument(file, data, builder.lines), builder.problems
