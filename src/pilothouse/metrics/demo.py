"""Demo product events: 120 days of Ledgerly, the demo fintech, through the real ingestion path.

The companies, their people and what they do come from the seeded simulation in
:mod:`pilothouse.metrics.demo_simulation` (docs/demo.md tells the story it carries:
one-step verification lifting activation from day 45, delivery tracking cutting
card-delivery contacts from day 85, top-up failures rising over the last 30 days, and
the exposures of the three demo experiments). The ``group`` and ``identify`` calls
become customer accounts and contacts, as a tracking request's would, and the metric
catalog of the demo is copied into the metrics folder.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.metrics import ingest
from pilothouse.metrics.demo_simulation import DEMO_DAYS, simulate

__all__ = ["DEFINITIONS", "DEMO_DAYS", "copy_demo_definitions", "demo_start", "load_demo_events"]

#: The demo metric catalog, shipped inside the package.
DEFINITIONS = Path(__file__).resolve().parent / "demo_definitions"


def demo_start(now: datetime) -> datetime:
    """Day 0 of the demo: UTC midnight ``DEMO_DAYS`` days before today."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=DEMO_DAYS)


def copy_demo_definitions(folder: Path) -> int:
    """Put the demo metric files into the metrics folder, never overwriting a file there."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = 0
    for source in sorted(DEFINITIONS.glob("*.yaml")):
        target = folder / f"demo_{source.name}"
        if not target.exists():
            shutil.copyfile(source, target)
            copied += 1
    return copied


def load_demo_events(
    session: Session, actor: Actor, runtime: Runtime, *, now: datetime | None = None
) -> DemoResult:
    """Add the demo events, accounts, contacts and metric definitions.

    The simulation is seeded and its message ids are fixed, so loading again stores
    nothing already stored; it does store the events simulated between the two loads
    (the simulation runs up to ``now``, the current time by default), as a live
    product would have sent them.
    """
    del actor  # tracking data has no human author
    now = now or datetime.now(UTC)
    batch = simulate(demo_start(now), now)
    ingest.merge_entities(session, batch)
    written = runtime.event_store.write(
        events=batch.events, identifies=batch.identifies, groups=batch.groups, received_at=now
    )
    result = DemoResult()
    if written.stored:
        result.added["product events"] = written.stored
    copied = copy_demo_definitions(runtime.settings.effective_metrics_path)
    if copied:
        result.added["metric definition files"] = copied
    return result
