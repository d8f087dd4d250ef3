"""Invoices as every reader shows them, assembled once: the API's invoice, the invoice page of the
portal and the console, and its PDF all render one ``InvoiceView`` (the invoice with its lines
and totals, the tax summary per rate, the seller and the buyer as kept on the invoice, the
credit notes). A finalized invoice shows the seller it kept when it was finalized; a draft
shows the organization's settings as they are now. The portal's Invoices page is one query
too. Reads only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from plansmith.application.billing.ports import BillingSnapshot
from plansmith.application.billing.run import Upcoming
from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.billing.upcoming import account_snapshot, upcoming_of
from plansmith.application.invoicing.drafts import buyer as buyer_from
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    TaxRate,
    TaxSummary,
)
from plansmith.domain.invoicing.pricing import tax_summary
from plansmith.domain.organizations.branding import Seller


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    account: Account
    # as kept when the invoice was finalized; a draft's: the organization's settings now
    seller: Seller
    buyer: Mapping[str, object]  # as kept on the invoice when it was made
    rates: Mapping[str, TaxRate]  # by id: every rate of the organization
    credit_notes: tuple[CreditNote, ...] | None  # None: not read (an API list leaves them out)

    @property
    def tax_summary(self) -> list[TaxSummary]:
        return tax_summary(self.invoice.lines, self.rates)


def invoice_view(
    uow: UnitOfWork,
    organization_id: str,
    invoice_id: str,
    *,
    account_id: str | None = None,
    drafts: bool = True,
    credit_notes: bool = True,
) -> InvoiceView:
    """One invoice, in one unit of work. With ``account_id``, another account's invoice (and
    with ``drafts=False`` a draft) is as absent as one that does not exist;
    ``credit_notes=False`` for a reader that does not show them (the API's invoice)."""
    with uow:
        invoice = uow.invoices.get_invoice(organization_id, invoice_id)
        hidden = invoice is not None and (
            (account_id is not None and invoice.account_id != account_id)
            or (not drafts and invoice.status is InvoiceStatus.DRAFT)
        )
        if invoice is None or hidden:
            raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
        return views_in(uow, [invoice], credit_notes=credit_notes)[0]


def views_in(
    uow: UnitOfWork, invoices: Sequence[Invoice], *, credit_notes: bool = False
) -> list[InvoiceView]:
    """Inside an open unit of work: the views of invoices of one organization, reading the
    tax rates and the accounts once each, whatever the number of invoices, and the current
    seller once if a draft (or an invoice without a kept seller) is among them. The buyer and
    a finalized invoice's seller come with the invoice as read."""
    if not invoices:
        return []
    organization_id = invoices[0].organization_id
    kept = {i.id: uow.invoices.seller(i.id) for i in invoices}
    current: Seller | None = None
    if any(seller is None for seller in kept.values()):
        branding = uow.branding.get(organization_id)
        if branding is None:
            raise NotFound(f"no organization {organization_id!r}", field="organization_id")
        current = branding.seller
    rates = _rates(uow, organization_id)
    accounts = uow.accounts.get_many(organization_id, {i.account_id for i in invoices})
    views = []
    for invoice in invoices:
        account = accounts.get(invoice.account_id)
        if account is None:
            raise NotFound(f"no account {invoice.account_id!r}", field="account_id")
        notes = tuple(uow.invoices.credit_notes(invoice.id)) if credit_notes else None
        buyer = uow.invoices.buyer(invoice.id)
        seller = kept[invoice.id] or current
        assert seller is not None  # read above when one was not kept
        views.append(InvoiceView(invoice, account, seller, buyer, rates, notes))
    return views


def _rates(uow: UnitOfWork, organization_id: str) -> dict[str, TaxRate]:
    return {rate.id: rate for rate in uow.tax_rates.tax_rates(organization_id)}


# -- the portal's Invoices page -------------------------------------------------------------


@dataclass(frozen=True)
class AccountInvoices:
    """Seed 004: the future invoices (as the billing run would make them now) and the past
    ones, finalized only (drafts are the operator's business), newest first."""

    account: Account
    seller: Seller  # as the settings stand now: the upcoming invoices' seller
    buyer: Mapping[str, object]  # as it stands now: the upcoming invoices' buyer
    rates: Mapping[str, TaxRate]
    upcoming: tuple[Upcoming, ...]  # the soonest cut-off first
    past: tuple[Invoice, ...]
    plan_names: Mapping[str, str]  # by subscription id: the plan's name customers see


def plan_names_of(snapshot: BillingSnapshot) -> dict[str, str]:
    """Each subscription's plan, as customers know it (the plan's name, not a version's)."""
    book = snapshot.book
    return {
        sub_id: book.plan(entry.subscription.terms.plan_id).name
        for sub_id, entry in snapshot.entries.items()
    }


def account_invoices(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, grace: timedelta
) -> AccountInvoices:
    """The account, its past invoices and its upcoming ones (the billing step over the
    account's snapshot, as the run would make them now), in one unit of work."""
    with uow:
        return account_invoices_in(uow, wall, organization_id, account_id, grace)[0]


def account_invoices_in(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, grace: timedelta
) -> tuple[AccountInvoices, BillingSnapshot, Clock]:
    """``account_invoices`` inside an open unit of work, with the snapshot it stands on and
    the organization's clock (for a page that shows more from them)."""
    organization = uow.organizations.get(organization_id)
    if organization is None:
        raise NotFound(f"no organization {organization_id!r}", field="organization_id")
    account, address, snapshot = account_snapshot(uow, organization_id, account_id)
    past = _all_invoices(uow, organization_id, account_id)
    branding = uow.branding.get(organization_id)
    clock = clock_for(organization, wall)
    upcoming = upcoming_of(snapshot, clock.now(), grace)
    rates = {rate.id: rate for rate in snapshot.tax_rates}
    buyer = buyer_from(account, address)
    finalized = (i for i in past if i.status is not InvoiceStatus.DRAFT)
    newest_first = sorted(
        finalized, key=lambda i: (i.finalized_at or i.created_at, i.id), reverse=True
    )
    seller = branding.seller if branding else Seller(organization.name)
    page = AccountInvoices(
        account,
        seller,
        buyer,
        rates,
        tuple(upcoming),
        tuple(newest_first),
        plan_names_of(snapshot),
    )
    return page, snapshot, clock


def _all_invoices(uow: UnitOfWork, organization_id: str, account_id: str) -> list[Invoice]:
    # One read for the whole history: the page shows every past invoice, and pages of it
    # would make the statement count grow with the account's age.
    return list(
        uow.invoices.invoices(
            organization_id, account_id=account_id, status=None, after=None, limit=None
        )
    )
