"""How customer accounts are named on every page (``core.references``).

There is no account page yet, so an account has a name and no address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from pilothouse.accounts.models import CustomerAccount
from pilothouse.core.reference_types import numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type

__all__ = ["resolve_accounts"]


def resolve_accounts(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Customer accounts by id: their name (or external id), plan as the detail."""
    query = select(
        CustomerAccount.id, CustomerAccount.name, CustomerAccount.external_id, CustomerAccount.plan
    ).where(CustomerAccount.id.in_(numeric_ids(ids)))
    return {
        str(i): Found(name or external, None, plan or "")
        for i, name, external, plan in context.session.execute(query)
    }


register_type("customer_account", "Customer", resolve_accounts)
