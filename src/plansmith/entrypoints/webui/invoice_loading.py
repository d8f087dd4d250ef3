"""Loading invoices for the portal and the console: an invoice with its document (seller,
buyer as kept on the invoice, tax rates, credit notes), an account's invoices, and the
documents of its upcoming invoices. Reads only; each in one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from plansmith.application.billing_ports import RunRecord
from plansmith.application.billing_run import Upcoming
from plansmith.application.errors import NotFound
from plansmith.application.invoices import buyer_of
from plansmith.application.ports import UnitOfWork
from plansmith.domain.accounts import Account
from plansmith.domain.invoicing import Invoice, InvoiceStatus, TaxRate
from plansmith.entrypoints.webui.invoice_document import (
    InvoiceDocument,
    build_document,
    upcoming_document,
)

_PAGE = 100


@dataclass(frozen=True)
class Loaded:
    invoice: Invoice
    account: Account
    document: InvoiceDocument


def _rates(uow: UnitOfWork, organization_id: str) -> dict[str, TaxRate]:
    return {rate.id: rate for rate in uow.tax_rates.tax_rates(organization_id)}


def _seller(uow: UnitOfWork, organization_id: str) -> str:
    organization = uow.organizations.get(organization_id)
    assert organization is not None  # every invoice belongs to one
    return organization.name


def load_invoice(
    uow: UnitOfWork,
    organization_id: str,
    invoice_id: str,
    *,
    account_id: str | None = None,
    drafts: bool = True,
) -> Loaded:
    """An invoice with its document. With ``account_id``, another account's invoice (and
    with ``drafts=False`` a draft) is as absent as one that does not exist."""
    with uow:
        invoice = uow.invoices.get_invoice(organization_id, invoice_id)
        hidden = invoice is not None and (
            (account_id is not None and invoice.account_id != account_id)
            or (not drafts and invoice.status is InvoiceStatus.DRAFT)
        )
        if invoice is None or hidden:
            raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
        account = uow.accounts.get(organization_id, invoice.account_id)
        assert account is not None  # a foreign key guarantees it
        document = build_document(
            invoice,
            seller=_seller(uow, organization_id),
            buyer=uow.invoices.buyer(invoice.id),
            account=account,
            rates=_rates(uow, organization_id),
            credit_notes=uow.invoices.credit_notes(invoice.id),
        )
    return Loaded(invoice, account, document)


def account_invoices(uow: UnitOfWork, organization_id: str, account_id: str) -> list[Invoice]:
    """Every invoice of the account, newest first."""
    found: list[Invoice] = []
    after: tuple[datetime, str] | None = None
    with uow:
        while True:
            page = uow.invoices.invoices(
                organization_id, account_id=account_id, status=None, after=after, limit=_PAGE
            )
            found.extend(page)
            if len(page) < _PAGE:
                break
            after = (page[-1].created_at, page[-1].id)
    return sorted(found, key=lambda i: (i.finalized_at or i.created_at, i.id), reverse=True)


def upcoming_documents(
    uow: UnitOfWork, organization_id: str, account: Account, upcoming: Sequence[Upcoming]
) -> list[InvoiceDocument]:
    with uow:
        seller = _seller(uow, organization_id)
        buyer = buyer_of(uow, account)
        rates = _rates(uow, organization_id)
    return [
        upcoming_document(u, seller=seller, buyer=buyer, account=account, rates=rates)
        for u in upcoming
    ]


@dataclass(frozen=True)
class InvoicePage:
    rows: list[tuple[Invoice, Account]]
    next_after: tuple[datetime, str] | None  # where the next page starts, if there is one


def organization_invoices(
    uow: UnitOfWork,
    organization_id: str,
    *,
    status: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> InvoicePage:
    """One page of the organization's invoices, oldest first, each with its account."""
    with uow:
        found = list(
            uow.invoices.invoices(
                organization_id, account_id=None, status=status, after=after, limit=limit + 1
            )
        )
        shown = found[:limit]
        accounts: dict[str, Account] = {}
        for invoice in shown:
            if invoice.account_id not in accounts:
                account = uow.accounts.get(organization_id, invoice.account_id)
                assert account is not None  # a foreign key guarantees it
                accounts[account.id] = account
    rows = [(invoice, accounts[invoice.account_id]) for invoice in shown]
    more = len(found) > limit
    return InvoicePage(rows, (shown[-1].created_at, shown[-1].id) if more else None)


def recent_runs(uow: UnitOfWork, organization_id: str, limit: int) -> list[RunRecord]:
    """The organization's billing runs (and those over every organization), newest first."""
    with uow:
        return list(uow.billing_runs.runs(organization_id, limit))
