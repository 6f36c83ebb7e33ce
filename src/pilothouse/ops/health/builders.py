"""Turning each domain's facts into figures' samples: pure functions, no database.

The facts come from each domain's ``health_reads`` module; links are core's rows. A
function per group of figures, each with its definition in the docstring (the
reference in words is ``docs/ops-health.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from pilothouse.experiments.health_reads import ExperimentFacts
from pilothouse.feedback.health_reads import FeedbackFacts
from pilothouse.launches.health_reads import LaunchFacts
from pilothouse.ops.health.activity import ActiveDay
from pilothouse.ops.health.figures import Figure, Kind, Sample, days
from pilothouse.roadmap.health_reads import ItemHistory

__all__ = [
    "STAGES",
    "decision_figures",
    "experiment_figures",
    "feedback_figures",
    "first_times",
    "launch_figures",
    "roadmap_figures",
    "usage_figures",
    "zone_day",
]

#: The open categories whose time is measured, in workflow order.
STAGES = ("backlog", "discovery", "planned", "in_progress")
ITEM, LAUNCH, FEEDBACK, EXPERIMENT = "roadmap_item", "launch", "feedback_item", "experiment"
EVIDENCE_TYPES = ("feedback_item", "feedback_theme")


def _entries(item: ItemHistory) -> list[tuple[datetime, str]]:
    """The item's moves without restatements: an event that records the status the item
    already had (an import or a re-save) is not a new entry into it."""
    out: list[tuple[datetime, str]] = []
    for at, key in item.moves:
        if not out or out[-1][1] != key:
            out.append((at, key))
    return out


def _segments(
    item: ItemHistory, categories: dict[str, str], end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """(category, from, to) of each status the item sat in, up to ``end``."""
    moves = [(at, categories.get(key, "unknown")) for at, key in _entries(item) if at <= end]
    out = []
    for index, (at, category) in enumerate(moves):
        until = moves[index + 1][0] if index + 1 < len(moves) else end
        out.append((category, at, until))
    return out


def _done_at(item: ItemHistory, categories: dict[str, str]) -> datetime | None:
    """The last time a done item entered a done status (a reopened item counts from its
    final completion); ``None`` for an item not done now."""
    if item.category != "done":
        return None
    entered = [at for at, key in _entries(item) if categories.get(key) == "done"]
    return max(entered) if entered else None


def roadmap_figures(
    items: Sequence[ItemHistory], categories: dict[str, str], evidence: dict[int, datetime]
) -> list[Figure]:
    """Cycle time (created → done), time per stage, share of items with evidence.

    ``evidence`` maps an item id to the time of its first feedback or theme link.
    """
    cycle = Figure("cycle_time", "Idea to launch (cycle time)", Kind.duration, "days")
    stages = {
        s: Figure(f"stage_time_{s}", f"Time in {s.replace('_', ' ')}", Kind.duration, "days")
        for s in STAGES
    }
    share = Figure("evidence_share", "Roadmap items with evidence", Kind.rate, "share")
    for item in items:
        has = item.id in evidence
        note = "has evidence" if has else "no evidence linked"
        share.samples.append(_s(ITEM, item.id, item.created_at, item.area_id, float(has), note))
        done = _done_at(item, categories)
        if done is None:
            continue
        start = min([item.created_at, *(at for at, _ in item.moves[:1])])
        cycle.samples.append(
            _s(ITEM, item.id, done, item.area_id, days(start, done), "created → done")
        )
        spent: dict[str, float] = {}
        for category, start, end in _segments(item, categories, done):
            spent[category] = spent.get(category, 0.0) + days(start, end)
        for stage, total in spent.items():
            if stage in stages:
                stages[stage].samples.append(_s(ITEM, item.id, done, item.area_id, total))
    return [cycle, *stages.values(), share]


def _s(
    kind: str, ident: Any, at: datetime, area: int | None, value: float, note: str = ""
) -> Sample:
    return Sample(kind, str(ident), at, area, value, note)


def first_times(links: Iterable[tuple[str, datetime]]) -> dict[str, datetime]:
    """The earliest time per id of ``(id, time)`` pairs."""
    first: dict[str, datetime] = {}
    for ident, at in links:
        if ident not in first or at < first[ident]:
            first[ident] = at
    return first


def launch_figures(
    launches: Sequence[LaunchFacts],
    ga_day: dict[int, date],
    shipped: dict[int, list[int]],
    items: Sequence[ItemHistory],
    requested: dict[int, datetime],
) -> list[Figure]:
    """On-time rate (GA day in the workspace zone ≤ planned date), gate waiting time
    (gate ready, i.e. its stage's required items done or else the stage entered → last
    approval) and feedback → shipped lead time (the earliest date a piece of the item's
    evidence was sent, ``requested`` → the earliest GA of a launch that ships the item;
    evidence sent after that GA is no request for it and is left out).
    ``shipped`` maps a launch id to the item ids it ships."""
    on_time = Figure("launch_on_time", "Launches on time", Kind.rate, "share")
    gates = Figure("gate_wait", "Gate waiting time", Kind.duration, "days")
    lead = Figure("feedback_lead_time", "Feedback to shipped (lead time)", Kind.duration, "days")
    first_ga: dict[int, datetime] = {}
    for launch in launches:
        for gate in launch.gates:
            wait = days(gate.ready_at, gate.approved_at)
            note = f"{gate.stage}: {gate.gate}"
            gates.samples.append(
                _s(LAUNCH, launch.id, gate.approved_at, launch.area_id, wait, note)
            )
        if launch.launched_at is None:
            continue
        late = (ga_day[launch.id] - launch.target_date).days
        note = "on time" if late <= 0 else f"{late} days late"
        on_time.samples.append(
            _s(LAUNCH, launch.id, launch.launched_at, launch.area_id, float(late <= 0), note)
        )
        for item_id in shipped.get(launch.id, []):
            if item_id not in first_ga or launch.launched_at < first_ga[item_id]:
                first_ga[item_id] = launch.launched_at
    for item in items:
        ga, first = first_ga.get(item.id), requested.get(item.id)
        if ga is not None and first is not None and first <= ga:
            lead.samples.append(_s(ITEM, item.id, ga, item.area_id, days(first, ga)))
    return [on_time, gates, lead]


def feedback_figures(feedback: Sequence[FeedbackFacts], now: datetime) -> list[Figure]:
    """Triage time (recorded → first triage or link) and the untriaged backlog (items
    still ``new``; each sample's value is its age in days)."""
    triage = Figure("triage_time", "Feedback triage time", Kind.duration, "days")
    backlog = Figure("untriaged_backlog", "Untriaged feedback", Kind.count, "items")
    for item in feedback:
        if item.triaged_at is not None:
            wait = days(item.recorded_at, item.triaged_at)
            triage.samples.append(_s(FEEDBACK, item.id, item.triaged_at, item.area_id, wait))
        if item.status == "new":
            age = days(item.recorded_at, now)
            backlog.samples.append(_s(FEEDBACK, item.id, item.recorded_at, item.area_id, age))
    return [triage, backlog]


def experiment_figures(experiments: Sequence[ExperimentFacts]) -> list[Figure]:
    """Velocity (started per month), win rate (decided with outcome *ship*), share
    decided (of experiments stopped) and stop → decision time."""
    velocity = Figure("experiment_velocity", "Experiments started", Kind.per_month, "per month")
    wins = Figure("win_rate", "Experiment win rate", Kind.rate, "share")
    decided = Figure("share_decided", "Stopped experiments decided", Kind.rate, "share")
    wait = Figure("stop_to_decision", "Stop to decision", Kind.duration, "days")
    for e in experiments:
        if e.started_at is not None:
            velocity.samples.append(_s(EXPERIMENT, e.id, e.started_at, e.area_id, 1.0))
        if e.ended_at is not None:
            note = "decided" if e.decided_at else "no decision yet"
            value = float(e.decided_at is not None)
            decided.samples.append(_s(EXPERIMENT, e.id, e.ended_at, e.area_id, value, note))
        if e.decided_at is not None:
            won = float(e.outcome == "ship")
            wins.samples.append(_s(EXPERIMENT, e.id, e.decided_at, e.area_id, won, e.outcome or ""))
        if e.decided_at is not None and e.ended_at is not None:
            span = days(e.ended_at, e.decided_at)
            wait.samples.append(_s(EXPERIMENT, e.id, e.decided_at, e.area_id, span))
    return [velocity, wins, decided, wait]


def decision_figures(launches: Sequence[LaunchFacts], decisions: dict[int, int]) -> list[Figure]:
    """Decisions recorded per launch: the mean number of decisions linked to each
    launch that reached GA (``decisions`` maps a launch id to its count)."""
    per = Figure("decisions_per_launch", "Decisions per launch", Kind.mean, "per launch")
    for launch in launches:
        if launch.launched_at is not None:
            count = decisions.get(launch.id, 0)
            note = f"{count} decision{'s' if count != 1 else ''}"
            per.samples.append(
                _s(LAUNCH, launch.id, launch.launched_at, launch.area_id, float(count), note)
            )
    return [per]


def zone_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


ROLES = ("admin", "editor", "viewer")


def usage_figures(days_used: Sequence[ActiveDay], zone: tzinfo) -> list[Figure]:
    """Weekly active users of Pilothouse, all and per role: one sample per person and
    week (Monday to Sunday, workspace zone) with any recorded day, under the role of
    that week's last recorded day; the value is the mean per week from the first week
    with activity to the last (weeks without any count as zero)."""
    weeks: dict[tuple[int, date], str] = {}
    for used in days_used:  # oldest first: the week's last role wins
        weeks[(used.user_id, used.day - timedelta(days=used.day.weekday()))] = used.role
    every = Figure("wau", "Weekly active users", Kind.per_week, "per week")
    by_role = {
        role: Figure(f"wau_{role}", f"Weekly active {role}s", Kind.per_week, "per week")
        for role in ROLES
    }
    for (user_id, monday), role in sorted(weeks.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        at = datetime.combine(monday, time(12), zone)
        note = f"week of {monday.isoformat()} as {role}"
        every.samples.append(_s("user", user_id, at, None, 1.0, note))
        if role in by_role:
            by_role[role].samples.append(_s("user", user_id, at, None, 1.0, note))
    return [every, *by_role.values()]
