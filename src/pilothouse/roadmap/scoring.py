"""Prioritisation: RICE, ICE, WSJF and value/effort built in, plus custom score formulas.

Every formula, built-in or custom, is an expression in the safe language of
:mod:`pilothouse.roadmap.expressions` over these names:

- the built-in inputs of every item: ``reach``, ``impact``, ``confidence`` (a
  percentage, 0–100), ``effort`` (person-months), ``ease``, ``value``,
  ``business_value``, ``time_criticality``, ``risk_reduction``, ``job_size``;
- evidence from linked feedback: ``feedback_count``, ``customer_count`` and
  ``customer_arr_cents`` (see :mod:`pilothouse.roadmap.evidence`);
- the keys of custom number fields.

Scores are computed when asked, never stored, so changing an input re-ranks at
once. An item whose inputs are missing, or whose formula divides by zero, gets no
score but an error naming the field, and ranks after every scored item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap.common import clean_key, clean_name
from pilothouse.roadmap.evidence import EVIDENCE_NAMES, FeedbackAccounts, evidence_for
from pilothouse.roadmap.expressions import Formula, FormulaError, evaluate, parse_formula
from pilothouse.roadmap.models import NUMERIC_INPUTS, FieldType, RoadmapItem, ScoreFormula

__all__ = [
    "BUILTIN_FORMULAS",
    "ScoreDefinition",
    "ScoredItem",
    "check_expression",
    "create_formula",
    "delete_formula",
    "formula_names",
    "get_formula",
    "list_formulas",
    "rank_items",
    "score_items",
    "scores_by_formula",
    "update_formula",
]


@dataclass(frozen=True)
class ScoreDefinition:
    """A named formula; ``builtin`` ones are defined here and cannot be changed."""

    key: str
    name: str
    expression: str
    description: str = ""
    builtin: bool = False
    id: int | None = None


BUILTIN_FORMULAS: dict[str, ScoreDefinition] = {
    d.key: d
    for d in (
        ScoreDefinition(
            "rice",
            "RICE",
            "reach * impact * confidence / 100 / effort",
            "Reach × Impact × Confidence (%) ÷ Effort (person-months).",
            True,
        ),
        ScoreDefinition(
            "ice",
            "ICE",
            "impact * confidence / 10 * ease",
            "Impact × Confidence on a 1–10 scale (the percentage ÷ 10) × Ease.",
            True,
        ),
        ScoreDefinition(
            "wsjf",
            "WSJF",
            "(business_value + time_criticality + risk_reduction) / job_size",
            "Cost of delay (business value + time criticality + risk reduction) ÷ job size.",
            True,
        ),
        ScoreDefinition(
            "value_effort", "Value / effort", "value / effort", "Value ÷ Effort.", True
        ),
    )
}
AUDITED_FORMULA_FIELDS = ("key", "name", "expression", "description")


def formula_names(session: Session) -> tuple[list[str], dict[str, str]]:
    """The names formulas may read, and the custom fields that exist but are not numbers."""
    names = [*NUMERIC_INPUTS, *EVIDENCE_NAMES]
    other: dict[str, str] = {}
    for definition in custom_fields.list_fields(session):
        if definition.type is FieldType.number:
            names.append(definition.key)
        else:
            other[definition.key] = definition.type.value
    return names, other


def check_expression(session: Session, expression: str, where: str = "expression") -> Formula:
    """Parse ``expression`` against today's fields; problems → 422 naming field and position."""
    names, other = formula_names(session)
    try:
        return parse_formula(expression, fields=names, field_types=other)
    except FormulaError as exc:
        raise _formula_problem(exc, where, str(exc)) from None


def _formula_problem(exc: FormulaError, where: str, detail: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[FieldError(where, str(exc))])


def _definition(row: ScoreFormula) -> ScoreDefinition:
    return ScoreDefinition(row.key, row.name, row.expression, row.description, False, row.id)


def list_formulas(session: Session) -> list[ScoreDefinition]:
    """The built-in formulas, then the custom ones in the order they were made."""
    rows = session.scalars(select(ScoreFormula).order_by(ScoreFormula.id))
    return [*BUILTIN_FORMULAS.values(), *(_definition(r) for r in rows)]


def _row(session: Session, key: str) -> ScoreFormula:
    row = session.scalar(select(ScoreFormula).where(ScoreFormula.key == key))
    if row is None:
        raise NotFound(f"no score formula {key!r}")
    return row


def get_formula(session: Session, key: str) -> ScoreDefinition:
    if key in BUILTIN_FORMULAS:
        return BUILTIN_FORMULAS[key]
    return _definition(_row(session, key))


def _audit(
    session: Session, actor: Actor, row: ScoreFormula, action: Action, before: Any = None
) -> None:
    record_change(
        session,
        actor,
        object_type="roadmap_formula",
        object_id=row.id,
        action=action,
        label=row.name,
        before=before,
        after=None if action is Action.deleted else snapshot(row, AUDITED_FORMULA_FIELDS),
    )


def create_formula(
    session: Session,
    actor: Actor,
    *,
    key: str,
    name: str,
    expression: str,
    description: str = "",
) -> ScoreDefinition:
    """Save a custom formula; it is checked against today's fields first."""
    actor.require(Role.editor, write=True)
    key = clean_key(key)
    if key in BUILTIN_FORMULAS or session.scalar(
        select(ScoreFormula.id).where(ScoreFormula.key == key)
    ):
        raise Conflict(f"a formula {key!r} exists already", errors=[FieldError("key", "taken")])
    checked = check_expression(session, expression)
    row = ScoreFormula(
        key=key,
        name=clean_name(name, max_length=100),
        expression=checked.text,
        description=description.strip(),
    )
    session.add(row)
    session.flush()
    _audit(session, actor, row, Action.created)
    return _definition(row)


def update_formula(
    session: Session,
    actor: Actor,
    key: str,
    *,
    name: str | None = None,
    expression: str | None = None,
    description: str | None = None,
) -> ScoreDefinition:
    actor.require(Role.editor, write=True)
    if key in BUILTIN_FORMULAS:
        raise Conflict(f"{key!r} is built in; save a custom formula instead")
    row = _row(session, key)
    before = snapshot(row, AUDITED_FORMULA_FIELDS)
    if name is not None:
        row.name = clean_name(name, max_length=100)
    if expression is not None:
        row.expression = check_expression(session, expression).text
    if description is not None:
        row.description = description.strip()
    session.flush()
    _audit(session, actor, row, Action.updated, before)
    return _definition(row)


def delete_formula(session: Session, actor: Actor, key: str) -> None:
    actor.require(Role.editor, write=True)
    if key in BUILTIN_FORMULAS:
        raise Conflict(f"{key!r} is built in and cannot be deleted")
    row = _row(session, key)
    _audit(session, actor, row, Action.deleted, snapshot(row, AUDITED_FORMULA_FIELDS))
    session.delete(row)
    session.flush()


# --- scoring -------------------------------------------------------------------------------


@dataclass
class ScoredItem:
    """One item's score under one formula, with the inputs that produced it."""

    item: RoadmapItem
    score: float | None
    inputs: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)
    error: FormulaError | None = None
    rank: int | None = None


def _compiled(
    session: Session,
    definition: ScoreDefinition,
    known: tuple[list[str], dict[str, str]] | None = None,
) -> Formula:
    """The formula checked against today's fields (``known``: :func:`formula_names`,
    when the caller already read them); a deleted field is named."""
    names, other = known or formula_names(session)
    try:
        return parse_formula(definition.expression, fields=names, field_types=other)
    except FormulaError as exc:
        reason = str(exc)
        if exc.field and exc.field not in other:
            reason += " (no such field: it may have been deleted)"
        raise _formula_problem(
            exc, "formula", f"formula {definition.key!r} cannot be evaluated: {reason}"
        ) from None


def _item_values(item: RoadmapItem, names: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {n: getattr(item, n) for n in NUMERIC_INPUTS}
    for row in item.field_values:
        if row.field.type is FieldType.number:
            values[row.field.key] = row.number_value
    return {n: values.get(n) for n in names}


def score_items(
    session: Session,
    items: Sequence[RoadmapItem],
    definition: ScoreDefinition,
    *,
    resolver: FeedbackAccounts | None = None,
    known: tuple[list[str], dict[str, str]] | None = None,
    evidence: dict[int, Any] | None = None,
) -> list[ScoredItem]:
    """Score each item (in the given order) under ``definition``.

    ``known`` (the fields, :func:`formula_names`) and ``evidence`` (of ``items``,
    :func:`evidence_for`) save reading them again when one caller scores under
    several formulas; without them they are read here, when the formula needs them.
    """
    formula = _compiled(session, definition, known)
    uses_evidence = any(n in EVIDENCE_NAMES for n in formula.names)
    if uses_evidence and evidence is None:
        evidence = evidence_for(session, items, resolver)
    results = []
    for item in items:
        values = _item_values(item, formula.names)
        found = evidence[item.id].as_dict() if uses_evidence and evidence is not None else {}
        values.update({n: v for n, v in found.items() if n in formula.names})
        try:
            score: float | None = round(evaluate(formula, values), 6)
            error = None
        except FormulaError as exc:
            score, error = None, exc
        results.append(ScoredItem(item, score, values, found, error))
    return results


def rank_items(
    session: Session,
    items: Sequence[RoadmapItem],
    definition: ScoreDefinition,
    *,
    resolver: FeedbackAccounts | None = None,
) -> list[ScoredItem]:
    """Items by score, highest first; ties by key number order; unscored last."""
    scored = score_items(session, items, definition, resolver=resolver)
    scored.sort(key=lambda s: (s.score is None, -(s.score or 0.0), s.item.id))
    rank = 0
    previous: float | None = None
    for position, entry in enumerate(scored, start=1):
        if entry.score is None:
            continue
        if entry.score != previous:
            rank, previous = position, entry.score
        entry.rank = rank
    return scored


def scores_by_formula(
    session: Session,
    item: RoadmapItem,
    *,
    resolver: FeedbackAccounts | None = None,
    evidence: dict[int, Any] | None = None,
) -> list[tuple[ScoreDefinition, ScoredItem | ValidationFailed]]:
    """The item's score under every formula; a formula that cannot run gives its error.

    The fields and the item's evidence are read once for all formulas (they were read
    per formula: a quarter of the item page, ``benchmarks/request_cost.py``);
    ``evidence`` is the item's from :func:`evidence_for` when the caller has it.
    """
    results: list[tuple[ScoreDefinition, ScoredItem | ValidationFailed]] = []
    known = formula_names(session)
    for definition in list_formulas(session):
        try:
            if evidence is None and any(
                n in EVIDENCE_NAMES for n in _compiled(session, definition, known).names
            ):
                evidence = evidence_for(session, [item], resolver)
            scored = score_items(
                session, [item], definition, resolver=resolver, known=known, evidence=evidence
            )
            results.append((definition, scored[0]))
        except ValidationFailed as exc:
            results.append((definition, exc))
    return results
