"""HTTP for customer accounts and contacts: everyone reads; editors change accounts."""

from __future__ import annotations

from fastapi import APIRouter

from pilothouse.accounts import service
from pilothouse.accounts.schemas import (
    AccountCreate,
    AccountList,
    AccountRead,
    AccountUpdate,
    ContactList,
    ContactRead,
)
from pilothouse.web.deps import EditorWrite, PageParams, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(tags=["customer accounts"])


@router.get("/accounts", response_model=AccountList, summary="List customer accounts")
def list_accounts(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    plan: str | None = None,
    segment: str | None = None,
    q: str | None = None,
) -> AccountList:
    result = service.list_accounts(
        session, page, service.AccountFilter(plan=plan, segment=segment, search=q)
    )
    return AccountList(
        items=[AccountRead.model_validate(a) for a in result.items], next_cursor=result.next_cursor
    )


@router.get(
    "/accounts/{key}", response_model=AccountRead, summary="One account, by id or external id"
)
def get_account(key: str, _principal: Viewer, session: SessionDep) -> AccountRead:
    return AccountRead.model_validate(service.find_account(session, key))


@router.post(
    "/accounts", response_model=AccountRead, status_code=201, summary="Create a customer account"
)
def create_account(body: AccountCreate, principal: EditorWrite, session: SessionDep) -> AccountRead:
    return AccountRead.model_validate(
        service.create_account(session, principal.actor, body.model_dump())
    )


@router.patch("/accounts/{key}", response_model=AccountRead, summary="Change an account")
def update_account(
    key: str, body: AccountUpdate, principal: EditorWrite, session: SessionDep
) -> AccountRead:
    account = service.find_account(session, key)
    service.update_account(session, principal.actor, account, body.model_dump(exclude_unset=True))
    return AccountRead.model_validate(account)


@router.get("/contacts", response_model=ContactList, summary="List contacts (customer people)")
def list_contacts(
    _principal: Viewer, session: SessionDep, page: PageParams, account_id: int | None = None
) -> ContactList:
    result = service.list_contacts(session, page, account_id=account_id)
    return ContactList(
        items=[ContactRead.model_validate(c) for c in result.items], next_cursor=result.next_cursor
    )
