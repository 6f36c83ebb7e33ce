"""Links from an experiment to the roadmap items and launches it tests.

Links are core links (``core.links``): type ``experiment`` with the experiment's
primary key as its id, to ``roadmap_item`` (the item's primary key) or ``launch``
(the launch's primary key). A link made from the other side (an item page linking
an experiment) is the same link and shows here too. The other domains are reached
only through their service functions (``roadmap.items.find_item``,
``launches.common.find_launch``), imported when used, so the experiments domain
does not load them at import time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from pilothouse.core.actor import Actor
from pilothouse.core.db import is_reading, reading_memo
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef, add_link, links_of, links_of_any, remove_link
from pilothouse.core.models import Link
from pilothouse.core.references import resolve
from pilothouse.experiments.models import Experiment, ExperimentStatus, MetricRole

__all__ = [
    "EXPERIMENT_TYPE",
    "LINKABLE_TYPES",
    "ExperimentSummary",
    "LinkView",
    "VariationResult",
    "add_experiment_link",
    "experiment_links",
    "experiment_ref",
    "experiment_summaries",
    "experiments_linked_to",
    "experiments_linked_to_any",
    "remove_experiment_link",
]

EXPERIMENT_TYPE = "experiment"
LINKABLE_TYPES = ("roadmap_item", "launch")


@dataclass(frozen=True)
class LinkView:
    """The other end of one link, ready to show: ``label`` and ``url`` when it resolves."""

    type: str
    id: str
    kind: str
    label: str | None
    url: str | None

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"


def experiment_ref(experiment: Experiment) -> ObjectRef:
    return ObjectRef(EXPERIMENT_TYPE, str(experiment.id))


def _roadmap_item(session: Session, ref: str) -> tuple[str, str, str]:
    """``(id, label, url)`` of a roadmap item by id or key."""
    from pilothouse.roadmap import items

    item = items.find_item(session, ref)
    return str(item.id), f"{item.key} {item.title}", f"/roadmap/items/{item.key}"


def _launch(session: Session, ref: str) -> tuple[str, str | None, str]:
    """``(id, label, url)`` of a launch by id or key; without the launches domain, an
    id is kept as given and links to ``/launches/{id}``."""
    try:
        from pilothouse.launches import common
    except ImportError:
        if not ref.isdigit():
            raise ValidationFailed(
                "a launch is linked by its numeric id", errors=[FieldError("id", "a number")]
            ) from None
        return ref, None, f"/launches/{ref}"
    launch = common.find_launch(session, ref)
    return str(launch.id), f"{launch.key} {launch.name}", f"/launches/{launch.key}"


def _resolve(session: Session, type_: str, ref: str) -> tuple[str, str | None, str]:
    if type_ == "roadmap_item":
        return _roadmap_item(session, ref)
    if type_ == "launch":
        return _launch(session, ref)
    raise ValidationFailed(
        f"an experiment links to {' or '.join(LINKABLE_TYPES)}, not {type_!r}",
        errors=[FieldError("type", "roadmap_item or launch")],
    )


def add_experiment_link(
    session: Session,
    actor: Actor,
    experiment: Experiment,
    type_: str,
    ref: str,
    kind: str = "related",
) -> LinkView:
    """Link the experiment to a roadmap item or launch (by id or key); idempotent, audited.

    Raises:
        ValidationFailed: An unknown type.
        NotFound: No such item or launch.
    """
    try:
        target_id, label, url = _resolve(session, type_, ref.strip())
    except NotFound as exc:
        raise ValidationFailed(exc.detail, errors=[FieldError("id", "not found")]) from None
    link = add_link(session, actor, experiment_ref(experiment), ObjectRef(type_, target_id), kind)
    return LinkView(type_, target_id, link.kind, label, url)


def _other_end(link: Link, mine: ObjectRef) -> ObjectRef:
    if link.from_type == mine.type and link.from_id == mine.id:
        return ObjectRef(link.to_type, link.to_id)
    return ObjectRef(link.from_type, link.from_id)


def remove_experiment_link(
    session: Session, actor: Actor, experiment: Experiment, type_: str, ref: str
) -> None:
    """Remove every link between the experiment and that item or launch (either direction)."""
    mine = experiment_ref(experiment)
    try:
        target_id = _resolve(session, type_, ref.strip())[0]
    except NotFound:
        target_id = ref.strip()  # the object is gone; its links can still be removed
    found = [
        link
        for link in links_of(session, mine)
        if _other_end(link, mine) == ObjectRef(type_, target_id)
    ]
    if not found:
        raise NotFound(f"{experiment.key} is not linked to {type_}:{ref}")
    for link in found:
        remove_link(session, actor, link)
    session.flush()


def experiment_links(session: Session, experiment: Experiment) -> list[LinkView]:
    """The objects linked to the experiment, oldest link first, with labels where they
    resolve (a deleted item keeps its ref and no label).

    Labels come from the shared reference resolvers, one statement per type: finding
    each item and launch loaded its checklist or its fields (five statements each).
    """
    mine = experiment_ref(experiment)
    ends = [(link, _other_end(link, mine)) for link in links_of(session, mine)]
    named = resolve(session, [other for _link, other in ends if other.type in LINKABLE_TYPES])
    out = []
    for link, other in ends:
        found = named.get(other)
        label: str | None = None
        url: str | None = None
        if found is not None and found.url and not found.deleted:
            label = f"{found.detail} {found.label}" if found.detail else found.label
            url = found.url
        out.append(LinkView(other.type, other.id, link.kind, label, url))
    return out


# --- summaries for other domains' pages -----------------------------------------------------


@dataclass(frozen=True)
class VariationResult:
    """The primary metric's result for one treatment against the baseline."""

    variation: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    status: str | None
    error: str | None

    def text(self, relative: bool) -> str:
        """``Treatment +3.20% [+1.05%, +5.40%] better``; absolute effects use 4 digits."""

        def show(value: float | None) -> str:
            if value is None:
                return "?"
            return f"{value * 100:+.2f}%" if relative else f"{value:+.4g}"

        if self.error:
            return f"{self.variation}: {self.error}"
        interval = (
            f" [{show(self.ci_low)}, {show(self.ci_high)}]"
            if self.ci_low is not None or self.ci_high is not None
            else ""
        )
        return f"{self.variation} {show(self.effect)}{interval}" + (
            f" {self.status}" if self.status else ""
        )


@dataclass(frozen=True)
class ExperimentSummary:
    """One experiment as another domain's page lists it: who it is, its state, and the
    primary metric's latest successful result (``results`` empty when never analysed)."""

    id: int
    key: str
    name: str
    status: str
    url: str
    primary_metric: str | None
    relative: bool
    results: tuple[VariationResult, ...]
    analysed_at: datetime | None

    @property
    def running(self) -> bool:
        return self.status == ExperimentStatus.running.value

    @property
    def result_summary(self) -> str | None:
        """``revenue: Treatment +3.20% [+1.05%, +5.40%] better`` or ``None`` without results."""
        if not self.results or self.primary_metric is None:
            return None
        parts = "; ".join(r.text(self.relative) for r in self.results)
        return f"{self.primary_metric}: {parts}"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _primary_results(
    results: dict[str, Any], primary: str | None
) -> tuple[bool, tuple[VariationResult, ...]]:
    """``(relative, per-treatment results)`` of ``primary`` in a results document."""
    relative = (results.get("settings") or {}).get("difference", "relative") == "relative"
    entry = next((m for m in results.get("metrics", []) if m.get("metric") == primary), None)
    if entry is None:
        return relative, ()
    found = []
    for variation in (entry.get("variations") or [])[1:]:
        ci = variation.get("ci") or [None, None]
        found.append(
            VariationResult(
                variation=str(variation.get("name") or variation.get("key") or "?"),
                effect=_number(variation.get("effect")),
                ci_low=_number(ci[0]) if len(ci) > 0 else None,
                ci_high=_number(ci[1]) if len(ci) > 1 else None,
                status=variation.get("status"),
                error=variation.get("error") or entry.get("error"),
            )
        )
    return relative, tuple(found)


def _summary(session: Session, experiment: Experiment) -> ExperimentSummary:
    from pilothouse.experiments.analysis import service as analysis

    primary = next((m.metric for m in experiment.metrics if m.role is MetricRole.primary), None)
    try:
        snapshot = analysis.latest_results(session, experiment)
    except NotFound:
        snapshot = None
    relative, results = (
        _primary_results(snapshot.results, primary) if snapshot is not None else (True, ())
    )
    return ExperimentSummary(
        id=experiment.id,
        key=experiment.key,
        name=experiment.name,
        status=experiment.status.value,
        url=f"/experiments/{experiment.key}",
        primary_metric=primary,
        relative=relative,
        results=results,
        analysed_at=snapshot.computed_at if snapshot is not None else None,
    )


#: A summary reads the experiment's columns and metrics: not its variations, decision,
#: owner or product area (two statements and two joins fewer per page that shows one).
SUMMARY_LOADING = (lazyload("*"), selectinload(Experiment.metrics))


def experiment_summaries(session: Session, ids: Iterable[int | str]) -> list[ExperimentSummary]:
    """Summaries of the experiments with these primary keys, in key order; ids that
    name no experiment (deleted, or not numeric) are skipped."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return []
    kept = _kept_summaries(session)
    missing = wanted - kept.keys()
    if missing:
        query = select(Experiment).where(Experiment.id.in_(missing)).options(*SUMMARY_LOADING)
        for experiment in session.scalars(query):
            kept[experiment.id] = _summary(session, experiment)
    found = [kept[i] for i in wanted if i in kept]
    return sorted(found, key=lambda s: (len(s.key), s.key))


def _kept_summaries(session: Session) -> dict[int, ExperimentSummary]:
    """Summaries already built in this reading session (a launch page asks for its own
    experiments and then for its impact chain's, which include them). A session that may
    write keeps nothing: a summary must show the experiment as the writes left it."""
    if not is_reading(session):
        return {}
    kept: dict[int, ExperimentSummary] = reading_memo(session, "experiment_summaries")
    return kept


def experiments_linked_to(session: Session, ref: ObjectRef) -> list[ExperimentSummary]:
    """Summaries of the experiments linked to ``ref`` (say ``launch:4``), whichever side
    made the link."""
    ids = [
        other.id
        for link in links_of(session, ref)
        if (other := _other_end(link, ref)).type == EXPERIMENT_TYPE
    ]
    return experiment_summaries(session, ids)


def _touches(link: Link, ref: ObjectRef) -> bool:
    return (link.from_type, link.from_id) == (ref.type, ref.id) or (
        link.to_type,
        link.to_id,
    ) == (ref.type, ref.id)


def experiments_linked_to_any(
    session: Session, refs: Sequence[ObjectRef]
) -> list[ExperimentSummary]:
    """The experiments linked to any of ``refs``, each once: those of the first ref
    first (in key order), then the new ones of the next, as calling
    :func:`experiments_linked_to` per ref and keeping the first of each would; but in
    one query for the links and one for the experiments instead of two per ref (an
    impact chain asks for a launch and every key of every item it ships)."""
    if not refs:
        return []
    links = links_of_any(session, refs)
    per_ref = [
        [
            other.id
            for link in links
            if _touches(link, ref) and (other := _other_end(link, ref)).type == EXPERIMENT_TYPE
        ]
        for ref in refs
    ]
    found = {s.id: s for s in experiment_summaries(session, [i for ids in per_ref for i in ids])}
    kept: dict[int, ExperimentSummary] = {}
    for ids in per_ref:
        wanted = {int(i) for i in ids if str(i).isdigit()}
        mine = sorted((found[i] for i in wanted if i in found), key=lambda s: (len(s.key), s.key))
        for summary in mine:
            kept.setdefault(summary.id, summary)
    return list(kept.values())
