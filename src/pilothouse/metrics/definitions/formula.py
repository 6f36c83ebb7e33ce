"""Safe parsing of derived-metric formulas such as ``"revenue_cents / buyers / 100"``.

The text goes through Python's ``ast`` parser and then through a whitelist: numbers,
metric names, ``+ - * /``, unary minus and parentheses. Anything else (calls,
attributes, subscripts, comparisons, ``**``) is refused, and nothing is ever
evaluated: the result is a small tree of frozen dataclasses the compiler turns into
sqlglot expressions.

Example:
    >>> tree = parse_formula("(a + b) / 2")
    >>> references(tree)
    ('a', 'b')
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = [
    "MAX_FORMULA_LENGTH",
    "BinaryOp",
    "FormulaError",
    "FormulaNode",
    "MetricRef",
    "Negate",
    "Number",
    "parse_formula",
    "references",
]

MAX_FORMULA_LENGTH = 1000
_MAX_DEPTH = 50
_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


class FormulaError(ValueError):
    """The formula is not arithmetic over metric names and numbers."""


@dataclass(frozen=True)
class Number:
    value: int | float


@dataclass(frozen=True)
class MetricRef:
    name: str


@dataclass(frozen=True)
class Negate:
    operand: FormulaNode


@dataclass(frozen=True)
class BinaryOp:
    op: str  # one of + - * /
    left: FormulaNode
    right: FormulaNode


FormulaNode = Number | MetricRef | Negate | BinaryOp


def parse_formula(text: str) -> FormulaNode:
    """Parse ``text`` into a formula tree, or raise :class:`FormulaError` saying why."""
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"formula is longer than {MAX_FORMULA_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula is not valid arithmetic: {exc.msg}") from None
    return _convert(tree.body, 0)


def _convert(node: ast.expr, depth: int) -> FormulaNode:
    if depth > _MAX_DEPTH:
        raise FormulaError("formula is nested too deeply")
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise FormulaError("formula may not use true/false")
        return Number(node.value)
    if isinstance(node, ast.Name):
        return MetricRef(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _convert(node.operand, depth + 1)
        return Negate(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _convert(node.left, depth + 1)
        right = _convert(node.right, depth + 1)
        return BinaryOp(_OPERATORS[type(node.op)], left, right)
    raise FormulaError(
        f"formula may only use metric names, numbers, + - * / and parentheses "
        f"(found {ast.unparse(node)!r})"
    )


def references(node: FormulaNode) -> tuple[str, ...]:
    """Metric names used by the formula, in first-use order, without repeats."""
    found: list[str] = []

    def walk(current: FormulaNode) -> None:
        if isinstance(current, MetricRef):
            if current.name not in found:
                found.append(current.name)
        elif isinstance(current, Negate):
            walk(current.operand)
        elif isinstance(current, BinaryOp):
            walk(current.left)
            walk(current.right)

    walk(node)
    return tuple(found)
