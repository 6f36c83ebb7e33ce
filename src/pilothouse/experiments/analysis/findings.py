"""What an analysis found that people want to hear about: a significant primary result, an SRM.

:func:`record_findings` runs after every successful analysis, in the transaction that
stores the snapshot, and records two kinds of audit event (the outbox that automation
rules and watchers read):

- ``experiment.result_significant`` the first time a primary metric's comparison is
  significant in one direction (``better`` or ``worse``): once per experiment, metric
  and direction, however often the analysis is run again. A result that flips from
  better to worse is announced again, since that is news.
- ``experiment.srm_detected`` when the traffic split fails the sample-ratio check and
  the previous successful analysis did not (or there was none): once per experiment
  until a later analysis finds the split healthy again, after which a new mismatch is
  announced again.

The decision logic is pure (:func:`significant_results`, :func:`srm_finding`), so it is
tested without a warehouse; the service reads the previous snapshot and the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.audit_log import already_recorded
from pilothouse.experiments.models import Experiment, ExperimentSnapshot

__all__ = [
    "RESULT_SIGNIFICANT",
    "SRM_DETECTED",
    "record_findings",
    "significant_results",
    "srm_finding",
]

RESULT_SIGNIFICANT = "experiment.result_significant"
SRM_DETECTED = "experiment.srm_detected"
_DIRECTIONS = ("better", "worse")


def _p_value(variation: Mapping[str, Any]) -> Any:
    """The adjusted p-value when a correction ran, else the plain one (None if Bayesian)."""
    adjusted = variation.get("adjusted_p_value")
    return adjusted if adjusted is not None else variation.get("p_value")


def significant_results(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each primary metric and direction with at least one significant variation.

    Returns:
        ``[{"metric", "metric_label", "direction", "variations", "effect", "p_value",
        "chance_to_win"}]``; the numbers are those of the first significant variation.
    """
    found = []
    for entry in results.get("metrics") or []:
        if entry.get("role") != "primary" or entry.get("error"):
            continue
        variations = (entry.get("variations") or [])[1:]
        for direction in _DIRECTIONS:
            hits = [v for v in variations if v.get("status") == direction]
            if not hits:
                continue
            first = hits[0]
            found.append(
                {
                    "metric": entry.get("metric"),
                    "metric_label": entry.get("label") or entry.get("metric"),
                    "direction": direction,
                    "variations": [v.get("key") for v in hits],
                    "effect": first.get("effect"),
                    "p_value": _p_value(first),
                    "chance_to_win": first.get("chance_to_win"),
                }
            )
    return found


def _srm_warning(results: Mapping[str, Any] | None) -> bool:
    return bool(((results or {}).get("srm") or {}).get("warning"))


def srm_finding(
    results: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The SRM to announce, or None: a warning now that the previous run did not have."""
    if not _srm_warning(results) or _srm_warning(previous):
        return None
    variations = results.get("variations") or []
    return {
        "p_value": (results.get("srm") or {}).get("p_value"),
        "threshold": (results.get("settings") or {}).get("srm_threshold"),
        "units": {str(v.get("key")): v.get("users") for v in variations if isinstance(v, dict)},
        "expected_weights": {
            str(v.get("key")): v.get("weight") for v in variations if isinstance(v, dict)
        },
    }


def _previous_results(session: Session, snapshot: ExperimentSnapshot) -> dict[str, Any] | None:
    """The results of the successful snapshot before ``snapshot`` (None for the first)."""
    return session.scalar(
        select(ExperimentSnapshot.results)
        .where(
            ExperimentSnapshot.experiment_id == snapshot.experiment_id,
            ExperimentSnapshot.succeeded.is_(True),
            ExperimentSnapshot.id < snapshot.id,
        )
        .order_by(ExperimentSnapshot.id.desc())
        .limit(1)
    )


def _common(experiment: Experiment, snapshot: ExperimentSnapshot) -> dict[str, Any]:
    area = experiment.product_area
    return {
        "experiment": experiment.key,
        "name": experiment.name,
        "area": area.slug if area is not None else None,
        "snapshot": snapshot.id,
    }


def _record(
    session: Session, actor: Actor, experiment: Experiment, name: str, after: dict[str, Any]
) -> None:
    record_change(
        session,
        actor,
        object_type="experiment",
        object_id=experiment.key,
        action=Action.updated,
        label=experiment.name,
        after=after,
        name=name,
    )


def record_findings(
    session: Session, actor: Actor, experiment: Experiment, snapshot: ExperimentSnapshot
) -> list[str]:
    """Record the events a successful ``snapshot`` calls for; returns their names."""
    if not snapshot.succeeded:
        return []
    recorded = []
    results = snapshot.results or {}
    for found in significant_results(results):
        key = f"{found['metric']}:{found['direction']}"
        if already_recorded(session, RESULT_SIGNIFICANT, "experiment", experiment.key, "key", key):
            continue
        _record(
            session,
            actor,
            experiment,
            RESULT_SIGNIFICANT,
            {"key": key, **_common(experiment, snapshot), **found},
        )
        recorded.append(RESULT_SIGNIFICANT)
    srm = srm_finding(results, _previous_results(session, snapshot))
    if srm is not None:
        _record(session, actor, experiment, SRM_DETECTED, {**_common(experiment, snapshot), **srm})
        recorded.append(SRM_DETECTED)
    return recorded
