"""What the per-package module tests check, written once: the public names a module
defines (so ``__all__`` can be compared with them) and its functions over the size
budget (STYLE.md: modules up to 800 lines, functions up to 40)."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

__all__ = ["defined_names", "long_functions"]


def defined_names(module: ModuleType) -> set[str]:
    """Public functions and classes defined in ``module`` itself (not imported into it)."""
    return {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == module.__name__
    }


def long_functions(module: ModuleType, limit: int = 40) -> list[str]:
    """``name (N lines)`` of every function or method in ``module`` longer than ``limit``."""
    source = inspect.getsource(module)
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]
