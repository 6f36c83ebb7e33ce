"""An item's (or a launch's) whole chain: evidence → launch → experiments → measured metrics.

Everything is read through the owning domain's service: evidence through
``roadmap.evidence`` (which asks the feedback service), launches through
``launches.common``/``launches.presenters``, experiments through
``experiments.experiment_links``, metric series through ``metrics.service.run_series``,
names and addresses through ``core.references``. The launches and experiments domains
sit *above* the roadmap in the import map, so they are imported inside the functions
that need them (as ``launches.cross_links`` does the other way), never at import time.

Link conventions read here (docs/roadmap.md): ``launch -ships-> roadmap_item``,
``experiment -related-> roadmap_item | launch``, ``roadmap_item | launch -measures->
metric:<slug>``, ``feedback_item | feedback_theme -evidence-> roadmap_item``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pilothouse.core.db import is_reading, reading_memo
from pilothouse.core.errors import NotFound
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Link
from pilothouse.core.references import Reference, resolve
from pilothouse.roadmap.evidence import EvidenceSources, evidence_sources
from pilothouse.roadmap.impact.measure import MetricImpact, measure_metric
from pilothouse.roadmap.models import ItemKey, RoadmapItem

__all__ = [
    "MEASURES_KIND",
    "CustomerView",
    "EvidenceView",
    "ExperimentView",
    "ImpactChain",
    "LaunchView",
    "StageView",
    "evidence_view",
    "item_chain",
    "item_refs",
    "launch_chain",
    "launch_ga",
    "launches_of_items",
    "measured_metrics",
    "merge_sources",
    "today_in",
]

#: ``roadmap_item`` or ``launch`` → ``metric:<slug>``: the metric that tells whether it worked.
MEASURES_KIND = "measures"
SHIPS_KIND = "ships"
#: How many customers and feedback items the evidence lists by name.
SHOWN = 10


@dataclass(frozen=True)
class CustomerView:
    reference: Reference
    arr_cents: int


@dataclass(frozen=True)
class EvidenceView:
    """Themes and feedback behind an item, with distinct customers and their ARR."""

    themes: tuple[Reference, ...]
    feedback: tuple[Reference, ...]
    feedback_count: int
    customers: tuple[CustomerView, ...]
    customer_count: int
    arr_cents: int


@dataclass(frozen=True)
class StageView:
    name: str
    state: str
    due_date: date


@dataclass(frozen=True)
class LaunchView:
    reference: Reference
    status: str
    stage: str
    stages: tuple[StageView, ...]
    ga_date: date
    launched: bool


@dataclass(frozen=True)
class ExperimentView:
    reference: Reference
    status: str
    primary_metric: Reference | None
    result: str | None


@dataclass(frozen=True)
class ImpactChain:
    """What a page (or ``GET …/impact``) shows: the subject and each link of its chain."""

    subject: Reference
    ga_date: date | None
    evidence: EvidenceView
    launches: tuple[LaunchView, ...] = ()
    experiments: tuple[ExperimentView, ...] = ()
    metrics: tuple[MetricImpact, ...] = field(default_factory=tuple)


def today_in(runtime: Any) -> date:
    """Today in the workspace time zone: what "GA is too recent" goes by."""
    return datetime.now(ZoneInfo(runtime.settings.timezone)).date()


def _aliases(session: Session, items: Sequence[RoadmapItem]) -> dict[str, int]:
    """Every id string links may use for these items (ids and keys) → item id.

    A reading session keeps each item's keys (an item's chain asks twice: for the
    launches that ship it and for the links of its refs)."""
    kept: dict[int, list[str]] = (
        reading_memo(session, "roadmap_item_keys") if is_reading(session) else {}
    )
    missing = [i.id for i in items if i.id not in kept]
    if missing:
        for item_id in missing:
            kept[item_id] = []
        rows = session.execute(
            select(ItemKey.key, ItemKey.item_id).where(ItemKey.item_id.in_(missing))
        )
        for key, item_id in rows:
            kept[item_id].append(key)
    out = {str(i.id): i.id for i in items}
    out.update({key: i.id for i in items for key in kept[i.id]})
    return out


def launches_of_items(session: Session, items: Sequence[RoadmapItem]) -> dict[int, list[Any]]:
    """The launches that ship each item (``launch -ships-> roadmap_item``), oldest first."""
    from pilothouse.launches.common import find_launch, find_launches_with_stages

    aliases = _aliases(session, items)
    query = select(Link.from_id, Link.to_id).where(
        Link.from_type == "launch",
        Link.kind == SHIPS_KIND,
        Link.to_type == "roadmap_item",
        Link.to_id.in_(list(aliases)),
    )
    links = session.execute(query.order_by(Link.id)).all()
    # A chain shows each launch's status and stages, not its checklist or gates.
    launches = find_launches_with_stages(session, (int(i) for i, _ in links if i.isdigit()))
    found: dict[int, list[Any]] = {i.id: [] for i in items}
    for launch_id, to_id in links:
        if launch_id.isdigit():
            launch = launches.get(int(launch_id))
        else:  # a link that names the launch by key (an automation's ``link`` action)
            try:
                launch = find_launch(session, launch_id)
            except NotFound:
                launch = None
        if launch is None:  # deleted since: its link is left dangling
            continue
        if launch not in found[aliases[to_id]]:
            found[aliases[to_id]].append(launch)
    return found


def launch_ga(launch: Any, timezone: str) -> date:
    """The GA day: when it entered its final stage if launched, else the planned date."""
    if launch.launched_at is not None:
        return launch.launched_at.astimezone(ZoneInfo(timezone)).date()
    return launch.target_date


def _launch_view(session: Session, launch: Any, timezone: str) -> LaunchView:
    from pilothouse.launches.presenters import stage_state

    ref = resolve(session, [ObjectRef("launch", str(launch.id))])
    stages = tuple(StageView(s.name, stage_state(launch, s), s.due_date) for s in launch.stages)
    return LaunchView(
        reference=next(iter(ref.values())),
        status=launch.status.value.replace("_", " "),
        stage=launch.stage.name if launch.stage else "",
        stages=stages,
        ga_date=launch_ga(launch, timezone),
        launched=launch.status.value == "launched",
    )


def merge_sources(sources: Iterable[EvidenceSources]) -> EvidenceSources:
    """Evidence of several items together (a launch shipping many): each item once."""
    themes: set[str] = set()
    feedback: set[str] = set()
    direct: set[str] = set()
    customers: dict[int, int] = {}
    for found in sources:
        themes.update(found.theme_ids)
        feedback.update(found.feedback_ids)
        direct.update(found.direct_feedback_ids)
        customers.update(found.customers)
    number = sorted  # ids are digits; keep a stable order
    return EvidenceSources(
        tuple(number(themes, key=_id)), tuple(number(direct, key=_id)),
        tuple(number(feedback, key=_id)), customers,
    )  # fmt: skip


def _id(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


def evidence_view(session: Session, found: EvidenceSources) -> EvidenceView:
    top = sorted(found.customers.items(), key=lambda pair: (-pair[1], pair[0]))[:SHOWN]
    refs = [ObjectRef("feedback_theme", t) for t in found.theme_ids]
    refs += [ObjectRef("feedback_item", f) for f in found.direct_feedback_ids[:SHOWN]]
    refs += [ObjectRef("customer_account", str(a)) for a, _ in top]
    named = resolve(session, refs)
    return EvidenceView(
        themes=tuple(named[ObjectRef("feedback_theme", t)] for t in found.theme_ids),
        feedback=tuple(
            named[ObjectRef("feedback_item", f)] for f in found.direct_feedback_ids[:SHOWN]
        ),
        feedback_count=len(found.feedback_ids),
        customers=tuple(
            CustomerView(named[ObjectRef("customer_account", str(a))], arr) for a, arr in top
        ),
        customer_count=len(found.customers),
        arr_cents=sum(found.customers.values()),
    )


def _experiments(session: Session, refs: Sequence[ObjectRef], runtime: Any) -> list[Any]:
    from pilothouse.experiments.experiment_links import experiments_linked_to_any

    seen = {summary.id: summary for summary in experiments_linked_to_any(session, refs)}
    metrics = resolve(
        session,
        [ObjectRef("metric", s.primary_metric) for s in seen.values() if s.primary_metric],
        runtime,
    )
    named = resolve(session, [ObjectRef("experiment", str(i)) for i in seen])
    return [
        ExperimentView(
            reference=named[ObjectRef("experiment", str(s.id))],
            status=s.status,
            primary_metric=metrics.get(ObjectRef("metric", s.primary_metric or "")),
            result=s.result_summary,
        )
        for s in seen.values()
    ]


def measured_metrics(session: Session, refs: Sequence[ObjectRef]) -> list[str]:
    """Slugs of the metrics linked (``measures``) from or to any of ``refs``, in link order."""
    if not refs:
        return []
    ends = or_(*((Link.from_type == r.type) & (Link.from_id == r.id) for r in refs))
    query = select(Link.to_id).where(Link.kind == MEASURES_KIND, Link.to_type == "metric", ends)
    slugs: list[str] = []
    for slug in session.scalars(query.order_by(Link.id)):
        if slug not in slugs:
            slugs.append(slug)
    return slugs


def _metrics(
    session: Session, runtime: Any, refs: Sequence[ObjectRef], ga: date | None
) -> tuple[MetricImpact, ...]:
    slugs = measured_metrics(session, refs)
    named = resolve(session, [ObjectRef("metric", s) for s in slugs], runtime)
    today = today_in(runtime)
    return tuple(measure_metric(runtime, named[ObjectRef("metric", s)], ga, today) for s in slugs)


def item_chain(session: Session, runtime: Any, item: RoadmapItem) -> ImpactChain:
    """The chain of one roadmap item: its evidence, the launches that ship it, the
    experiments on it or its launches, and the movement of its measured metrics around
    the first GA of a launched launch."""
    timezone = runtime.settings.timezone
    launches = launches_of_items(session, [item])[item.id]
    views = [_launch_view(session, launch, timezone) for launch in launches]
    shipped = [v.ga_date for v in views if v.launched]
    ga = min(shipped) if shipped else None
    refs = [ObjectRef(t, i) for t, i in sorted(item_refs(session, item))]
    refs += [ObjectRef("launch", str(launch.id)) for launch in launches]
    return ImpactChain(
        subject=resolve(session, [ObjectRef("roadmap_item", str(item.id))])[
            ObjectRef("roadmap_item", str(item.id))
        ],
        ga_date=ga,
        evidence=evidence_view(session, evidence_sources(session, [item])[item.id]),
        launches=tuple(views),
        experiments=tuple(_experiments(session, refs, runtime)),
        metrics=_metrics(session, runtime, refs, ga),
    )


def item_refs(session: Session, item: RoadmapItem) -> set[tuple[str, str]]:
    """Every ``(type, id)`` links may use for the item: its id and every key it had
    (kept by a reading session, so the item page and its chain read the keys once)."""
    return {("roadmap_item", alias) for alias in _aliases(session, [item])}


def launch_chain(session: Session, runtime: Any, launch: Any) -> ImpactChain:
    """The chain of a launch: the evidence of the items it ships, its experiments and
    the metrics it (or its items) measure, around its own GA day."""
    from pilothouse.launches.launching import features_of

    view = _launch_view(session, launch, runtime.settings.timezone)
    items = features_of(session, launch)
    sources = evidence_sources(session, items).values() if items else []
    refs = [ObjectRef("launch", str(launch.id))]
    refs += [ObjectRef(t, i) for item in items for t, i in sorted(item_refs(session, item))]
    ga = view.ga_date if view.launched else None
    return ImpactChain(
        subject=view.reference,
        ga_date=ga,
        evidence=evidence_view(session, merge_sources(sources)),
        launches=(view,),
        experiments=tuple(_experiments(session, refs, runtime)),
        metrics=_metrics(session, runtime, refs, ga),
    )
