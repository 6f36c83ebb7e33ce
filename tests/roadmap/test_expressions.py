"""The formula language: what it computes, and everything hostile it refuses without running."""

from __future__ import annotations

import time

import pytest

from pilothouse.roadmap.expressions import (
    MAX_EXPONENT,
    FormulaError,
    evaluate,
    parse_formula,
)

FIELDS = ["reach", "impact", "confidence", "effort", "a", "b"]


def value(text: str, **values: float | None) -> float:
    return evaluate(parse_formula(text, fields=FIELDS), values)


def refused(text: str, **kwargs: object) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        parse_formula(text, fields=FIELDS, **kwargs)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reach * impact * confidence / 100 / effort", 400.0),
        ("(a + b) * 2 - 1", 13.0),
        ("a // b + a % b", 2.0),
        ("a ** 2", 16.0),
        ("-a + +b", -1.0),
        ("min(a, b, 1) + max(a, b)", 5.0),
        ("round(reach / 3, 2)", 333.33),
        ("abs(b - a)", 1.0),
        ("reach / effort if effort > 0 else 0", 250.0),
        ("1 if a < b <= 3 else 2", 2.0),
        ("(a > 1 and b > 1) + (not a) + (a == 4) + (a != 4)", 2.0),
        ("0 or b", 3.0),
    ],
)
def test_arithmetic(text: str, expected: float) -> None:
    values = {"reach": 1000, "impact": 2, "confidence": 80, "effort": 4, "a": 4, "b": 3}
    assert value(text, **values) == pytest.approx(expected)


def test_names_are_listed_in_first_use_order() -> None:
    assert parse_formula("effort + reach * effort").names == ("effort", "reach")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("().__class__.__bases__", "attribute access"),
        ("reach.real", "attribute access"),
        ("__import__('os').system('true')", "is not allowed"),
        ("open('/etc/passwd')", "calling 'open'"),
        ("eval('1')", "calling 'eval'"),
        ("(lambda: 1)()", "calling"),
        ("lambda: 1", "a lambda"),
        ("[x for x in (1, 2)]", "a comprehension"),
        ("a[0]", "indexing"),
        ("'text'", "not a number"),
        ("True", "not a number"),
        ("(a := 1)", "assignment"),
        ("2 ** 100000", "exponents may be at most"),
        ("a ** -65", "exponents may be at most"),
        ("max(a)", "takes 2 to 20 arguments"),
        ("round(a, ndigits=1)", "plain arguments"),
        ("min(*a)", "plain arguments"),
        ("a in b", "the operator"),
        ("a @ b", "the operator"),
        ("a << 2", "the operator"),
        ("min", "is a function"),
        ("import os", "syntax error"),
        ("a +", "syntax error"),
        ("1" * 400, "too large"),
    ],
)
def test_hostile_or_invalid_formulas_are_refused(text: str, reason: str) -> None:
    assert reason in str(refused(text))


def test_deep_nesting_and_long_formulas_are_refused() -> None:
    assert "nested" in str(refused("-" * 200 + "a"))
    assert "nested" in str(refused("abs(" * 50 + "a" + ")" * 50))
    assert parse_formula("(" * 100 + "a" + ")" * 100).names == ("a",)  # brackets cost nothing
    assert "longer than" in str(refused("a + " * 300 + "a"))


def test_unknown_field_is_named_with_position_and_suggestion() -> None:
    error = refused("reach * imapct")
    assert error.field == "imapct"
    assert error.position == 9
    assert "did you mean 'impact'" in str(error)


def test_a_field_of_the_wrong_type_is_named() -> None:
    error = refused("a * segment", field_types={"segment": "single_select"})
    assert error.field == "segment"
    assert "single_select field" in str(error)


def test_missing_values_and_division_by_zero_name_the_field() -> None:
    formula = parse_formula("reach / effort", fields=FIELDS)
    with pytest.raises(FormulaError) as missing:
        evaluate(formula, {"reach": 1, "effort": None})
    assert missing.value.field == "effort"
    assert "has no value" in str(missing.value)
    with pytest.raises(FormulaError) as zero:
        evaluate(formula, {"reach": 1, "effort": 0})
    assert zero.value.field == "effort"
    assert "division by zero" in str(zero.value)
    assert zero.value.position == 9


def test_runaway_growth_is_stopped_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(FormulaError, match="exponents may be at most"):
        evaluate(parse_formula("9 ** 9 ** 9"), {})
    with pytest.raises(FormulaError, match="too large"):
        evaluate(parse_formula(f"(a * a * a * a) ** {MAX_EXPONENT}"), {"a": 1e10})
    with pytest.raises(FormulaError, match="not a number"):
        evaluate(parse_formula("(0 - 8) ** 0.5"), {})
    assert time.monotonic() - started < 1


def test_only_the_branch_taken_is_evaluated() -> None:
    formula = parse_formula("a / b if b else 0")
    assert evaluate(formula, {"a": 1, "b": 0}) == 0
