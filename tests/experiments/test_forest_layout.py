"""The forest plot's layout: a label column as wide as the labels need (long ones end in
an ellipsis and show whole in the tooltip), and round, evenly spaced axis values."""

from __future__ import annotations

import math
import re

import pytest

from pilothouse.experiments.forest import (
    CHAR_WIDTH,
    MAX_LABEL_WIDTH,
    PLOT_WIDTH,
    ForestRow,
    forest_svg,
    nice_ticks,
)


def _labels(svg: str) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text x="([\d.]+)"[^>]*text-anchor="end"[^>]*>([^<]*)</text>', svg
        )
    ]


def test_label_column_fits_the_longest_label() -> None:
    rows = [
        ForestRow("Purchases after the e-mail · Women's e-mail", 0.5, 0.2, 0.9, "better"),
        ForestRow("Spend · B", 0.1, -0.1, 0.3, "inconclusive"),
    ]
    svg = forest_svg(rows, relative=True)
    labels = _labels(svg)
    assert [text for _x, text in labels] == [r.label.replace("'", "&#39;") for r in rows]
    for right, text in labels:  # right-aligned at x: the text starts at x - its width >= 0
        assert right - len(text.replace("&#39;", "'")) * CHAR_WIDTH >= 0


def test_long_labels_are_shortened_and_kept_whole_in_the_tooltip() -> None:
    long = "Weekly active reporting workspaces with at least one scheduled export · Variant B"
    svg = forest_svg([ForestRow(long, 0.02, -0.01, 0.05, "inconclusive")], relative=True)
    ((right, text),) = _labels(svg)
    assert text.endswith("…") and long.startswith(text[:-1])
    assert right <= MAX_LABEL_WIDTH and right - len(text) * CHAR_WIDTH >= 0
    assert f"<title>{long}: +2.00%</title>" in svg


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (-0.145, 1.955),
        (-0.036, 0.009),
        (-3.2, 7.7),
        (0.0001, 0.0009),
        (-250.0, -3.0),
        (-1e-3, 1e-3),
    ],
)
def test_axis_values_are_round_evenly_spaced_and_readable(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert 2 <= len(ticks) <= 7
    assert all(low <= t <= high for t in ticks)
    steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    (step,) = steps
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 5, 10)
    if low <= 0 <= high:
        assert 0.0 in ticks
    assert step / (high - low) * PLOT_WIDTH >= 60  # room for a label such as "-12.5%"


def test_axis_labels_in_the_svg_do_not_collide() -> None:
    rows = [
        ForestRow("Spend · B", 1.17, 0.55, 1.8, "better"),
        ForestRow("Visits · B", 0.4, 0.3, 0.5, "better"),
    ]
    svg = forest_svg(rows, relative=True)
    axis = [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="middle"', svg)]
    assert len(axis) >= 3
    assert min(b - a for a, b in zip(axis, axis[1:], strict=False)) >= 60
    assert "0%" in svg and "50%" in svg and "100%" in svg
