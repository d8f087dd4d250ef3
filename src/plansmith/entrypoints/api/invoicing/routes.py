"""The invoices part of the /v1 API: invoices and their transitions, their credit notes, and
the upcoming invoice of an account.

Writes go through the invoicing use cases, each one transaction. The reads are thin: they open
the unit of work, read through the invoicing repository ports, and shape the answer; every read
that names an object checks it belongs to the key's organization first (404 otherwise).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Query

from plansmith.application.billing import upcoming
from plansmith.application.invoicing import invoices as uc
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.refunds import credit_invoice
from plansmith.application.screens.invoices import invoice_view, views_in
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.invoicing.credit_note_schemas import CreditNoteCreate, CreditNoteOut
from plansmith.entrypoints.api.invoicing.invoice_schemas import InvoiceOut, UpcomingInvoiceOut
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut, OneOf
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["invoicing"]
ID = "/invoices/{invoice_id}"


# -- reads ------------------------------------------------------------------------------------


def account_locale(uow: UnitOfWork, organization_id: str, account_id: str) -> str:
    account = uow.accounts.get(organization_id, account_id)
    if account is None:
        raise NotFound(f"no account {account_id!r}", field="account_id")
    return account.locale


def _show(uow: UnitOfWork, invoice: Invoice) -> InvoiceOut:
    with uow:
        return InvoiceOut.of(views_in(uow, [invoice])[0])


def _invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    invoice = uow.invoices.get_invoice(organization_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    return invoice


def _status(value: str | None) -> str | None:
    if value is not None and value not in {s.value for s in InvoiceStatus}:
        allowed = ", ".join(s.value for s in InvoiceStatus)
        raise InvalidValue(f"status is one of {allowed}", field="status")
    return value


# -- invoices ---------------------------------------------------------------------------------


@router.get(
    "/invoices", operation_id="list_invoices", response_model=ListOut[InvoiceOut], tags=TAGS
)
def list_invoices(
    org: CurrentOrg,
    uow: UoW,
    account_id: Annotated[str | None, Query()] = None,
    status: Annotated[
        Annotated[str, OneOf(InvoiceStatus)] | None, Query(description="draft, open, paid, ...")
    ] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[InvoiceOut]:
    """Oldest first; an account of another organization has none."""
    after, limit, status = decode_cursor(cursor), check_limit(limit), _status(status)
    with uow:
        rows = list(
            uow.invoices.invoices(
                org.id, account_id=account_id, status=status, after=after, limit=limit + 1
            )
        )
        page = rows[:limit]
        data = [InvoiceOut.of(view) for view in views_in(uow, page)]
    more = len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return ListOut[InvoiceOut](data=data, next_cursor=next_cursor, has_more=more)


@router.get(ID, operation_id="get_invoice", response_model=InvoiceOut, tags=TAGS)
def get_invoice(invoice_id: str, org: CurrentOrg, uow: UoW) -> InvoiceOut:
    """Lines with their periods and sources, the tax summary per rate, totals, the buyer."""
    view = invoice_view(uow, org.id, invoice_id, credit_notes=False)
    return InvoiceOut.of(view)


@router.post(
    f"{ID}/finalize",
    operation_id="finalize_invoice",
    responses=problems(ec.INVALID_INVOICE_TRANSITION),
    response_model=InvoiceOut,
    tags=TAGS,
)
def finalize(invoice_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> InvoiceOut:
    """Finalize a draft now, before its grace period ends: numbered, credit applied, posted."""
    return _show(uow, uc.finalize_invoice(uow, clock, org.id, invoice_id))


@router.post(
    f"{ID}/void",
    operation_id="void_invoice",
    responses=problems(ec.INVALID_INVOICE_TRANSITION, ec.HAS_CREDIT_NOTES),
    response_model=InvoiceOut,
    tags=TAGS,
)
def void(invoice_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> InvoiceOut:
    """Discard a draft, or reverse an open or uncollectible invoice in the ledger."""
    return _show(uow, uc.void_invoice(uow, clock, org.id, invoice_id))


@router.post(
    f"{ID}/mark_uncollectible",
    operation_id="mark_invoice_uncollectible",
    responses=problems(ec.INVALID_INVOICE_TRANSITION),
    response_model=InvoiceOut,
    tags=TAGS,
)
def mark_uncollectible(invoice_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> InvoiceOut:
    """Stop expecting an open invoice to be paid; it can still be paid or voided. Nothing is
    posted: what it owes stays a receivable."""
    return _show(uow, uc.mark_uncollectible(uow, clock, org.id, invoice_id))


@router.post(
    f"{ID}/mark_paid",
    operation_id="mark_invoice_paid",
    responses=problems(ec.INVALID_INVOICE_TRANSITION),
    response_model=InvoiceOut,
    tags=TAGS,
)
def mark_paid(invoice_id: str, org: CurrentOrg, uow: UoW, clock: OrgClock) -> InvoiceOut:
    """Record a payment made outside plansmith, e.g. a bank transfer, of what is still due."""
    return _show(uow, uc.mark_paid(uow, clock, org.id, invoice_id))


def _invoice_and_locale(
    uow: UnitOfWork, organization_id: str, invoice_id: str
) -> tuple[Invoice, str]:
    invoice = _invoice(uow, organization_id, invoice_id)
    return invoice, account_locale(uow, organization_id, invoice.account_id)


@router.post(
    f"{ID}/credit_notes",
    operation_id="create_credit_note",
    responses=problems(ec.NOT_CREDITABLE),
    status_code=201,
    response_model=CreditNoteOut,
    tags=TAGS,
)
def issue_credit_note(
    invoice_id: str, body: CreditNoteCreate, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> CreditNoteOut:
    """Credit an open or paid invoice: what it owes goes down first; the rest goes on the
    prepaid balance, which pays the account's other open invoices at once (oldest first) and
    then the next invoices."""
    note = credit_invoice(uow, clock, org.id, invoice_id, body.amount, body.reason)
    with uow:
        invoice, locale = _invoice_and_locale(uow, org.id, invoice_id)
    return CreditNoteOut.of(note, invoice.currency, locale)


@router.get(
    f"{ID}/credit_notes",
    operation_id="list_credit_notes",
    response_model=ListOut[CreditNoteOut],
    tags=TAGS,
)
def list_credit_notes(invoice_id: str, org: CurrentOrg, uow: UoW) -> ListOut[CreditNoteOut]:
    with uow:
        invoice, locale = _invoice_and_locale(uow, org.id, invoice_id)
        notes = uow.invoices.credit_notes(invoice.id)
    return ListOut[CreditNoteOut](
        data=[CreditNoteOut.of(n, invoice.currency, locale) for n in notes]
    )


@router.get(
    "/accounts/{account_id}/upcoming_invoices",
    operation_id="list_upcoming_invoices",
    response_model=ListOut[UpcomingInvoiceOut],
    tags=TAGS,
)
def upcoming_invoices(
    account_id: str, org: CurrentOrg, uow: UoW, app: Container, clock: OrgClock
) -> ListOut[UpcomingInvoiceOut]:
    """Per subscription, the invoice the billing run will make next, as it stands now."""
    found = upcoming.account_upcoming(uow, clock, org.id, account_id, app.invoice_grace)
    rates = {r.id: r for r in found.tax_rates}
    locale = found.account.locale
    return ListOut[UpcomingInvoiceOut](
        data=[UpcomingInvoiceOut.of(u, rates, locale) for u in found.upcoming]
    )
