"""The readiness score of a launch: a pure function of counts, testable without a database.

For each stage ``s`` (positions ``0 … n-1``) let

- ``units_s`` = required checklist items + named gate approvals of the stage,
- ``done_s``  = required items done + approvals given,
- ``w_s``     = 2 for stages up to and including the current one (work that should be
  finished by now), 1 for later stages.

Then::

    base    = Σ w_s · done_s / Σ w_s · units_s          (1.0 when there are no units)
    penalty = 5 · overdue required items + 2 · overdue optional items
    score   = max(0, round(100 · base − penalty))        (0 … 100)

Optional items never raise the score (they are optional), but letting one slip past
its due date still costs a little. An item is overdue when it is not done and its due
date is before today in the workspace time zone, except that optional items of stages
already passed were skipped (not late), and nothing of a cancelled launch is overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pilothouse.launches.models import (
    ApprovalDecision,
    Launch,
    LaunchItem,
    LaunchStage,
    LaunchStatus,
)

__all__ = [
    "OVERDUE_OPTIONAL_PENALTY",
    "OVERDUE_REQUIRED_PENALTY",
    "Readiness",
    "StageFacts",
    "facts_of",
    "is_overdue",
    "item_overdue",
    "readiness_of",
    "score",
]

OVERDUE_REQUIRED_PENALTY = 5
OVERDUE_OPTIONAL_PENALTY = 2
CURRENT_WEIGHT = 2
LATER_WEIGHT = 1


@dataclass(frozen=True)
class StageFacts:
    """The counts of one stage that the score needs."""

    required: int = 0
    required_done: int = 0
    approvals: int = 0
    approvals_given: int = 0
    overdue_required: int = 0
    overdue_optional: int = 0


@dataclass(frozen=True)
class Readiness:
    score: int
    base: float
    penalty: int
    overdue_required: int
    overdue_optional: int


def score(stages: Sequence[StageFacts], current: int) -> Readiness:
    """The readiness of a launch in stage ``current`` (see the module docstring)."""
    weighted_units = weighted_done = 0
    for position, facts in enumerate(stages):
        weight = CURRENT_WEIGHT if position <= current else LATER_WEIGHT
        weighted_units += weight * (facts.required + facts.approvals)
        weighted_done += weight * (facts.required_done + facts.approvals_given)
    base = weighted_done / weighted_units if weighted_units else 1.0
    overdue_required = sum(f.overdue_required for f in stages)
    overdue_optional = sum(f.overdue_optional for f in stages)
    penalty = OVERDUE_REQUIRED_PENALTY * overdue_required + OVERDUE_OPTIONAL_PENALTY * (
        overdue_optional
    )
    value = max(0, round(100 * base - penalty))
    return Readiness(value, base, penalty, overdue_required, overdue_optional)


def is_overdue(item: LaunchItem, today: date) -> bool:
    """Not done and due before ``today`` (the plain rule, without the launch's context)."""
    return item.done_at is None and item.due_date < today


def item_overdue(launch: Launch, stage: LaunchStage, item: LaunchItem, today: date) -> bool:
    """Overdue in context: skipped optional items of passed stages and everything of a
    cancelled launch are not."""
    if launch.status is LaunchStatus.cancelled:
        return False
    if stage.position < launch.current_stage and not item.required:
        return False
    return is_overdue(item, today)


def facts_of(launch: Launch, today: date) -> list[StageFacts]:
    """The counts of each of ``launch``'s stages on ``today``."""
    result = []
    for stage in launch.stages:
        required = [i for i in stage.items if i.required]
        approvals = [a for g in stage.gates for a in g.approvals]
        late = [i for i in stage.items if item_overdue(launch, stage, i, today)]
        result.append(
            StageFacts(
                required=len(required),
                required_done=sum(1 for i in required if i.done),
                approvals=len(approvals),
                approvals_given=sum(
                    1 for a in approvals if a.decision is ApprovalDecision.approved
                ),
                overdue_required=sum(1 for i in late if i.required),
                overdue_optional=sum(1 for i in late if not i.required),
            )
        )
    return result


def readiness_of(launch: Launch, today: date) -> Readiness:
    return score(facts_of(launch, today), launch.current_stage)
