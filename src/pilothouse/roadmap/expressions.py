"""The safe expression language of score formulas, such as ``reach * impact / effort``.

Formulas are parsed with Python's :mod:`ast` and then walked against a whitelist:
numbers, field names, ``+ - * / // % **``, unary ``-``/``+``/``not``, comparisons,
``and``/``or``, the conditional ``a if condition else b`` and the functions
``min``, ``max``, ``round`` and ``abs``. Anything else (attributes, subscripts,
other calls, lambdas, comprehensions, strings) is refused with the position where
it starts, and nothing is ever handed to ``eval``. Exponents are limited to
:data:`MAX_EXPONENT` and every intermediate result must be a finite number, so a
formula cannot make the server compute forever or run out of memory.

This module is pure: it knows nothing of items or the database. Errors are
:class:`FormulaError` values that name the field (when one is involved) and the
1-based character position in the formula.

Example:
    >>> formula = parse_formula("reach * impact * confidence / 100 / effort")
    >>> formula.names
    ('reach', 'impact', 'confidence', 'effort')
    >>> evaluate(formula, {"reach": 1000, "impact": 2, "confidence": 80, "effort": 4})
    400.0
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_FORMULA_LENGTH",
    "Formula",
    "FormulaError",
    "evaluate",
    "parse_formula",
]

MAX_FORMULA_LENGTH = 1000
MAX_DEPTH = 40
MAX_EXPONENT = 64
#: The functions a formula may call, with the numbers of arguments each takes.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "min": (2, 20),
    "max": (2, 20),
    "round": (1, 2),
    "abs": (1, 1),
}

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_DIVISIONS = (ast.Div, ast.FloorDiv, ast.Mod)


class FormulaError(ValueError):
    """A formula that cannot be parsed or evaluated; says where and, if one, which field.

    Attributes:
        reason: what is wrong, without the position.
        field: the field involved (unknown, missing value, wrong type), or ``None``.
        position: 1-based character position in the formula, or ``None``.
    """

    def __init__(self, reason: str, *, field: str | None = None, position: int | None = None):
        where = f" (at position {position})" if position is not None else ""
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.field = field
        self.position = position


@dataclass(frozen=True)
class Formula:
    """A checked formula: its text, the tree, and the field names it reads in first-use order."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]
    line_starts: tuple[int, ...]

    def position(self, node: ast.AST) -> int:
        return _position(self.line_starts, node)


def _line_starts(text: str) -> tuple[int, ...]:
    starts, total = [], 0
    for line in text.split("\n"):
        starts.append(total)
        total += len(line) + 1
    return tuple(starts)


def _position(line_starts: tuple[int, ...], node: ast.AST) -> int:
    line = getattr(node, "lineno", 1)
    return line_starts[line - 1] + getattr(node, "col_offset", 0) + 1


def parse_formula(
    text: str,
    *,
    fields: Collection[str] | None = None,
    field_types: Mapping[str, str] | None = None,
) -> Formula:
    """Parse and check ``text``; raise :class:`FormulaError` naming the problem.

    Args:
        fields: the names a formula may read; ``None`` accepts any name.
        field_types: names of fields that exist but are not numbers, with their type,
            so that using one is refused with a clear reason.

    Returns:
        The checked :class:`Formula`, ready for :func:`evaluate`.
    """
    text = text.strip()
    if not text:
        raise FormulaError("the formula is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_FORMULA_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"syntax error: {exc.msg}", position=max(1, exc.offset or 1)) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("the formula is nested too deeply") from None
    starts = _line_starts(text)
    checker = _Checker(starts, fields, field_types or {})
    checker.check(tree.body, 0)
    return Formula(text, tree.body, tuple(checker.names), starts)


class _Checker:
    """Walks the tree once, refusing every node that is not on the whitelist."""

    def __init__(
        self,
        line_starts: tuple[int, ...],
        fields: Collection[str] | None,
        field_types: Mapping[str, str],
    ) -> None:
        self.line_starts = line_starts
        self.fields = fields
        self.field_types = field_types
        self.names: list[str] = []

    def fail(self, reason: str, node: ast.AST, field: str | None = None) -> FormulaError:
        return FormulaError(reason, field=field, position=_position(self.line_starts, node))

    def check(self, node: ast.expr, depth: int) -> None:  # noqa: C901 - one branch per node type
        if depth > MAX_DEPTH:
            raise self.fail(f"the formula is nested deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, ast.Constant):
            self._constant(node)
        elif isinstance(node, ast.Name):
            self._name(node)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self.check(node.left, depth + 1)
            self.check(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                self._exponent(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
            self.check(node.operand, depth + 1)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.check(value, depth + 1)
        elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            for part in (node.left, *node.comparators):
                self.check(part, depth + 1)
        elif isinstance(node, ast.IfExp):
            for part in (node.test, node.body, node.orelse):
                self.check(part, depth + 1)
        elif isinstance(node, ast.Call):
            self._call(node, depth)
        else:
            raise self.fail(f"{_describe(node)} is not allowed in a formula", node)

    def _constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise self.fail(f"{node.value!r} is not a number; formulas use numbers only", node)
        try:
            number = float(node.value)
        except OverflowError:
            raise self.fail("a number in the formula is too large", node) from None
        if not math.isfinite(number):
            raise self.fail("a number in the formula is too large", node)

    def _name(self, node: ast.Name) -> None:
        name = node.id
        if name in FUNCTIONS:
            raise self.fail(f"{name} is a function; call it as {name}(...)", node)
        if name in self.field_types:
            raise self.fail(
                f"field {name!r} is a {self.field_types[name]} field; formulas use number fields",
                node,
                field=name,
            )
        if self.fields is not None and name not in self.fields:
            close = difflib.get_close_matches(name, list(self.fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(f"unknown field {name!r}{hint}", node, field=name)
        if name not in self.names:
            self.names.append(name)

    def _exponent(self, node: ast.expr) -> None:
        value = _constant_value(node)
        if value is not None and abs(value) > MAX_EXPONENT:
            raise self.fail(f"exponents may be at most {MAX_EXPONENT}", node)

    def _call(self, node: ast.Call, depth: int) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            callee = ast.unparse(node.func)
            allowed = ", ".join(FUNCTIONS)
            raise self.fail(f"calling {callee!r} is not allowed; functions are {allowed}", node)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{node.func.id}() takes plain arguments only", node)
        low, high = FUNCTIONS[node.func.id]
        if not low <= len(node.args) <= high:
            count = f"{low}" if low == high else f"{low} to {high}"
            raise self.fail(f"{node.func.id}() takes {count} arguments", node)
        for argument in node.args:
            self.check(argument, depth + 1)


def _constant_value(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _constant_value(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    return None


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a generator",
        ast.NamedExpr: "assignment",
        ast.JoinedStr: "a string",
        ast.List: "a list",
        ast.Tuple: "a tuple",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.Await: "await",
    }
    for kind, label in names.items():
        if isinstance(node, kind):
            return label
    if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Compare):
        return f"the operator in {ast.unparse(node)!r}"
    return type(node).__name__


def evaluate(formula: Formula, values: Mapping[str, float | int | None]) -> float:
    """The value of ``formula`` for one set of field values.

    A field without a value, a division by zero, an exponent over the limit or a
    result that is not a finite number raises :class:`FormulaError` naming the field
    or the part of the formula. Only the branch a conditional takes is evaluated,
    so ``reach / effort if effort > 0 else 0`` never divides by zero.
    """
    result = _Evaluator(formula, values).run(formula.tree)
    return float(result)


class _Evaluator:
    def __init__(self, formula: Formula, values: Mapping[str, float | int | None]) -> None:
        self.formula = formula
        self.values = values

    def fail(self, reason: str, node: ast.AST, field: str | None = None) -> FormulaError:
        return FormulaError(reason, field=field, position=self.formula.position(node))

    def run(self, node: ast.expr) -> float:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.run(node.operand)
            if isinstance(node.op, ast.Not):
                return 0.0 if operand else 1.0
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BoolOp):
            result = 0.0
            for value in node.values:
                result = self.run(value)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            return self.run(node.body) if self.run(node.test) else self.run(node.orelse)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.fail(f"{_describe(node)} is not allowed in a formula", node)  # unreachable

    def _name(self, node: ast.Name) -> float:
        if node.id not in self.values:
            raise self.fail(f"unknown field {node.id!r}", node, field=node.id)
        value = self.values[node.id]
        if value is None:
            raise self.fail(f"field {node.id!r} has no value", node, field=node.id)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"field {node.id!r} is not a number", node, field=node.id)
        return float(value)

    def _binary(self, node: ast.BinOp) -> float:
        left, right = self.run(node.left), self.run(node.right)
        if isinstance(node.op, _DIVISIONS) and right == 0:
            divisor = ast.unparse(node.right)
            field = node.right.id if isinstance(node.right, ast.Name) else None
            raise self.fail(f"division by zero: {divisor!r} is 0", node.right, field=field)
        if isinstance(node.op, ast.Pow):
            if abs(right) > MAX_EXPONENT:
                raise self.fail(f"exponents may be at most {MAX_EXPONENT}", node.right)
            if left < 0 and not right.is_integer():
                raise self.fail("a negative number to a fractional power is not a number", node)
            if left == 0 and right < 0:
                raise self.fail("division by zero: 0 to a negative power", node)
        try:
            result = _BINARY[type(node.op)](left, right)
        except (OverflowError, ZeroDivisionError):
            raise self.fail("the result is too large", node) from None
        return self._finite(result, node)

    def _finite(self, result: float, node: ast.AST) -> float:
        if isinstance(result, complex) or not math.isfinite(result):
            raise self.fail("the result is too large to be a number", node)
        return float(result)

    def _compare(self, node: ast.Compare) -> float:
        left = self.run(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.run(comparator)
            if not _COMPARE[type(op)](left, right):
                return 0.0
            left = right
        return 1.0

    def _call(self, node: ast.Call) -> float:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        args = [self.run(a) for a in node.args]
        if name == "min":
            return min(args)
        if name == "max":
            return max(args)
        if name == "abs":
            return abs(args[0])
        digits = args[1] if len(args) == 2 else 0.0
        if not digits.is_integer() or not 0 <= digits <= 10:
            raise self.fail("round() takes 0 to 10 digits", node)
        return float(round(args[0], int(digits)))
