"""The demo story's links around a launch: its experiment and the metrics that measure it.

The experiments are the experiments demo's (found by name through the experiments
registry); when that step has not loaded them, nothing is linked and a notice
says so, and a later reload links them. The experiment is linked to the launch
(launches.cross_links) and to the roadmap items the launch ships
(experiments.experiment_links); the launch links to its metrics with kind
``measures``. Idempotent: existing links are found again and not counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link, links_of
from pilothouse.core.pagination import PageRequest
from pilothouse.demo.registry import DemoResult
from pilothouse.launches import cross_links
from pilothouse.launches.common import FEATURE_LINK_KIND, launch_ref
from pilothouse.launches.models import Launch

__all__ = ["MEASURES_KIND", "METRIC_TYPE", "find_experiment_by_name", "link_launch"]

METRIC_TYPE = "metric"
MEASURES_KIND = "measures"
ROADMAP_ITEM_TYPE = "roadmap_item"


def find_experiment_by_name(session: Session, name: str) -> object | None:
    """The experiment called ``name`` (the newest if several are), or ``None``."""
    from pilothouse.experiments.registry import list_experiments

    cursor = None
    while True:
        page = list_experiments(session, PageRequest(limit=200, cursor=cursor))
        match = next((e for e in page.items if e.name == name), None)
        if match is not None or page.next_cursor is None:
            return match
        cursor = page.next_cursor


def _shipped_item_ids(session: Session, launch: Launch) -> list[str]:
    ref = launch_ref(launch)
    return [
        link.to_id
        for link in links_of(session, ref, kind=FEATURE_LINK_KIND)
        if link.to_type == ROADMAP_ITEM_TYPE
    ]


def _link_experiment(session: Session, actor: Actor, launch: Launch, experiment: object) -> int:
    """Link the experiment to the launch and to the items it ships; returns new links."""
    from pilothouse.experiments.experiment_links import add_experiment_link, experiment_links

    have = {(v.type, v.id) for v in experiment_links(session, experiment)}  # type: ignore[arg-type]
    added = 0
    if ("launch", str(launch.id)) not in have:
        cross_links.link_experiment(session, actor, launch, experiment.key)  # type: ignore[attr-defined]
        added += 1
    for item_id in _shipped_item_ids(session, launch):
        if (ROADMAP_ITEM_TYPE, item_id) not in have:
            add_experiment_link(session, actor, experiment, ROADMAP_ITEM_TYPE, item_id)  # type: ignore[arg-type]
            added += 1
    return added


def _link_metrics(session: Session, actor: Actor, launch: Launch, slugs: Sequence[str]) -> int:
    ref = launch_ref(launch)
    have = {(link.to_type, link.to_id) for link in links_of(session, ref, kind=MEASURES_KIND)}
    new = [slug for slug in slugs if (METRIC_TYPE, slug) not in have]
    for slug in new:
        add_link(session, actor, ref, ObjectRef(METRIC_TYPE, slug), MEASURES_KIND)
    return len(new)


def link_launch(
    session: Session,
    actor: Actor,
    launch: Launch,
    experiment_name: str | None,
    metrics: Sequence[str],
) -> DemoResult:
    """Link ``launch`` to its experiment (when it exists) and to its metrics."""
    result = DemoResult()
    if experiment_name:
        experiment = find_experiment_by_name(session, experiment_name)
        if experiment is None:
            result.notices.append(
                f"launches: no experiment {experiment_name!r} yet; load the demo again to link it"
            )
        elif added := _link_experiment(session, actor, launch, experiment):
            result.added["experiment links"] = added
    if added := _link_metrics(session, actor, launch, metrics):
        result.added["metric links"] = added
    return result
