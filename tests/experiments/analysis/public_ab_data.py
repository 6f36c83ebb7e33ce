"""Public A/B data as test data: the Udacity landing-page test (``ab_data.csv``).

The file lives in ``../shared/data/experiments/`` next to the repository (see its
README for source and licence) and is never shipped in the package: the demo is
simulated (docs/demo.md), and this test data checks the analysis pipeline against a
published result. Rows whose landing page contradicts their group are logging errors
and become no event (the usual cleaning); each user's country becomes a user trait.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

__all__ = ["METRICS", "data_folder", "udacity_events", "udacity_experiment"]

EXPOSURE_EVENT = "Experiment Viewed"
METRICS = Path(__file__).resolve().parent / "public_metrics"


def data_folder() -> Path:
    """``../shared/data/experiments`` relative to the repository (``/work/shared/data``)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "experiments"


def _ids(prefix: str, count: int) -> pa.Array:
    return pc.binary_join_element_wise(
        pa.array([prefix] * count), pa.array(range(count)).cast(pa.string()), ""
    )


def udacity_events(folder: Path) -> tuple[list[pa.Table], dict[str, str]]:
    """Exposure and purchase events of ``ab_data.csv``, and each user's country."""
    rows = pacsv.read_csv(folder / "ab_data.csv")
    group, page = rows["group"], rows["landing_page"]
    consistent = pc.or_(
        pc.and_(pc.equal(group, "control"), pc.equal(page, "old_page")),
        pc.and_(pc.equal(group, "treatment"), pc.equal(page, "new_page")),
    )
    rows = rows.filter(consistent)
    count = rows.num_rows
    users = pc.binary_join_element_wise(
        pa.array(["udacity-"] * count), rows["user_id"].cast(pa.string()), ""
    )
    times = pc.assume_timezone(rows["timestamp"].cast(pa.timestamp("us")), "UTC")
    exposures = pa.table(
        {
            "message_id": _ids("udacity-x", count),
            "event": pa.array([EXPOSURE_EVENT] * count),
            "user_id": users,
            "timestamp": times,
            "experiment": pa.array(["udacity-landing-page"] * count),
            "variation": rows["group"],
            "landing_page": rows["landing_page"],
        }
    )
    bought = pc.equal(rows["converted"], 1)
    buyers = int(pc.sum(bought.cast(pa.int64())).as_py())
    purchases = pa.table(
        {
            "message_id": _ids("udacity-l", buyers),
            "event": pa.array(["Landing Page Purchase"] * buyers),
            "user_id": users.filter(bought),
            "timestamp": times.filter(bought),
        }
    )
    countries = pacsv.read_csv(folder / "countries.csv")
    traits = dict(
        zip(
            [f"udacity-{u}" for u in countries["user_id"].to_pylist()],
            countries["country"].to_pylist(),
            strict=True,
        )
    )
    return [exposures, purchases], traits


def udacity_experiment() -> SimpleNamespace:
    """The experiment as the analysis planner reads it (no database needed)."""
    exposure: dict[str, Any] = {
        "kind": "event",
        "event": EXPOSURE_EVENT,
        "experiment_property": "experiment",
        "variation_property": "variation",
        "tracking_key": "udacity-landing-page",
    }
    return SimpleNamespace(
        key="EXP-1",
        analysis_unit="user",
        exposure=exposure,
        analysis={"start": "2017-01-02", "end": "2017-01-25", "dimensions": ["user.country"]},
        started_at=None,
        ended_at=None,
        variations=[
            SimpleNamespace(key="control", name="Old page", weight=0.5),
            SimpleNamespace(key="treatment", name="New page", weight=0.5),
        ],
        metrics=[
            SimpleNamespace(
                metric="landing_page_conversion", role="primary", bad_direction=None, margin=None
            )
        ],
    )
