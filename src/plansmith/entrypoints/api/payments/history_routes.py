"""The payment history and the prepaid balance of the /v1 API: the organization's payments,
top-ups and refunds newest first in cursor pages (by account, status, kind), one payment, an
account's history, and an account's balance with its movements. Thin reads, one transaction
each; an id of another organization is 404, a filter naming one finds nothing.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Query

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.payments import queries
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.payments import Payment, PaymentKind, PaymentStatus
from plansmith.entrypoints.api.deps import CurrentOrg, UoW
from plansmith.entrypoints.api.payments.schemas import BalanceOut, MovementOut, PaymentOut
from plansmith.entrypoints.api.schemas import ListOut, OneOf
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["payments"]
ACCOUNT = "/accounts/{account_id}"


@router.get(
    f"{ACCOUNT}/balance", operation_id="get_account_balance", response_model=BalanceOut, tags=TAGS
)
def get_account_balance(account_id: str, org: CurrentOrg, uow: UoW) -> BalanceOut:
    """What the account holds on its prepaid balance, in its currency, and every movement of
    it (top-ups, credits, what invoices took), newest first."""
    currency, balance, movements = queries.account_balance(uow, org.id, account_id)
    return BalanceOut(
        account_id=account_id,
        currency=currency,
        balance=balance,
        movements=[MovementOut.of(m) for m in movements],
    )


# -- the payment history -------------------------------------------------------------------------


def _check(value: str | None, allowed: type[Enum], field: str) -> str | None:
    values = [str(member.value) for member in allowed]
    if value is not None and value not in values:
        raise InvalidValue(f"{field} is one of {', '.join(values)}", field=field)
    return value


def _page(rows: list[Payment], limit: int) -> ListOut[PaymentOut]:
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return ListOut[PaymentOut](
        data=[PaymentOut.of(p) for p in page], next_cursor=next_cursor, has_more=more
    )


@router.get(
    "/payments", operation_id="list_payments", response_model=ListOut[PaymentOut], tags=TAGS
)
def list_payments(
    org: CurrentOrg,
    uow: UoW,
    account_id: Annotated[str | None, Query()] = None,
    status: Annotated[
        Annotated[str, OneOf(PaymentStatus)] | None,
        Query(description="pending, succeeded, failed or unknown"),
    ] = None,
    kind: Annotated[
        Annotated[str, OneOf(PaymentKind)] | None, Query(description="payment, top_up or refund")
    ] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[PaymentOut]:
    """Payments, top-ups and refunds of your organization, newest first; an account of
    another organization has none."""
    before, limit = decode_cursor(cursor), check_limit(limit)
    status, kind = _check(status, PaymentStatus, "status"), _check(kind, PaymentKind, "kind")
    rows = queries.payments_of_organization(
        uow,
        org.id,
        account_id=account_id,
        status=status,
        kind=kind,
        before=before,
        limit=limit + 1,
    )
    return _page(list(rows), limit)


@router.get(
    "/payments/{payment_id}", operation_id="get_payment", response_model=PaymentOut, tags=TAGS
)
def get_payment(payment_id: str, org: CurrentOrg, uow: UoW) -> PaymentOut:
    return PaymentOut.of(queries.get_payment(uow, org.id, payment_id))


@router.get(
    f"{ACCOUNT}/payments",
    operation_id="list_account_payments",
    response_model=ListOut[PaymentOut],
    tags=TAGS,
)
def list_account_payments(
    account_id: str,
    org: CurrentOrg,
    uow: UoW,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[PaymentOut]:
    """The account's payment history: payments, top-ups and refunds, newest first."""
    before, limit = decode_cursor(cursor), check_limit(limit)
    with uow:
        if uow.accounts.get(org.id, account_id) is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        rows = uow.payments.of_account(account_id, before=before, limit=limit + 1)
    return _page(list(rows), limit)
