"""HTTP for the roadmap under ``/api/v1/roadmap``: everyone reads; editors plan and score;
admins shape the workflow (statuses) and the custom fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.links import links_of
from pilothouse.roadmap import exports, external, imports, items, listing, objectives, scoring
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import statuses as workflow
from pilothouse.roadmap.expressions import FormulaError, parse_formula
from pilothouse.roadmap.impact.routes import router as impact_router
from pilothouse.roadmap.kr_metrics import metric_catalog
from pilothouse.roadmap.models import ItemKind, Objective, ObjectiveStatus, StatusCategory
from pilothouse.roadmap.presenters import (
    formula_problem,
    formula_read,
    item_read,
    objective_read,
    ranked_item,
)
from pilothouse.roadmap.schemas import (
    ExternalRefCreate,
    ExternalRefRead,
    FieldCreate,
    FieldList,
    FieldRead,
    FieldUpdate,
    FormulaCheck,
    FormulaCheckResult,
    FormulaCreate,
    FormulaList,
    FormulaRead,
    FormulaUpdate,
    ImportReportRead,
    ImportRequest,
    ItemCreate,
    ItemList,
    ItemRead,
    ItemScore,
    ItemScores,
    ItemUpdate,
    KeyResultCreate,
    KeyResultUpdate,
    LinkCreate,
    LinkList,
    LinkRead,
    ObjectiveCreate,
    ObjectiveList,
    ObjectiveRead,
    ObjectiveUpdate,
    Ranking,
    StatusCreate,
    StatusList,
    StatusRead,
    StatusUpdate,
)
from pilothouse.web.deps import AdminWrite, EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer
from pilothouse.web.openapi import CSV_OR_JSON_ROWS

__all__ = ["router"]

router = APIRouter(prefix="/roadmap", tags=["roadmap"])


# --- statuses ------------------------------------------------------------------------------


@router.get("/statuses", response_model=StatusList, summary="The workflow, in order")
def list_statuses(_principal: Viewer, session: SessionDep) -> StatusList:
    return StatusList(items=[StatusRead.model_validate(s) for s in workflow.list_statuses(session)])


@router.post("/statuses", response_model=StatusRead, status_code=201, summary="Add a status")
def create_status(body: StatusCreate, principal: AdminWrite, session: SessionDep) -> StatusRead:
    status = workflow.create_status(session, principal.actor, **body.model_dump())
    return StatusRead.model_validate(status)


@router.patch("/statuses/{key}", response_model=StatusRead, summary="Change or move a status")
def update_status(
    key: str, body: StatusUpdate, principal: AdminWrite, session: SessionDep
) -> StatusRead:
    status = workflow.get_status(session, key)
    workflow.update_status(session, principal.actor, status, **body.model_dump(exclude_unset=True))
    return StatusRead.model_validate(status)


@router.delete("/statuses/{key}", status_code=204, summary="Remove a status")
def delete_status(
    key: str, principal: AdminWrite, session: SessionDep, move_to: str | None = None
) -> Response:
    status = workflow.get_status(session, key)
    target = workflow.find_status(session, move_to, "move_to") if move_to else None
    workflow.delete_status(session, principal.actor, status, move_to=target)
    return Response(status_code=204)


# --- custom fields -------------------------------------------------------------------------


@router.get("/fields", response_model=FieldList, summary="List custom fields")
def list_fields(_principal: Viewer, session: SessionDep) -> FieldList:
    return FieldList(
        items=[FieldRead.model_validate(f) for f in custom_fields.list_fields(session)]
    )


@router.post("/fields", response_model=FieldRead, status_code=201, summary="Define a custom field")
def create_field(body: FieldCreate, principal: AdminWrite, session: SessionDep) -> FieldRead:
    return FieldRead.model_validate(
        custom_fields.create_field(session, principal.actor, **body.model_dump())
    )


@router.patch("/fields/{key}", response_model=FieldRead, summary="Change a custom field")
def update_field(
    key: str, body: FieldUpdate, principal: AdminWrite, session: SessionDep
) -> FieldRead:
    found = custom_fields.find_field(session, key)
    custom_fields.update_field(
        session, principal.actor, found, **body.model_dump(exclude_unset=True)
    )
    return FieldRead.model_validate(found)


@router.delete("/fields/{key}", status_code=204, summary="Delete a custom field and its values")
def delete_field(
    key: str, principal: AdminWrite, session: SessionDep, force: bool = False
) -> Response:
    found = custom_fields.find_field(session, key)
    custom_fields.delete_field(session, principal.actor, found, force=force)
    return Response(status_code=204)


# --- objectives ----------------------------------------------------------------------------


def _objective(runtime: object, objective: Objective) -> ObjectiveRead:
    slugs = sorted({kr.metric_slug for kr in objective.key_results if kr.metric_slug})
    return objective_read(objective, objectives.metric_values(runtime, slugs))


@router.get("/objectives", response_model=ObjectiveList, summary="List objectives")
def list_objectives(
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageParams,
    status: ObjectiveStatus | None = None,
    period: str | None = None,
    owner_id: int | None = None,
    product_area_id: int | None = None,
) -> ObjectiveList:
    result = objectives.list_objectives(
        session,
        page,
        status=status,
        period=period,
        owner_id=owner_id,
        product_area_id=product_area_id,
    )
    return ObjectiveList(
        items=[_objective(runtime, o) for o in result.items],
        next_cursor=result.next_cursor,
    )


@router.get("/objectives/{key}", response_model=ObjectiveRead, summary="One objective, by key")
def get_objective(
    key: str, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> ObjectiveRead:
    return _objective(runtime, objectives.get_objective(session, key))


@router.post(
    "/objectives", response_model=ObjectiveRead, status_code=201, summary="Create an objective"
)
def create_objective(
    body: ObjectiveCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> ObjectiveRead:
    objective = objectives.create_objective(
        session, principal.actor, body.model_dump(), catalog=metric_catalog(runtime)
    )
    return _objective(runtime, objective)


@router.patch("/objectives/{key}", response_model=ObjectiveRead, summary="Change an objective")
def update_objective(
    key: str,
    body: ObjectiveUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ObjectiveRead:
    objective = objectives.get_objective(session, key)
    objectives.update_objective(
        session, principal.actor, objective, body.model_dump(exclude_unset=True)
    )
    return _objective(runtime, objective)


@router.delete("/objectives/{key}", status_code=204, summary="Delete an objective")
def delete_objective(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    objectives.delete_objective(session, principal.actor, objectives.get_objective(session, key))
    return Response(status_code=204)


@router.post(
    "/objectives/{key}/key-results",
    response_model=ObjectiveRead,
    status_code=201,
    summary="Add a key result",
)
def create_key_result(
    key: str,
    body: KeyResultCreate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ObjectiveRead:
    objective = objectives.get_objective(session, key)
    objectives.add_key_result(
        session,
        principal.actor,
        objective,
        body.model_dump(exclude_unset=True),
        catalog=metric_catalog(runtime),
    )
    return _objective(runtime, objective)


@router.patch(
    "/key-results/{key_result_id}", response_model=ObjectiveRead, summary="Change a key result"
)
def update_key_result(
    key_result_id: int,
    body: KeyResultUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ObjectiveRead:
    kr = objectives.get_key_result(session, key_result_id)
    objectives.update_key_result(
        session,
        principal.actor,
        kr,
        body.model_dump(exclude_unset=True),
        catalog=metric_catalog(runtime),
    )
    return _objective(runtime, kr.objective)


@router.delete("/key-results/{key_result_id}", status_code=204, summary="Delete a key result")
def delete_key_result(key_result_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    objectives.delete_key_result(
        session, principal.actor, objectives.get_key_result(session, key_result_id)
    )
    return Response(status_code=204)


# --- items ---------------------------------------------------------------------------------


async def item_filter(  # async: parsing only, no thread-pool hop
    kind: ItemKind | None = None,
    status: Annotated[
        list[str] | None, Query(description="Status key or name; repeatable.")
    ] = None,
    category: Annotated[list[StatusCategory] | None, Query(description="Repeatable.")] = None,
    product_area: Annotated[str | None, Query(description="Id, slug or name; `none`.")] = None,
    objective: Annotated[str | None, Query(description="Objective key, e.g. OBJ-1.")] = None,
    owner: Annotated[str | None, Query(description="Id or e-mail; `none`.")] = None,
    parent: Annotated[str | None, Query(description="Parent key; `none` for top level.")] = None,
    tag: str | None = None,
    quarter: Annotated[str | None, Query(description="Target quarter, e.g. 2026-Q3.")] = None,
    q: Annotated[str | None, Query(description="Text in the title, or a key.")] = None,
    field: Annotated[
        list[str] | None,
        Query(description="Custom field filter KEY=VALUE, KEY>=N, KEY<=N, KEY!=VALUE; repeatable."),
    ] = None,
) -> listing.ItemFilter:
    return listing.ItemFilter(
        kind=kind,
        status=status or (),
        category=category or (),
        product_area=product_area,
        objective=objective,
        owner=owner,
        parent=parent,
        tag=tag,
        quarter=quarter,
        search=q,
        fields=field or (),
    )


Filters = Annotated[listing.ItemFilter, Depends(item_filter)]


@router.get("/items", response_model=ItemList, summary="List items, filtered and sorted")
def list_items(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    where: Filters,
    sort: Annotated[
        str | None,
        Query(description="Column, `field:<key>` or `score:<formula>`; `-` first for descending."),
    ] = None,
) -> ItemList:
    result = listing.list_items(session, page, where, sort)
    return ItemList(items=[item_read(i) for i in result.items], next_cursor=result.next_cursor)


@router.get("/items/{key}", response_model=ItemRead, summary="One item, by key or id")
def get_item(key: str, _principal: Viewer, session: SessionDep) -> ItemRead:
    return item_read(items.find_item(session, key))


@router.post("/items", response_model=ItemRead, status_code=201, summary="Create an item")
def create_item(body: ItemCreate, principal: EditorWrite, session: SessionDep) -> ItemRead:
    return item_read(
        items.create_item(
            session,
            principal.actor,
            body.model_dump(exclude_unset=True) | {"kind": body.kind, "title": body.title},
        )
    )


@router.patch("/items/{key}", response_model=ItemRead, summary="Change an item")
def update_item(
    key: str, body: ItemUpdate, principal: EditorWrite, session: SessionDep
) -> ItemRead:
    item = items.find_item(session, key)
    items.update_item(session, principal.actor, item, body.model_dump(exclude_unset=True))
    return item_read(item)


@router.delete("/items/{key}", status_code=204, summary="Delete an item and its links")
def delete_item(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    items.delete_item(session, principal.actor, items.find_item(session, key))
    return Response(status_code=204)


@router.get("/items/{key}/links", response_model=LinkList, summary="Links of an item, both ways")
def list_item_links(key: str, _principal: Viewer, session: SessionDep) -> LinkList:
    item = items.find_item(session, key)
    found = links_of(session, items.item_ref(item))
    return LinkList(items=[LinkRead.model_validate(link) for link in found])


@router.post("/items/{key}/links", response_model=LinkRead, status_code=201, summary="Link an item")
def create_item_link(
    key: str, body: LinkCreate, principal: EditorWrite, session: SessionDep
) -> LinkRead:
    item = items.find_item(session, key)
    link = items.link_item(session, principal.actor, item, body.to_type, body.to_id, body.kind)
    return LinkRead.model_validate(link)


@router.delete("/items/{key}/links/{link_id}", status_code=204, summary="Remove a link")
def delete_item_link(
    key: str, link_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    items.unlink_item(session, principal.actor, items.find_item(session, key), link_id)
    return Response(status_code=204)


@router.post(
    "/items/{key}/external-refs",
    response_model=ExternalRefRead,
    status_code=201,
    summary="Attach an external ticket (Jira, GitHub or any URL)",
)
def create_external_ref(
    key: str, body: ExternalRefCreate, principal: EditorWrite, session: SessionDep
) -> ExternalRefRead:
    item = items.find_item(session, key)
    if body.url:
        system, ticket = external.parse_ticket_url(body.url)
    else:
        system, ticket = body.system or "", body.external_key or ""
    ref = external.add_external_ref(
        session, principal.actor, item, system=system, key=ticket, url=body.url
    )
    return ExternalRefRead.model_validate(ref)


@router.delete("/items/{key}/external-refs/{ref_id}", status_code=204, summary="Detach a ticket")
def delete_external_ref(
    key: str, ref_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    external.remove_external_ref(session, principal.actor, items.find_item(session, key), ref_id)
    return Response(status_code=204)


@router.get("/items/{key}/scores", response_model=ItemScores, summary="An item's score per formula")
def get_item_scores(key: str, _principal: Viewer, session: SessionDep) -> ItemScores:
    item = items.find_item(session, key)
    scores = []
    for definition, result in scoring.scores_by_formula(session, item):
        if isinstance(result, ValidationFailed):
            problem = formula_problem(FormulaError(result.detail))
            scores.append(ItemScore(formula=definition.key, score=None, inputs={}, error=problem))
        else:
            scores.append(
                ItemScore(
                    formula=definition.key,
                    score=result.score,
                    inputs={**result.inputs, **result.evidence},
                    error=formula_problem(result.error),
                )
            )
    return ItemScores(key=item.key, scores=scores)


# --- formulas and ranking ------------------------------------------------------------------


@router.get("/formulas", response_model=FormulaList, summary="Score formulas, built-in and custom")
def list_formulas(_principal: Viewer, session: SessionDep) -> FormulaList:
    names, _other = scoring.formula_names(session)
    return FormulaList(items=[formula_read(d) for d in scoring.list_formulas(session)], names=names)


@router.post("/formulas", response_model=FormulaRead, status_code=201, summary="Save a formula")
def create_formula(body: FormulaCreate, principal: EditorWrite, session: SessionDep) -> FormulaRead:
    return formula_read(scoring.create_formula(session, principal.actor, **body.model_dump()))


@router.patch("/formulas/{key}", response_model=FormulaRead, summary="Change a custom formula")
def update_formula(
    key: str, body: FormulaUpdate, principal: EditorWrite, session: SessionDep
) -> FormulaRead:
    changes = body.model_dump(exclude_unset=True)
    return formula_read(scoring.update_formula(session, principal.actor, key, **changes))


@router.delete("/formulas/{key}", status_code=204, summary="Delete a custom formula")
def delete_formula(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    scoring.delete_formula(session, principal.actor, key)
    return Response(status_code=204)


@router.post(
    "/formulas/check", response_model=FormulaCheckResult, summary="Check a formula without saving"
)
def check_formula(
    body: FormulaCheck, _principal: EditorWrite, session: SessionDep
) -> FormulaCheckResult:
    names, other = scoring.formula_names(session)
    try:
        formula = parse_formula(body.expression, fields=names, field_types=other)
    except FormulaError as exc:
        return FormulaCheckResult(ok=False, error=formula_problem(exc))
    return FormulaCheckResult(ok=True, names=list(formula.names))


@router.get("/ranking", response_model=Ranking, summary="Items ranked by a formula, with inputs")
def get_ranking(
    _principal: Viewer,
    session: SessionDep,
    where: Filters,
    formula: Annotated[
        str, Query(description="rice, ice, wsjf, value_effort or a custom key.")
    ] = "rice",
) -> Ranking:
    definition = scoring.get_formula(session, formula)
    ranked = scoring.rank_items(session, listing.filtered_items(session, where), definition)
    scored = sum(1 for r in ranked if r.score is not None)
    return Ranking(
        formula=formula_read(definition),
        scored=scored,
        unscored=len(ranked) - scored,
        items=[ranked_item(r) for r in ranked],
    )


# --- import and export ---------------------------------------------------------------------


@router.post(
    "/imports", response_model=ImportReportRead, summary="Preview (dry run) or import items"
)
def create_import(
    body: ImportRequest, principal: EditorWrite, session: SessionDep
) -> ImportReportRead:
    report = imports.run_import(
        session,
        principal.actor,
        body.content,
        body.format,
        mapping=body.mapping,
        default_kind=body.kind,
        dry_run=body.dry_run,
        source=body.source,
    )
    if report.problems and not body.dry_run:
        raise ValidationFailed(
            f"{len(report.problems)} problems; nothing was imported",
            errors=[
                FieldError(f"row {p.row}" + (f".{p.column}" if p.column else ""), p.message)
                for p in report.problems
            ],
        )
    return ImportReportRead.model_validate(report)


@router.get(
    "/export",
    summary="All matching items as CSV or JSON",
    response_model=None,
    responses={200: CSV_OR_JSON_ROWS},
)
def export_items(
    _principal: Viewer,
    session: SessionDep,
    where: Filters,
    format: Annotated[str, Query(pattern="^(csv|json)$")] = "csv",
) -> Response:
    found = listing.filtered_items(session, where)
    if format == "json":
        return JSONResponse(exports.export_json(session, found))
    return PlainTextResponse(
        exports.export_csv(session, found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="roadmap.csv"'},
    )


# The impact chain (evidence → launch → experiments → measured metrics): roadmap/impact/.
router.include_router(impact_router)
