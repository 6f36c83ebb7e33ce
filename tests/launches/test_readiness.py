"""The readiness score against hand-worked numbers (the formula is in docs/launches.md)."""

from __future__ import annotations

from pilothouse.launches.readiness import StageFacts, score


def test_worked_example_from_the_docs() -> None:
    # Stage 0 (passed, weight 2): 2 required done of 2, 1 approval of 1      → 3 of 3
    # Stage 1 (current, weight 2): 1 required done of 4, 0 approvals of 2   → 1 of 6
    # Stage 2 (later, weight 1): 0 of 2 required                           → 0 of 2
    # base = (2·3 + 2·1 + 1·0) / (2·3 + 2·6 + 1·2) = 8 / 20 = 0.40
    # two required items overdue: 40 − 2·5 = 30
    stages = [
        StageFacts(required=2, required_done=2, approvals=1, approvals_given=1),
        StageFacts(required=4, required_done=1, approvals=2, overdue_required=2),
        StageFacts(required=2),
    ]
    result = score(stages, current=1)
    assert result.base == 0.4
    assert result.penalty == 10
    assert result.score == 30


def test_optional_overdue_costs_two_and_the_score_never_goes_below_zero() -> None:
    # base = (2·1) / (2·2 + 1·1) = 2/5 = 0.4 → 40; one optional overdue → 38
    stages = [StageFacts(required=2, required_done=1, overdue_optional=1), StageFacts(required=1)]
    assert score(stages, current=0).score == 38
    swamped = [StageFacts(required=10, overdue_required=10), StageFacts()]
    assert score(swamped, current=0).score == 0


def test_nothing_required_is_fully_ready_and_later_stages_weigh_less() -> None:
    assert score([StageFacts(), StageFacts()], current=0).score == 100
    # The same unfinished item counts double in the current stage: 1/(1+2) vs 2/(2+1).
    early_gap = [StageFacts(required=1), StageFacts(required=1, required_done=1)]
    late_gap = [StageFacts(required=1, required_done=1), StageFacts(required=1)]
    assert score(early_gap, current=0).score == 33
    assert score(late_gap, current=0).score == 67
