"""The timeline's quarters: derived from dates, continuous from first to last, capped."""

from __future__ import annotations

from datetime import date

from pilothouse.roadmap.board_pages import MAX_QUARTERS, quarter_of, quarter_span


def test_quarter_of_a_date() -> None:
    assert [quarter_of(date(2026, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1",
        "2026-Q1",
        "2026-Q2",
        "2026-Q2",
        "2026-Q3",
        "2026-Q3",
        "2026-Q4",
        "2026-Q4",
    ]


def test_span_fills_gaps_across_years_and_caps() -> None:
    assert quarter_span(set()) == []
    assert quarter_span({"2026-Q3", "2027-Q2"}) == ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"]
    far = quarter_span({"2026-Q1", "2030-Q1"})
    assert far == ["2026-Q1", "2030-Q1"]  # too wide to fill: only the quarters in use
    assert len(quarter_span({"2026-Q1", "2028-Q4"})) == MAX_QUARTERS
