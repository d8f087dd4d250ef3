"""The billing part of the /v1 API: tax rates, coupons, invoices and their credit notes, the
upcoming invoice, billing runs and an account's ledger.

Writes go through the billing use cases, each one transaction. The reads are thin: they open
the unit of work, read through the billing repository port, and shape the answer; every read
that names an object checks it belongs to the key's organization first (404 otherwise).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query

from plansmith.application.billing import run as billing
from plansmith.application.billing.ports import RunRecord
from plansmith.application.invoicing import invoices as uc
from plansmith.application.invoicing import taxes_and_coupons as tc
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.screens.invoices import invoice_view, views_in
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.invoicing.credit_note_schemas import CreditNoteCreate, CreditNoteOut
from plansmith.entrypoints.api.invoicing.invoice_schemas import InvoiceOut, UpcomingInvoiceOut
from plansmith.entrypoints.api.invoicing.ledger_schemas import TransactionOut
from plansmith.entrypoints.api.invoicing.run_schemas import (
    RUN_INVOICES_SHOWN,
    BillingRunOut,
    MadeInvoiceOut,
)
from plansmith.entrypoints.api.invoicing.tax_coupon_schemas import (
    AccountTaxRateOut,
    AccountTaxRateSet,
    CouponCreate,
    CouponOut,
    RedeemRequest,
    RedemptionOut,
    TaxRateCreate,
    TaxRateOut,
)
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut, OneOf

router = APIRouter(prefix="/v1")
TAGS: list[str | Enum] = ["invoicing"]
ID = "/invoices/{invoice_id}"
# Runs are listed from this many of the newest, once other organizations' are left out.
RUNS_READ = 500


# -- reads ------------------------------------------------------------------------------------


def _locale(uow: UnitOfWork, organization_id: str, account_id: str) -> str:
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


def _renamed(exc: DomainError, field: str) -> DomainError:
    moved = copy.copy(exc)
    moved.field = field
    return moved


# -- tax rates --------------------------------------------------------------------------------


@router.post(
    "/tax_rates",
    operation_id="create_tax_rate",
    status_code=201,
    response_model=TaxRateOut,
    tags=TAGS,
)
def create_tax_rate(body: TaxRateCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> TaxRateOut:
    """A rate by country (and region), or one to choose per account (no country)."""
    rate = tc.create_tax_rate(uow, clock, org.id, tc.TaxRateInput(**body.model_dump()))
    return TaxRateOut.of(rate)


@router.get(
    "/tax_rates", operation_id="list_tax_rates", response_model=ListOut[TaxRateOut], tags=TAGS
)
def list_tax_rates(org: CurrentOrg, uow: UoW) -> ListOut[TaxRateOut]:
    return ListOut[TaxRateOut](data=[TaxRateOut.of(r) for r in tc.list_tax_rates(uow, org.id)])


@router.post(
    "/accounts/{account_id}/tax_rate",
    operation_id="set_account_tax_rate",
    response_model=AccountTaxRateOut,
    tags=TAGS,
)
def set_account_tax_rate(
    account_id: str, body: AccountTaxRateSet, org: CurrentOrg, uow: UoW
) -> AccountTaxRateOut:
    """The rate the account's next invoices use whatever its address; null: by its address."""
    tc.set_account_tax_rate(uow, org.id, account_id, body.tax_rate_id)
    rates = {r.id: r for r in tc.list_tax_rates(uow, org.id)}
    chosen = rates.get(body.tax_rate_id) if body.tax_rate_id is not None else None
    return AccountTaxRateOut(
        account_id=account_id, tax_rate=TaxRateOut.of(chosen) if chosen else None
    )


# -- coupons ----------------------------------------------------------------------------------


@router.post(
    "/coupons",
    operation_id="create_coupon",
    responses=problems(ec.DUPLICATE_CODE),
    status_code=201,
    response_model=CouponOut,
    tags=TAGS,
)
def create_coupon(body: CouponCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> CouponOut:
    """A percentage or an amount off; once, for `cycles` invoices, or forever."""
    coupon = tc.create_coupon(uow, clock, org.id, tc.CouponInput(**body.model_dump()))
    return CouponOut.of(coupon)


@router.get("/coupons", operation_id="list_coupons", response_model=ListOut[CouponOut], tags=TAGS)
def list_coupons(org: CurrentOrg, uow: UoW) -> ListOut[CouponOut]:
    return ListOut[CouponOut](data=[CouponOut.of(c) for c in tc.list_coupons(uow, org.id)])


def _redemptions(
    uow: UnitOfWork, organization_id: str, subscription_id: str
) -> list[RedemptionOut]:
    with uow:
        if uow.subscriptions.get(organization_id, subscription_id) is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        return [RedemptionOut.of(r) for r in uow.coupons.redemptions(subscription_id)]


@router.post(
    "/subscriptions/{subscription_id}/coupons",
    operation_id="redeem_coupon",
    responses=problems(ec.ALREADY_REDEEMED),
    status_code=201,
    response_model=RedemptionOut,
    tags=TAGS,
)
def redeem_coupon(
    subscription_id: str, body: RedeemRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> RedemptionOut:
    """Apply a coupon to the subscription's next invoices (as many as its duration says)."""
    try:
        coupon = tc.redeem_coupon(uow, clock, org.id, subscription_id, body.code)
    except DomainError as exc:
        if exc.field != "coupon":
            raise
        # The use case names the coupon "coupon"; this request body calls it "code".
        raise _renamed(exc, "code") from exc
    redeemed = _redemptions(uow, org.id, subscription_id)
    return next(r for r in redeemed if r.coupon.id == coupon.id)


@router.get(
    "/subscriptions/{subscription_id}/coupons",
    operation_id="list_coupon_redemptions",
    response_model=ListOut[RedemptionOut],
    tags=TAGS,
)
def list_redemptions(subscription_id: str, org: CurrentOrg, uow: UoW) -> ListOut[RedemptionOut]:
    """The subscription's coupons and how many invoices each has discounted."""
    return ListOut[RedemptionOut](data=_redemptions(uow, org.id, subscription_id))


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
    return InvoiceOut.of(invoice_view(uow, org.id, invoice_id))


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
    return invoice, _locale(uow, organization_id, invoice.account_id)


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
    """Credit an open or paid invoice: what it owes goes down first, the rest becomes customer
    credit that the next invoices use first."""
    note = uc.issue_credit_note(uow, clock, org.id, invoice_id, body.amount, body.reason)
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
    found = billing.upcoming_invoices(uow, clock, org.id, account_id, app.invoice_grace)
    with uow:
        locale = _locale(uow, org.id, account_id)
        rates = {r.id: r for r in uow.tax_rates.tax_rates(org.id)}
    return ListOut[UpcomingInvoiceOut](
        data=[UpcomingInvoiceOut.of(u, rates, locale) for u in found]
    )


# -- billing runs and the ledger --------------------------------------------------------------


@router.post(
    "/billing_runs",
    operation_id="run_billing",
    status_code=201,
    response_model=BillingRunOut,
    tags=TAGS,
)
def run_billing(org: CurrentOrg, uow: UoW, app: Container, clock: OrgClock) -> BillingRunOut:
    """Renew what is due, invoice what is pending and finalize drafts past their grace period,
    for your organization, as of now. Running it again creates nothing new. The answer names
    the invoices the run made (the first ones; the rest at `invoices.url`)."""
    record = billing.run_billing(uow, clock, org.id, grace=app.invoice_grace, watch=app.watch)
    return _runs_out(uow, org.id, [record])[0]


def _runs_out(
    uow: UnitOfWork, organization_id: str, runs: Sequence[RunRecord]
) -> list[BillingRunOut]:
    """The runs, each with the first invoices it made (one query for them all)."""
    with uow:
        made = uow.billing_runs.first_run_invoices(
            organization_id, [r.id for r in runs], RUN_INVOICES_SHOWN + 1
        )
    return [BillingRunOut.of(r, made[r.id]) for r in runs]


def _own_run(uow: UnitOfWork, organization_id: str, run_id: str) -> RunRecord:
    """The organization's run. Runs over every organization (`plansmith bill --all`) count and
    name other tenants' subscriptions: an organization sees only its own."""
    with uow:
        run = uow.billing_runs.get_run(run_id)
    if run is None or run.organization_id != organization_id:
        raise NotFound(f"no billing run {run_id!r}", field="run_id")
    return run


@router.get(
    "/billing_runs",
    operation_id="list_billing_runs",
    response_model=ListOut[BillingRunOut],
    tags=TAGS,
)
def list_billing_runs(
    org: CurrentOrg, uow: UoW, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> ListOut[BillingRunOut]:
    """Your organization's most recent runs, newest first, with their counts and errors."""
    with uow:
        runs = uow.billing_runs.runs(org.id, RUNS_READ)
    own = [r for r in runs if r.organization_id == org.id][:limit]
    return ListOut[BillingRunOut](data=_runs_out(uow, org.id, own))


@router.get(
    "/billing_runs/{run_id}",
    operation_id="get_billing_run",
    responses=problems(ec.NOT_FOUND),
    response_model=BillingRunOut,
    tags=TAGS,
)
def get_billing_run(run_id: str, org: CurrentOrg, uow: UoW) -> BillingRunOut:
    """One of your runs: its status, counts, errors and the first invoices it made."""
    return _runs_out(uow, org.id, [_own_run(uow, org.id, run_id)])[0]


@router.get(
    "/billing_runs/{run_id}/invoices",
    operation_id="list_billing_run_invoices",
    responses=problems(ec.NOT_FOUND, ec.INVALID_CURSOR),
    response_model=ListOut[MadeInvoiceOut],
    tags=TAGS,
)
def list_billing_run_invoices(
    run_id: str,
    org: CurrentOrg,
    uow: UoW,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[MadeInvoiceOut]:
    """Every invoice the run made, oldest first, paged; each as it stands now (a draft has no
    number yet). A run that made none (e.g. run again) lists none."""
    after, limit = decode_cursor(cursor), check_limit(limit)
    _own_run(uow, org.id, run_id)
    with uow:
        rows = list(uow.billing_runs.run_invoices(org.id, run_id, after, limit + 1))
    page = rows[:limit]
    more = len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return ListOut[MadeInvoiceOut](
        data=[MadeInvoiceOut.of(m) for m in page], next_cursor=next_cursor, has_more=more
    )


@router.get(
    "/accounts/{account_id}/ledger",
    operation_id="get_account_ledger",
    response_model=ListOut[TransactionOut],
    tags=TAGS,
)
def ledger(account_id: str, org: CurrentOrg, uow: UoW) -> ListOut[TransactionOut]:
    """Every ledger transaction of the account with its entries, oldest first, for audits."""
    with uow:
        locale = _locale(uow, org.id, account_id)
        transactions = uow.ledger.transactions(org.id, account_id)
    return ListOut[TransactionOut](data=[TransactionOut.of(t, locale) for t in transactions])
