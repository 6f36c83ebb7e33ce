"""A launch's place in the loop: the experiments that test it and the decisions about it.

Launch ↔ experiment links are core links (``launch:{id}`` ↔ ``experiment:{id}``), the
same ones the experiment page makes, so a link made on either page shows on both.
They are made and removed through the experiments domain's service
(``experiments.experiment_links``), which audits them; decisions are found through
``decisions.linking.decisions_about``. Both domains are imported when used, so the
launches package does not load them at import time.

Readiness: a linked experiment that is still ``running`` when the launch is about to
pass its GA gate (the gate of the stage before the last) is a warning, never a block.
The result may not be in yet, but the team may have good reasons to ship anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.launches.common import launch_ref
from pilothouse.launches.models import Launch, LaunchStatus

if TYPE_CHECKING:
    from pilothouse.experiments.experiment_links import ExperimentSummary
    from pilothouse.experiments.models import Experiment

__all__ = [
    "DecisionBrief",
    "decisions_about_launch",
    "ga_gate_position",
    "ga_warnings",
    "link_experiment",
    "linked_experiments",
    "running_warnings",
    "unlink_experiment",
]

LAUNCH_LINK_TYPE = "launch"


@dataclass(frozen=True)
class DecisionBrief:
    """A decision about the launch, as the launch page lists it."""

    key: str
    title: str
    status: str
    decided_on: date | None
    url: str


def linked_experiments(session: Session, launch: Launch) -> list[ExperimentSummary]:
    """The experiments linked to ``launch`` (either direction), with their primary result."""
    from pilothouse.experiments.experiment_links import experiments_linked_to

    return experiments_linked_to(session, launch_ref(launch))


def _experiment(session: Session, key: str) -> Experiment:
    from pilothouse.experiments.registry import find_experiment

    try:
        return find_experiment(session, key.strip())
    except NotFound:
        raise ValidationFailed(
            f"no experiment {key.strip()!r}", errors=[FieldError("experiment", "not found")]
        ) from None


def link_experiment(session: Session, actor: Actor, launch: Launch, key: str) -> str:
    """Link the experiment ``key`` (``EXP-3``) to ``launch``; idempotent and audited as a
    core link. Returns the experiment's key.

    Raises:
        Forbidden: The actor is not an editor.
        ValidationFailed: No experiment has that key.
    """
    from pilothouse.experiments.experiment_links import add_experiment_link

    actor.require(Role.editor, write=True)
    experiment = _experiment(session, key)
    add_experiment_link(session, actor, experiment, LAUNCH_LINK_TYPE, str(launch.id))
    return experiment.key


def unlink_experiment(session: Session, actor: Actor, launch: Launch, key: str) -> str:
    """Remove every link between ``launch`` and the experiment ``key``, audited.

    Raises:
        NotFound: No such experiment, or it is not linked to the launch.
    """
    from pilothouse.experiments.experiment_links import remove_experiment_link
    from pilothouse.experiments.registry import find_experiment

    actor.require(Role.editor, write=True)
    experiment = find_experiment(session, key.strip())
    remove_experiment_link(session, actor, experiment, LAUNCH_LINK_TYPE, str(launch.id))
    return experiment.key


def decisions_about_launch(session: Session, launch: Launch) -> list[DecisionBrief]:
    """The decision-log entries linked to ``launch``, newest first."""
    from pilothouse.decisions.linking import decisions_about

    return [
        DecisionBrief(
            key=d.key,
            title=d.title,
            status=d.status.value,
            decided_on=d.decided_on,
            url=f"/decisions/{d.key}",
        )
        for d in decisions_about(session, launch_ref(launch), brief=True)
    ]


def ga_gate_position(launch: Launch) -> int | None:
    """The position of the stage whose gates lead into the final (GA) stage."""
    return len(launch.stages) - 2 if len(launch.stages) >= 2 else None


def running_warnings(experiments: list[ExperimentSummary]) -> list[str]:
    return [f"{e.key} is still running" for e in experiments if e.running]


def ga_warnings(launch: Launch, experiments: list[ExperimentSummary]) -> list[str]:
    """``EXP-3 is still running`` for each running linked experiment, while the GA gate
    is still ahead (the launch is planned or in progress); empty otherwise."""
    if ga_gate_position(launch) is None:
        return []
    if launch.status not in (LaunchStatus.planned, LaunchStatus.in_progress):
        return []
    return running_warnings(experiments)
