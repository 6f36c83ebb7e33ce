"""Error codes the stats engine returns as values.

A data problem in one comparison never raises: the result of that comparison
carries one of these codes in its ``error`` field and every other result is
still computed (the pattern of gbstats ``messages.py``). The engine raises only
on misuse, such as an invalid configuration object.

Codes are plain strings so they travel unchanged through JSON, the database and
the UI. ``DESCRIPTIONS`` holds the text shown to users and in ``docs/stats.md``.
"""

from __future__ import annotations

__all__ = [
    "DESCRIPTIONS",
    "INVALID_INPUT",
    "INVALID_STATISTICS",
    "NO_UNITS_IN_VARIATION",
    "TOO_FEW_UNITS",
    "ZERO_BASELINE",
    "ZERO_DENOMINATOR",
    "ZERO_NEGATIVE_BASELINE",
    "ZERO_NEGATIVE_VARIANCE",
]

NO_UNITS_IN_VARIATION = "NO_UNITS_IN_VARIATION"
TOO_FEW_UNITS = "TOO_FEW_UNITS"
ZERO_NEGATIVE_VARIANCE = "ZERO_NEGATIVE_VARIANCE"
ZERO_BASELINE = "ZERO_BASELINE"
#: Before December 2026 a negative baseline was refused too; snapshots stored then may
#: still carry this code, so it keeps its description. The engine no longer returns it.
ZERO_NEGATIVE_BASELINE = "ZERO_NEGATIVE_BASELINE"
ZERO_DENOMINATOR = "ZERO_DENOMINATOR"
INVALID_STATISTICS = "INVALID_STATISTICS"
INVALID_INPUT = "INVALID_INPUT"

DESCRIPTIONS: dict[str, str] = {
    NO_UNITS_IN_VARIATION: "The baseline or the variation has no units.",
    TOO_FEW_UNITS: (
        "Too few units to estimate a variance (fewer than 2), or for a quantile metric "
        "too few to bound the quantile."
    ),
    ZERO_NEGATIVE_VARIANCE: (
        "The variance of the effect is zero, or the sums imply a negative variance."
    ),
    ZERO_BASELINE: "The baseline mean is zero, so a relative effect is undefined.",
    ZERO_NEGATIVE_BASELINE: (
        "The baseline mean is zero or negative, so a relative effect is undefined "
        "(analyses before December 2026; a negative baseline is now divided by its size)."
    ),
    ZERO_DENOMINATOR: "A ratio metric has a zero denominator sum in the baseline or variation.",
    INVALID_STATISTICS: "A sufficient statistic the metric kind needs is missing or not finite.",
    INVALID_INPUT: "The metric in the input file is malformed; the message names the field.",
}
