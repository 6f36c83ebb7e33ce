"""What a decision can be about: the object types it links to, and how to show them.

Links are validated loosely: the type must be one of :data:`TARGET_TYPES` and the id
non-empty. Where the owning domain has a service to look objects up (roadmap items
and objectives, experiments, launches), keys such as ``FEAT-12`` or ``EXP-3`` are turned into
the numeric id that domain links by, and the decision page shows a label. Other
types are shown as ``type:id``. The lookups import lazily and fall back quietly, so
the decision log never breaks when another domain is missing or changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.errors import PilothouseError
from pilothouse.core.links import ObjectRef
from pilothouse.decisions.common import invalid

__all__ = ["TARGET_TYPES", "Target", "canonical_ref", "check_ref", "describe", "parse_ref"]

#: Object types a decision can be about, with the label used in forms.
TARGET_TYPES: dict[str, str] = {
    "roadmap_item": "Roadmap item",
    "objective": "Objective",
    "experiment": "Experiment",
    "launch": "Launch",
    "feedback_theme": "Feedback theme",
    "feedback_item": "Feedback item",
}
EXPERIMENT_LOOKUP_LIMIT = 500


@dataclass(frozen=True)
class Target:
    """A linked object as the decision page shows it."""

    type: str
    id: str
    label: str
    href: str | None = None
    #: The kind of object in words ("Roadmap item"); the object is gone when ``deleted``.
    type_label: str = ""
    deleted: bool = False


def parse_ref(text: str, field: str = "linked") -> ObjectRef:
    """``roadmap_item:12`` (or ``roadmap_item:FEAT-3``) → an :class:`ObjectRef`."""
    kind, sep, ident = text.strip().partition(":")
    if not sep:
        raise invalid(field, "TYPE:ID, such as roadmap_item:12")
    return check_ref(kind, ident, field)


def check_ref(kind: str, ident: str, field: str = "to_id") -> ObjectRef:
    kind, ident = kind.strip(), ident.strip()
    if kind not in TARGET_TYPES:
        type_field = "to_type" if field == "to_id" else field
        raise invalid(type_field, f"one of {', '.join(TARGET_TYPES)}")
    if not ident or len(ident) > 64:
        raise invalid(field, "an id of 1 to 64 characters")
    return ObjectRef(kind, ident)


def _roadmap_item(session: Session, ident: str) -> Any:
    from pilothouse.roadmap.items import find_item

    return find_item(session, ident)


def _objective(session: Session, ident: str) -> Any:
    from pilothouse.roadmap.objectives import get_objective

    return get_objective(session, ident)


def _launch(session: Session, ident: str) -> Any:
    from pilothouse.launches.common import find_launch

    return find_launch(session, ident)


def _experiment_by_key(session: Session, key: str) -> Any:
    from pilothouse.experiments.registry import find_experiment

    return find_experiment(session, key)


def _experiment_by_id(session: Session, ident: str) -> Any:
    """Experiments are found by key only; a page of them maps ids to keys."""
    from pilothouse.core.pagination import PageRequest
    from pilothouse.experiments.registry import list_experiments

    page = list_experiments(session, PageRequest(limit=EXPERIMENT_LOOKUP_LIMIT))
    return next((e for e in page.items if str(e.id) == ident), None)


def canonical_ref(session: Session, ref: ObjectRef, field: str = "to_id") -> ObjectRef:
    """The reference as its domain links it: keys become numeric ids where resolvable.

    A key that names nothing is refused; a numeric id is taken as given (loose).
    """
    finders = {
        "roadmap_item": _roadmap_item,
        "objective": _objective,
        "experiment": _experiment_by_key,
        "launch": _launch,
    }
    finder = finders.get(ref.type)
    if ref.id.isdigit() or finder is None:
        return ref
    try:
        found = finder(session, ref.id)
    except ImportError:  # pragma: no cover - the domain is not installed
        return ref
    except PilothouseError:
        raise invalid(field, f"no {TARGET_TYPES[ref.type].lower()} {ref.id!r}") from None
    return ObjectRef(ref.type, str(found.id))


def describe(session: Session, ref: ObjectRef) -> Target:
    """A label (and page address when there is one) for a linked object."""
    fallback = Target(ref.type, ref.id, f"{TARGET_TYPES.get(ref.type, ref.type)} {ref.id}")
    try:
        if ref.type == "roadmap_item":
            item = _roadmap_item(session, ref.id)
            label = f"{item.key} · {item.title}"
            return Target(ref.type, ref.id, label, f"/roadmap/items/{item.key}")
        if ref.type == "objective":
            objective = _objective(session, ref.id)
            return Target(ref.type, ref.id, f"{objective.key} · {objective.title}")
        if ref.type == "experiment":
            experiment = _experiment_by_id(session, ref.id)
            if experiment is not None:
                label = f"{experiment.key} · {experiment.name}"
                return Target(ref.type, ref.id, label, f"/experiments/{experiment.key}")
        if ref.type == "launch":
            launch = _launch(session, ref.id)
            return Target(
                ref.type, ref.id, f"{launch.key} · {launch.name}", f"/launches/{launch.key}"
            )
        if ref.type == "decision":
            from pilothouse.decisions.service import find_decision

            decision = find_decision(session, ref.id)
            label = f"{decision.key} · {decision.title}"
            return Target(ref.type, ref.id, label, f"/decisions/{decision.key}")
    except (ImportError, AttributeError, PilothouseError):
        return fallback  # the other domain is missing or changed: show the plain reference
    return fallback
