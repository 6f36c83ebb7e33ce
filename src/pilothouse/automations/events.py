"""The catalogue of domain events that rules can trigger on, read from the audit outbox.

Every audited change is a row of core's ``events`` table, written in the transaction
that made the change. Rules do not see those raw rows: each raw event is mapped here
to zero or one *typed* domain event with a stable name (``roadmap_item.status_changed``)
and a flat dictionary of *fields* that conditions filter on. The raw names stay free
to change with their domains; the catalogue is the contract with rule authors and
webhook receivers.

Findings rather than edits are recorded by the domain that finds them, in the
transaction of the change that brought them about (``launch.gate_waiting`` by the
launches service, ``experiment.result_significant`` and ``experiment.srm_detected``
after an analysis), or by scheduled checks (``launch.overdue``,
``feedback.theme_spiking``, ``metric.anomaly_detected``). :data:`NOT_YET_EMITTED`
lists catalogue names that nothing records yet (none today).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from pilothouse.automations.chain import chain_of
from pilothouse.core.models import Event

__all__ = [
    "CATALOGUE",
    "COMMON_FIELDS",
    "NOT_YET_EMITTED",
    "OBJECT_FIELDS",
    "DomainEvent",
    "EventType",
    "event_type",
    "map_event",
    "sample_event",
]

#: Fields every domain event has, whatever its type.
COMMON_FIELDS = ("object_type", "object_id", "object_label", "actor", "actor_id")
#: Fields every event about such an object has, read from the object when the event
#: does not carry them (``automations.enrich``): conditions on ``area`` work for every
#: launch, experiment and decision event, ``metric`` and ``theme`` name their object.
OBJECT_FIELDS: dict[str, tuple[str, ...]] = {
    "launch": ("launch", "name", "area", "status", "stage", "target_date"),
    "experiment": ("experiment", "name", "area", "status"),
    "decision": ("key", "title", "status", "chosen_option", "superseded_by", "area", "tags"),
    "metric": ("metric",),
    "feedback_theme": ("theme",),
}


@dataclass(frozen=True)
class EventType:
    """One kind of domain event: its name, what it means and the fields it carries."""

    name: str
    object_type: str
    doc: str
    fields: tuple[str, ...]
    matches: Callable[[Event], bool] = field(repr=False)

    @property
    def text(self) -> str:
        """``doc`` for people and the API: ``name`` (reST) becomes `name` (Markdown)."""
        return self.doc.replace("``", "`")

    @property
    def html(self) -> Markup:
        """``doc`` for pages: each ``name`` in a ``<code>``, everything else escaped."""
        parts = str(escape(self.doc)).split("``")
        return Markup(  # noqa: S704 - the text was escaped above
            "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
        )

    @property
    def all_fields(self) -> tuple[str, ...]:
        extra = OBJECT_FIELDS.get(self.object_type, ())
        return tuple(dict.fromkeys(COMMON_FIELDS + extra + self.fields))


@dataclass(frozen=True)
class DomainEvent:
    """A typed event as rules see it (and as webhooks send it in ``data``)."""

    id: int
    type: str
    occurred_at: datetime
    actor: str
    actor_id: int | None
    object_type: str
    object_id: str
    object_label: str
    fields: dict[str, Any]
    changes: dict[str, Any]
    chain_root_id: int
    origin_rule_id: int | None = None

    def data(self) -> dict[str, Any]:
        """The JSON form: what a webhook's ``data`` holds and what the UI shows."""
        return {
            "event_id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "object": {"type": self.object_type, "id": self.object_id, "label": self.object_label},
            "fields": self.fields,
            "changes": self.changes,
        }


def _named(*names: str) -> Callable[[Event], bool]:
    return lambda event: event.name in names


def _changed(name: str, key: str) -> Callable[[Event], bool]:
    return lambda event: event.name == name and key in (event.changes or {})


def _decision_made(event: Event) -> bool:
    if event.name == "decision.decided":
        return True
    status = (event.changes or {}).get("status", {})
    return event.name == "decision.created" and status.get("after") == "decided"


def _feedback_link(event: Event) -> bool:
    if event.name != "link.created":
        return False
    ends = [str((event.changes or {}).get(k, {}).get("after", "")) for k in ("from", "to")]
    return any(end.startswith("feedback_item:") for end in ends)


def _job_failed(event: Event) -> bool:
    return event.name == "job.failed"


def _own_job(session: Session, event: Event) -> bool:
    """A failed delivery job of automations: left out of ``job.failed``, or a rule on
    failures that sends a webhook to a dead endpoint would feed itself."""
    from pilothouse.core.errors import NotFound
    from pilothouse.core.jobs import get_job

    try:
        return get_job(session, int(event.object_id)).kind.startswith("automations.")
    except (NotFound, ValueError):
        return False


ROADMAP_FIELDS = (
    "key",
    "kind",
    "title",
    "status",
    "before.status",
    "area",
    "owner_id",
    "target_quarter",
    "tags",
    "confidence",
    "reach",
    "impact",
    "effort",
)
FEEDBACK_FIELDS = (
    "title",
    "text",
    "source_kind",
    "area",
    "tags",
    "rating",
    "nps_score",
    "account",
    "segment",
    "plan",
    "arr",
)
LAUNCH_FIELDS = ("stage", "before.stage", "status", "refused", "reasons", "warnings")
#: An approver's decision on a gate: which gate, who, what (and what it was before).
GATE_DECISION_FIELDS = (
    *LAUNCH_FIELDS,
    "gate",
    "gate_id",
    "approver",
    "decision",
    "before.decision",
    "comment",
)

_TYPES = (
    EventType(
        "feedback.created",
        "feedback_item",
        "A feedback item arrived (form, API, import). Fields: its text, source, area, "
        "tags and the customer account's segment, plan and ARR (in currency units).",
        FEEDBACK_FIELDS,
        _named("feedback_item.created"),
    ),
    EventType(
        "feedback.linked",
        "link",
        "A feedback item was linked to another object (usually a roadmap item as evidence).",
        ("from", "to", "kind", "target_type"),
        _feedback_link,
    ),
    EventType(
        "feedback.theme_created",
        "feedback_theme",
        "Synthesis found a new feedback theme (``items``: how many items it holds; "
        "``origin``: ``auto``).",
        ("label", "items", "origin", "size", "name"),
        _named("feedback.theme_created"),
    ),
    EventType(
        "roadmap_item.created",
        "roadmap_item",
        "A roadmap item (idea, feature, initiative) was created.",
        ROADMAP_FIELDS,
        _named("roadmap_item.created"),
    ),
    EventType(
        "roadmap_item.status_changed",
        "roadmap_item",
        "A roadmap item moved to another workflow status (``before.status`` → ``status``).",
        ROADMAP_FIELDS,
        _changed("roadmap_item.updated", "status"),
    ),
    EventType(
        "roadmap_item.rank_changed",
        "roadmap_item",
        "A roadmap item was moved on the board (horizon or position).",
        (*ROADMAP_FIELDS, "horizon", "position", "before.horizon", "before.position"),
        _named("roadmap_item.moved"),
    ),
    EventType(
        "launch.created",
        "launch",
        "A launch was planned.",
        ("key", "name", "status", "target_date"),
        _named("launch.created"),
    ),
    EventType(
        "launch.stage_changed",
        "launch",
        "A launch passed a gate into its next stage (``warnings`` lists running experiments "
        "at the GA gate).",
        LAUNCH_FIELDS,
        _named("launch.stage_changed"),
    ),
    EventType(
        "launch.gate_approved",
        "launch",
        "An approver approved a launch gate (``gate``, ``approver``, ``comment``).",
        GATE_DECISION_FIELDS,
        _named("launch.gate_approved"),
    ),
    EventType(
        "launch.gate_rejected",
        "launch",
        "An approver rejected a launch gate (``gate``, ``approver``, and why in ``comment``).",
        GATE_DECISION_FIELDS,
        _named("launch.gate_rejected"),
    ),
    EventType(
        "launch.gate_refused",
        "launch",
        "A launch tried to pass a gate and was refused (``reasons`` says why).",
        LAUNCH_FIELDS,
        _named("launch.gate_refused"),
    ),
    EventType(
        "launch.gate_waiting",
        "launch",
        "A launch reached a gate that needs approval: every required item of its stage is "
        "done and some named approvers have not approved yet (once each time the gate "
        "starts waiting).",
        ("launch", "name", "gate", "stage", "approvers", "area", "target_date"),
        _named("launch.gate_waiting"),
    ),
    EventType(
        "launch.release_notes_published",
        "launch",
        "A launch's release notes were published.",
        ("published_at", "release_notes"),
        _named("launch.release_notes_published"),
    ),
    EventType(
        "experiment.started",
        "experiment",
        "An experiment started collecting exposures.",
        ("status", "before.status"),
        _named("experiment.started"),
    ),
    EventType(
        "experiment.stopped",
        "experiment",
        "An experiment stopped.",
        ("status", "before.status"),
        _named("experiment.stopped"),
    ),
    EventType(
        "experiment.decided",
        "experiment",
        "A stopped experiment got its decision (ship, roll back, iterate): see "
        "``experiment.decision_recorded`` fields ``outcome`` and ``linked``.",
        ("status", "before.status"),
        _named("experiment.decided"),
    ),
    EventType(
        "experiment.decision_recorded",
        "experiment",
        "The outcome and rationale of an experiment's decision, with the linked work.",
        ("outcome", "rationale", "linked"),
        _named("experiment.decision_recorded"),
    ),
    EventType(
        "experiment.result_significant",
        "experiment",
        "An analysis first found a primary metric's result significant, ``better`` or "
        "``worse`` (once per experiment, metric and direction).",
        (
            "experiment",
            "name",
            "area",
            "metric",
            "metric_label",
            "direction",
            "variations",
            "effect",
            "p_value",
            "chance_to_win",
            "snapshot",
        ),
        _named("experiment.result_significant"),
    ),
    EventType(
        "experiment.srm_detected",
        "experiment",
        "An analysis found a sample-ratio mismatch: the traffic split is off the configured "
        "weights (once per experiment until an analysis finds it healthy again).",
        (
            "experiment",
            "name",
            "area",
            "p_value",
            "threshold",
            "units",
            "expected_weights",
            "snapshot",
        ),
        _named("experiment.srm_detected"),
    ),
    EventType(
        "decision.made",
        "decision",
        "A decision in the decision log was made (status ``decided``).",
        ("key", "title", "status", "chosen_option", "area", "tags"),
        _decision_made,
    ),
    EventType(
        "decision.superseded",
        "decision",
        "A decision was superseded by a newer one.",
        ("key", "title", "status", "superseded_by"),
        _named("decision.superseded"),
    ),
    EventType(
        "launch.overdue",
        "launch",
        "A launch is behind its plan: GA date passed, stage past due, or required checklist "
        "items overdue (the hourly periodic check; once per launch and planned GA date).",
        ("launch", "target_date", "days_late", "reasons"),
        _named("launch.overdue"),
    ),
    EventType(
        "feedback.theme_spiking",
        "feedback_theme",
        "A feedback theme's volume this week is a significant spike over its baseline "
        "(the hourly periodic check; once per theme and week).",
        ("label", "count", "baseline_mean", "q_value", "customers"),
        _named("feedback.theme_spiking"),
    ),
    EventType(
        "metric.anomaly_detected",
        "metric",
        "A certified metric's last complete day was outside its normal variation (the daily "
        "anomaly check; once per metric and day).",
        ("day", "value", "expected", "score", "direction"),
        _named("metric.anomaly_detected"),
    ),
    EventType(
        "tool.renewal_due",
        "tool",
        "A tool's renewal date is inside its notice period (the daily renewal check; once per "
        "tool and renewal date). ``annual_cents`` is the yearly cost in ``currency``.",
        (
            "tool",
            "category",
            "renewal_date",
            "days_left",
            "notice_days",
            "annual_cents",
            "currency",
            "owner",
        ),
        _named("tool.renewal_due"),
    ),
    EventType(
        "report.published",
        "report",
        "A scheduled report was produced (weekly review, voice-of-customer digest, "
        "leadership digest): ``report`` is its kind (``weekly_review``, ``voc_digest``, "
        "``leadership_digest``), ``period`` its ISO week, ``url`` its page and "
        "``summary`` a few lines of Markdown (a Slack body shows them).",
        ("report", "period", "title", "url", "summary"),
        _named("report.published"),
    ),
    EventType(
        "job.failed",
        "job",
        "A background job failed (delivery jobs of automations excepted).",
        ("status", "error"),
        _job_failed,
    ),
)

#: Every domain event type by name.
CATALOGUE: dict[str, EventType] = {t.name: t for t in _TYPES}

#: Named by issue 11 but carried by no audit event yet (all are recorded now).
NOT_YET_EMITTED: tuple[str, ...] = ()


def event_type(name: str) -> EventType | None:
    return CATALOGUE.get(name)


def _flatten(changes: dict[str, Any]) -> dict[str, Any]:
    """``{field: {before, after}}`` → ``{field: after, "before.field": before}``."""
    fields: dict[str, Any] = {}
    for name, change in (changes or {}).items():
        if isinstance(change, dict) and ("after" in change or "before" in change):
            fields[name] = change.get("after")
            fields[f"before.{name}"] = change.get("before")
    return fields


#: Catalogue fields filled from another recorded name: the catalogue's name is the
#: contract with rule authors, the recorded one is the domain's own.
_ALIASES: dict[str, dict[str, str]] = {
    "launch.release_notes_published": {"release_notes": "release_notes.published"},
    "feedback.theme_created": {"size": "items", "name": "label"},
}


def _aliased(kind: str, fields: dict[str, Any], event: Event) -> None:
    for name, recorded in _ALIASES.get(kind, {}).items():
        fields.setdefault(name, fields.get(recorded))
    if kind == "launch.release_notes_published":
        fields.setdefault("published_at", event.created_at.isoformat())


def _type_of(event: Event) -> EventType | None:
    for candidate in _TYPES:
        if candidate.matches(event):
            return candidate
    return None


def map_event(session: Session, event: Event) -> DomainEvent | None:
    """The typed domain event of one audit row, or None when rules ignore it."""
    kind = _type_of(event)
    if kind is None or (kind.name == "job.failed" and _own_job(session, event)):
        return None
    from pilothouse.automations.enrich import enrich

    fields = _flatten(event.changes)
    _aliased(kind.name, fields, event)
    if kind.name == "feedback.linked":
        target = str(fields.get("to") or "")
        fields["target_type"] = target.split(":", 1)[0]
    current = enrich(session, event.object_type, event.object_id, fields, event.object_label)
    # The event's own values win: they are the values at the time of the change (a board
    # move's ``position`` is the card's place, not the item's stored rank).
    fields.update({k: v for k, v in current.items() if fields.get(k) is None})
    fields.update(
        object_type=event.object_type,
        object_id=event.object_id,
        object_label=event.object_label,
        actor=event.actor_label,
        actor_id=event.actor_id,
    )
    root, rule_id = chain_of(event)
    return DomainEvent(
        id=event.id,
        type=kind.name,
        occurred_at=event.created_at,
        actor=event.actor_label,
        actor_id=event.actor_id,
        object_type=event.object_type,
        object_id=event.object_id,
        object_label=event.object_label,
        fields=fields,
        changes=dict(event.changes or {}),
        chain_root_id=root,
        origin_rule_id=rule_id,
    )


def sample_event(type_name: str) -> DomainEvent:
    """A made-up event of ``type_name`` for test fires when no real one happened yet."""
    kind = CATALOGUE[type_name]
    fields: dict[str, Any] = dict.fromkeys(kind.all_fields)
    fields.update(
        object_type=kind.object_type,
        object_id="0",
        object_label=f"Sample {kind.object_type.replace('_', ' ')}",
        actor="sample",
        actor_id=None,
    )
    from pilothouse.core.db import utcnow

    return DomainEvent(
        0,
        type_name,
        utcnow(),
        "sample",
        None,
        kind.object_type,
        "0",
        fields["object_label"],
        fields,
        {},
        0,
    )
