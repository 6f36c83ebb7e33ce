"""Demo experiments from public A/B test data, through the pipeline a user would use.

Three published tests (``../shared/data/experiments/`` next to the repository; see
its README for sources and licences — the files are read at demo-load time and never
copied into the package):

- **Udacity landing page** (``ab_data.csv`` + ``countries.csv``): old vs new page,
  conversion. The usual cleaning is applied when the rows become events: rows whose
  landing page contradicts their group are logging errors and are left out; a user's
  repeated exposures collapse to the first one in the analysis.
- **Cookie Cats** (``cookie_cats.csv``): the first gate at level 30 vs 40; game rounds
  and day-1/day-7 retention. The file has no times, so each player gets a seeded
  install time and their returns are placed exactly 1 and 7 days later.
- **Hillstrom e-mail test** (``hillstrom.csv``): no e-mail vs men's vs women's
  e-mail; visits, purchases and spend in the two weeks after the send, with last
  year's spend (``history``) as a purchase before the send, so CUPED uses it.

Each file is turned into exposure and outcome events in a Parquet file and loaded
with the bulk importer (:func:`pilothouse.metrics.importer.plan_import`, what
``pilothouse events import`` runs); countries become user traits through the event
store's ``identify`` path. The experiments are created with their real variations
and weights through the registry, their metric definitions are added to the metrics
folder, and each one is analysed and its snapshot stored. Loading twice adds nothing
twice (fixed message ids; experiments are found by name).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.experiments import registry
from pilothouse.experiments.models import DecisionOutcome, Experiment, MetricRole
from pilothouse.metrics.importer import ColumnMapping, plan_import
from pilothouse.metrics.segment import Identify
from pilothouse.metrics.store import StoreWrite

__all__ = [
    "DATASETS",
    "DEFINITIONS",
    "Dataset",
    "data_folder",
    "load_demo_experiments",
    "udacity_events",
]

SEED = 20240301
EXPOSURE_EVENT = "Experiment Viewed"
DEFINITIONS = Path(__file__).resolve().parent / "demo_definitions"
_UTC = dt.UTC


def data_folder() -> Path:
    """``../shared/data/experiments`` relative to the repository (``/work/shared/data``)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "experiments"


def _table(columns: dict[str, Any]) -> pa.Table:
    return pa.table(columns)


def _utc(values: Any) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def _exposures(
    prefix: str, users: Any, times: Any, key: str, variations: Any, **extra: Any
) -> pa.Table:
    count = len(users)
    return _table(
        {
            "message_id": pc.binary_join_element_wise(
                pa.array([f"{prefix}-x"] * count), pa.array(range(count)).cast(pa.string()), ""
            ),
            "event": pa.array([EXPOSURE_EVENT] * count),
            "user_id": users,
            "timestamp": times,
            "experiment": pa.array([key] * count),
            "variation": variations,
            **extra,
        }
    )


def _events(prefix: str, name: str, users: Any, times: Any, **properties: Any) -> pa.Table:
    count = len(users)
    return _table(
        {
            "message_id": pc.binary_join_element_wise(
                pa.array([f"{prefix}-{name[:1].lower()}"] * count),
                pa.array(range(count)).cast(pa.string()),
                "",
            ),
            "event": pa.array([name] * count),
            "user_id": users,
            "timestamp": times,
            **properties,
        }
    )


# -- Udacity landing page ----------------------------------------------------------------


def udacity_events(folder: Path) -> tuple[list[pa.Table], dict[str, str]]:
    """Exposure and purchase events of ``ab_data.csv``, and each user's country.

    Rows whose landing page contradicts their group (``treatment`` on ``old_page`` or
    ``control`` on ``new_page``) are logging errors and become no event.
    """
    rows = pacsv.read_csv(folder / "ab_data.csv")
    group, page = rows["group"], rows["landing_page"]
    consistent = pc.or_(
        pc.and_(pc.equal(group, "control"), pc.equal(page, "old_page")),
        pc.and_(pc.equal(group, "treatment"), pc.equal(page, "new_page")),
    )
    rows = rows.filter(consistent)
    users = pc.binary_join_element_wise(
        pa.array(["udacity-"] * rows.num_rows), rows["user_id"].cast(pa.string()), ""
    )
    times = pc.assume_timezone(rows["timestamp"].cast(pa.timestamp("us")), "UTC")
    exposures = _exposures(
        "udacity",
        users,
        times,
        "udacity-landing-page",
        rows["group"],
        landing_page=rows["landing_page"],
    )
    bought = pc.equal(rows["converted"], 1)
    purchases = _events(
        "udacity", "Landing Page Purchase", users.filter(bought), times.filter(bought)
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


# -- Cookie Cats ---------------------------------------------------------------------------


def _cookie_cats_events(folder: Path) -> tuple[list[pa.Table], dict[str, str]]:
    rows = pacsv.read_csv(folder / "cookie_cats.csv")
    rng = np.random.default_rng(SEED)
    base = np.datetime64("2018-01-01T10:00:00", "s")
    offsets = rng.integers(0, 14 * 86400, rows.num_rows)
    installs = base + offsets.astype("timedelta64[s]")
    users = pc.binary_join_element_wise(
        pa.array(["cookiecats-"] * rows.num_rows), rows["userid"].cast(pa.string()), ""
    )
    day = np.timedelta64(86400, "s")
    tables = [_exposures("cookiecats", users, _utc(installs), "cookie-cats-gate", rows["version"])]
    played = pc.greater(rows["sum_gamerounds"], 0).to_numpy(zero_copy_only=False)
    tables.append(
        _events(
            "cookiecats",
            "Game Rounds Played",
            users.filter(pa.array(played)),
            _utc(installs[played] + np.timedelta64(60, "s")),
            rounds=rows["sum_gamerounds"].filter(pa.array(played)),
        )
    )
    for days, column in ((1, "retention_1"), (7, "retention_7")):
        came = rows[column].to_numpy(zero_copy_only=False).astype(bool)
        opened = _events(
            f"cookiecats-d{days}",
            "Game Opened",
            users.filter(pa.array(came)),
            _utc(installs[came] + days * day),
        )
        tables.append(opened)
    return tables, {}


# -- Hillstrom -----------------------------------------------------------------------------

HILLSTROM_ARMS = {
    "No E-Mail": "no-email",
    "Mens E-Mail": "mens-email",
    "Womens E-Mail": "womens-email",
}


def _hillstrom_events(folder: Path) -> tuple[list[pa.Table], dict[str, str]]:
    rows = pacsv.read_csv(folder / "hillstrom.csv")
    count = rows.num_rows
    rng = np.random.default_rng(SEED + 1)
    users = pa.array([f"hillstrom-{i + 1:05d}" for i in range(count)])
    send = np.datetime64("2008-03-03T09:00:00", "s") + rng.integers(0, 3600, count).astype(
        "timedelta64[s]"
    )
    arms = pa.array([HILLSTROM_ARMS[s] for s in rows["segment"].to_pylist()])
    extra = {k: rows[k] for k in ("channel", "zip_code", "history_segment", "newbie")}
    tables = [_exposures("hillstrom", users, _utc(send), "hillstrom-email", arms, **extra)]
    # Last year's spend, as one purchase `recency` months before the send.
    recency = rows["recency"].to_numpy().astype("int64") * 30 * 86400
    before = (
        send
        - recency.astype("timedelta64[s]")
        + rng.integers(0, 86400, count).astype("timedelta64[s]")
    )
    tables.append(
        _events("hillstrom-pre", "Order Completed", users, _utc(before), amount=rows["history"])
    )
    visited = rows["visit"].to_numpy().astype(bool)
    visit_at = send + rng.integers(600, 14 * 86400 - 7200, count).astype("timedelta64[s]")
    tables.append(
        _events(
            "hillstrom", "Site Visited", users.filter(pa.array(visited)), _utc(visit_at[visited])
        )
    )
    bought = rows["conversion"].to_numpy().astype(bool)
    order_at = visit_at + rng.integers(60, 3600, count).astype("timedelta64[s]")
    tables.append(
        _events(
            "hillstrom",
            "Order Completed",
            users.filter(pa.array(bought)),
            _utc(order_at[bought]),
            amount=rows["spend"].filter(pa.array(bought)),
        )
    )
    return tables, {}


# -- experiments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """One public test: how to make its events, and the experiment it becomes."""

    name: str
    files: tuple[str, ...]
    events: Callable[[Path], tuple[list[pa.Table], dict[str, str]]]
    design: dict[str, Any]
    decision: tuple[DecisionOutcome, str] | None = None


def _exposure(key: str) -> dict[str, Any]:
    return {
        "kind": "event",
        "event": EXPOSURE_EVENT,
        "experiment_property": "experiment",
        "variation_property": "variation",
        "tracking_key": key,
    }


DATASETS = (
    Dataset(
        "Udacity landing page",
        ("ab_data.csv", "countries.csv"),
        udacity_events,
        {
            "name": "Landing page redesign (Udacity public A/B data)",
            "hypothesis": "The new landing page converts more visitors into buyers.",
            "product_area": "billing-plans",
            "variations": [("control", "Old page", 0.5), ("treatment", "New page", 0.5)],
            "exposure": _exposure("udacity-landing-page"),
            "metrics": [("landing_page_conversion", MetricRole.primary, None, None)],
            "analysis": {
                "start": "2017-01-02",
                "end": "2017-01-25",
                "dimensions": ["user.country"],
            },
        },
        (
            DecisionOutcome.roll_back,
            "Conversion 12.04% (old) vs 11.88% (new), not significant over three weeks: "
            "keep the old page.",
        ),
    ),
    Dataset(
        "Cookie Cats",
        ("cookie_cats.csv",),
        _cookie_cats_events,
        {
            "name": "First gate at level 40 instead of 30 (Cookie Cats public data)",
            "hypothesis": "Moving the first gate to level 40 keeps players playing longer.",
            "product_area": "mobile-apps",
            "variations": [
                ("gate_30", "Gate at level 30", 0.5),
                ("gate_40", "Gate at level 40", 0.5),
            ],
            "exposure": _exposure("cookie-cats-gate"),
            "metrics": [
                ("game_day_7_retention", MetricRole.primary, None, None),
                ("game_day_1_retention", MetricRole.secondary, None, None),
                ("game_rounds", MetricRole.guardrail, "decrease", 0.02),
            ],
            "analysis": {
                "start": "2018-01-01",
                "end": "2018-01-29",
                "metrics": {"game_rounds": {"cap": {"type": "percentile", "value": 0.99}}},
            },
        },
        (
            DecisionOutcome.roll_back,
            "Day-7 retention fell from 19.0% to 18.2% with the gate at level 40; keep it at 30. "
            "The traffic split is off (SRM), so the assignment needs a look too.",
        ),
    ),
    Dataset(
        "Hillstrom e-mail test",
        ("hillstrom.csv",),
        _hillstrom_events,
        {
            "name": "Men's and women's e-mail campaigns (Hillstrom MineThatData)",
            "hypothesis": "A targeted e-mail brings customers back to the shop and lifts spend.",
            "product_area": "onboarding-activation",
            "variations": [
                ("no-email", "No e-mail", 0.333333),
                ("mens-email", "Men's e-mail", 0.333333),
                ("womens-email", "Women's e-mail", 0.333334),
            ],
            "exposure": _exposure("hillstrom-email"),
            "metrics": [
                ("email_spend", MetricRole.primary, None, None),
                ("email_site_visit", MetricRole.secondary, None, None),
                ("email_conversion", MetricRole.secondary, None, None),
            ],
            "analysis": {
                "start": "2008-03-03",
                "end": "2008-03-20",
                "cuped": True,
                "cuped_days": 365,
                "dimensions": ["property.channel"],
            },
        },
    ),
)

MAPPING = ColumnMapping()


def _import(
    runtime: Runtime, tables: list[pa.Table], work: Path, name: str, writes: ThreadPoolExecutor
) -> list[Future[StoreWrite]]:
    """Write the events as Parquet and check them with the bulk importer (all or nothing);
    storing goes to ``writes``, so the next file is checked while this one is stored."""
    pending = []
    for index, events in enumerate(tables):
        path = work / f"{name}-{index}.parquet"
        pq.write_table(events, path)
        plan = plan_import(path, "parquet", MAPPING)
        if plan.problems:
            raise ValueError(f"{path.name}: {plan.problems[0]}")
        pending.append(
            writes.submit(
                runtime.event_store.write, events=plan.events, received_at=plan.received_at
            )
        )
    return pending


def _identify(runtime: Runtime, traits: dict[str, str]) -> StoreWrite:
    when = dt.datetime(2017, 1, 1, tzinfo=_UTC)
    identifies = [
        Identify(f"{user}-country", user, None, None, {"country": country}, when)
        for user, country in traits.items()
    ]
    return runtime.event_store.write(identifies=identifies, received_at=dt.datetime.now(_UTC))


def _create(session: Session, actor: Actor, runtime: Runtime, dataset: Dataset) -> Experiment:
    d = dataset.design
    design = registry.ExperimentDesign(
        name=d["name"],
        hypothesis=d["hypothesis"],
        product_area=d["product_area"],
        variations=[registry.VariationSpec(*v) for v in d["variations"]],
        exposure=d["exposure"],
        metrics=[registry.MetricChoice(*m) for m in d["metrics"]],
        analysis=d["analysis"],
    )
    known = {m.name for m in runtime.metrics.catalog()}
    experiment = registry.create_experiment(session, actor, design, known_metrics=known)
    registry.start(session, actor, experiment)
    registry.stop(session, actor, experiment)
    return experiment


def _copy_definitions(runtime: Runtime) -> int:
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo_experiments.yaml"
    if target.exists():
        return 0
    shutil.copyfile(DEFINITIONS / "experiments.yaml", target)
    return 1


def _analyse(session: Session, actor: Actor, runtime: Runtime, dataset: Dataset) -> str | None:
    """Create the experiment, analyse it and record its decision; a notice if it failed."""
    from pilothouse.experiments.analysis import service

    experiment = _create(session, actor, runtime, dataset)
    snapshot = service.analyze_experiment(session, runtime, actor, experiment)
    if not snapshot.succeeded:
        return f"{experiment.key}: the demo analysis failed: {snapshot.error}"
    if dataset.decision is not None:
        registry.decide(session, actor, experiment, *dataset.decision)
    return None


def load_demo_experiments(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Create the three demo experiments from the public data and analyse them."""
    result = DemoResult()
    folder = data_folder()
    missing = [n for d in DATASETS for n in d.files if not (folder / n).is_file()]
    if missing:
        result.notices.append(
            f"experiments: skipped, the public A/B data is not there ({folder}: "
            f"missing {', '.join(missing)})"
        )
        return result
    if _copy_definitions(runtime):
        result.added["metric definition files"] = 1
    existing = set(session.scalars(select(Experiment.name)))
    todo = [d for d in DATASETS if d.design["name"] not in existing]
    pending: list[Future[StoreWrite]] = []
    with (
        tempfile.TemporaryDirectory(prefix="pilothouse-demo-") as work,
        ThreadPoolExecutor(1, thread_name_prefix="demo-store") as writes,
    ):
        for dataset in todo:
            tables, traits = dataset.events(folder)
            name = dataset.name.split()[0].lower()
            pending += _import(runtime, tables, Path(work), name, writes)
            if traits:
                pending.append(writes.submit(_identify, runtime, traits))
        stored = sum(f.result().stored for f in pending)
    if stored:
        result.added["experiment events"] = stored
    for dataset in todo:
        notice = _analyse(session, actor, runtime, dataset)
        result.added["analysed experiments"] = result.added.get("analysed experiments", 0) + 1
        if notice:  # results are in the app and `pilothouse experiments show`; only failures here
            result.notices.append(notice)
    return result
