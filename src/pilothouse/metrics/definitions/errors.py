"""Problems found in metric files, and the error-level switch that decides what to do.

Like sqlglot's ``ErrorLevel``: the validator always *finds* problems the same way;
the level only decides whether they are collected and returned (``COLLECT``),
collected and raised together (``RAISE``) or raised at the first one (``IMMEDIATE``).

::

    PilothouseError
    ├── ValidationFailed (422)
    │   └── MetricDefinitionError    every problem, each with file, line and field
    └── NotFound (404)
        ├── UnknownMetric            a name that is not in the catalog
        └── UnknownDimension         a breakdown that is not in the catalog
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from pilothouse.core.errors import FieldError, NotFound, ValidationFailed

__all__ = [
    "DefinitionProblem",
    "ErrorLevel",
    "MetricDefinitionError",
    "ProblemCollector",
    "UnknownDimension",
    "UnknownMetric",
    "did_you_mean",
]


class ErrorLevel(Enum):
    COLLECT = "collect"  # return every problem; raise nothing
    RAISE = "raise"  # find every problem, then raise them together
    IMMEDIATE = "immediate"  # raise at the first problem


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in one metric file: ``field`` is a dotted path such as ``metrics[2].op``."""

    file: str
    line: int | None
    field: str
    message: str
    metric: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        about = f" (metric {self.metric!r})" if self.metric else ""
        return f"{where}: {self.field}: {self.message}{about}"

    def as_field_error(self) -> FieldError:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return FieldError(field=self.field, message=f"{where}: {self.message}")


class MetricDefinitionError(ValidationFailed):
    """The metric files are invalid; ``problems`` lists every problem found."""

    code = "metric-definition-error"
    title = "Invalid metric definitions"

    def __init__(self, problems: Iterable[DefinitionProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "no details"
        detail = first if count == 1 else f"{count} problems in metric files; first: {first}"
        super().__init__(detail, errors=[p.as_field_error() for p in self.problems])


class UnknownMetric(NotFound):
    code = "unknown-metric"
    title = "Unknown metric"


class UnknownDimension(NotFound):
    code = "unknown-dimension"
    title = "Unknown dimension"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` suffix when a close match exists, else ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


class ProblemCollector:
    """Accumulates problems for one run and applies the error level.

    ``add`` raises at once under ``IMMEDIATE``; ``finish`` raises everything under
    ``RAISE``. Validators call ``add`` and never decide about raising themselves.
    """

    def __init__(self, level: ErrorLevel = ErrorLevel.RAISE) -> None:
        self.level = level
        self.problems: list[DefinitionProblem] = []

    def add(self, problem: DefinitionProblem) -> None:
        self.problems.append(problem)
        if self.level is ErrorLevel.IMMEDIATE:
            raise MetricDefinitionError([problem])

    def extend(self, problems: Iterable[DefinitionProblem]) -> None:
        for problem in problems:
            self.add(problem)

    def finish(self) -> tuple[DefinitionProblem, ...]:
        if self.problems and self.level is ErrorLevel.RAISE:
            raise MetricDefinitionError(self.problems)
        return tuple(self.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)
