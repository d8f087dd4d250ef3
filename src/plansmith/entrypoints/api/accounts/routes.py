"""The /v1 HTTP API: thin handlers that call one use case each."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from plansmith.application.accounts import accounts as uc
from plansmith.application.organizations.organizations import create_portal_link
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    AddressCreate,
    AddressOut,
    AddressUpdate,
    ListOut,
    OrganizationOut,
    PortalSessionCreate,
    PortalSessionOut,
)
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")


@router.get(
    "/organization",
    operation_id="get_organization",
    response_model=OrganizationOut,
    tags=["organization"],
)
def current_organization(org: CurrentOrg) -> OrganizationOut:
    """The organization the API key belongs to."""
    return OrganizationOut.model_validate(org, from_attributes=True)


@router.post(
    "/accounts",
    operation_id="create_account",
    responses=problems(ec.EXTERNAL_ID_TAKEN),
    status_code=201,
    response_model=AccountOut,
    tags=["accounts"],
)
def create_account(body: AccountCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> AccountOut:
    """Open a customer account. Send an Idempotency-Key to retry safely."""
    account = uc.open_account(uow, clock, org.id, uc.AccountInput(**body.model_dump()))
    return AccountOut.of(account)


@router.get(
    "/accounts", operation_id="list_accounts", response_model=ListOut[AccountOut], tags=["accounts"]
)
def list_accounts(
    org: CurrentOrg,
    uow: UoW,
    search: Annotated[str | None, Query(description="Part of name, email or external id")] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[AccountOut]:
    page = uc.list_accounts(uow, org.id, search=search, cursor=cursor, limit=limit)
    return ListOut[AccountOut](
        data=[AccountOut.of(a) for a in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.get(
    "/accounts/{account_id}",
    operation_id="get_account",
    response_model=AccountOut,
    tags=["accounts"],
)
def get_account(account_id: str, org: CurrentOrg, uow: UoW) -> AccountOut:
    return AccountOut.of(uc.get_account(uow, org.id, account_id))


@router.patch(
    "/accounts/{account_id}",
    operation_id="update_account",
    responses=problems(ec.EXTERNAL_ID_TAKEN),
    response_model=AccountOut,
    tags=["accounts"],
)
def update_account(
    account_id: str, body: AccountUpdate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> AccountOut:
    """Change an account; default_invoice_address_id chooses the address used on invoices."""
    changes = uc.AccountChanges(**body.changes())
    return AccountOut.of(uc.update_account(uow, clock, org.id, account_id, changes))


@router.post(
    "/accounts/{account_id}/invoice_addresses",
    operation_id="create_invoice_address",
    status_code=201,
    response_model=AddressOut,
    tags=["accounts"],
)
def add_invoice_address(
    account_id: str, body: AddressCreate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> AddressOut:
    """Add an address; the first one, or one sent with default=true, is used on invoices."""
    data = uc.AddressInput(**body.model_dump(exclude={"default"}))
    address = uc.add_invoice_address(
        uow, clock, org.id, account_id, data, make_default=body.default
    )
    account = uc.get_account(uow, org.id, account_id)
    return AddressOut.of(address, account)


@router.get(
    "/accounts/{account_id}/invoice_addresses",
    operation_id="list_invoice_addresses",
    response_model=ListOut[AddressOut],
    tags=["accounts"],
)
def list_invoice_addresses(account_id: str, org: CurrentOrg, uow: UoW) -> ListOut[AddressOut]:
    account, addresses = uc.account_with_addresses(uow, org.id, account_id)
    return ListOut[AddressOut](data=[AddressOut.of(a, account) for a in addresses])


@router.get(
    "/accounts/{account_id}/invoice_addresses/{address_id}",
    operation_id="get_invoice_address",
    response_model=AddressOut,
    tags=["accounts"],
)
def get_invoice_address(account_id: str, address_id: str, org: CurrentOrg, uow: UoW) -> AddressOut:
    address = uc.get_invoice_address(uow, org.id, account_id, address_id)
    return AddressOut.of(address, uc.get_account(uow, org.id, account_id))


@router.patch(
    "/accounts/{account_id}/invoice_addresses/{address_id}",
    operation_id="update_invoice_address",
    response_model=AddressOut,
    tags=["accounts"],
)
def update_invoice_address(
    account_id: str,
    address_id: str,
    body: AddressUpdate,
    org: CurrentOrg,
    uow: UoW,
    clock: OrgClock,
) -> AddressOut:
    changes = uc.AddressChanges(**body.changes())
    address = uc.update_invoice_address(uow, clock, org.id, account_id, address_id, changes)
    return AddressOut.of(address, uc.get_account(uow, org.id, account_id))


@router.post(
    "/portal_sessions",
    operation_id="create_portal_session",
    responses=problems(ec.NOT_FOUND),
    status_code=201,
    response_model=PortalSessionOut,
    tags=["portal"],
)
def create_portal_session(
    body: PortalSessionCreate, org: CurrentOrg, uow: UoW, app: Container, response: Response
) -> PortalSessionOut:
    """A link that lets one account's admin into the self-service portal: its first visit
    before it expires opens a session; every later visit gets "Link expired". The link is a
    credential: it is in this answer only (a retry with the same Idempotency-Key gets 409
    `idempotency_response_withheld`, never the link again)."""
    link = create_portal_link(
        uow, app.clock, app.signer, org.id, body.account_id, ttl_seconds=body.expires_in
    )
    url = app.portal_url(link.token)
    response.headers["Cache-Control"] = "no-store"
    return PortalSessionOut(account_id=link.account_id, url=url, expires_at=link.expires_at)
