"""Invoices for the portal and the console: an invoice's document, laid out from the one
``InvoiceView`` the API renders too, the documents of an account's upcoming invoices, a page
of the organization's invoices and its billing runs. Reads only; each in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plansmith.application.billing.ports import RunRecord
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.screens.invoices import AccountInvoices, InvoiceView, invoice_view
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.entrypoints.webui.invoice_document import (
    InvoiceDocument,
    build_document,
    upcoming_document,
)


@dataclass(frozen=True)
class Loaded:
    invoice: Invoice
    account: Account
    document: InvoiceDocument


def document_of(view: InvoiceView, language: str | None = None) -> InvoiceDocument:
    """The page and the PDF of an invoice: its view, laid out, its labels in ``language``
    (else the account's language)."""
    return build_document(
        view.invoice,
        seller=view.seller,
        buyer=view.buyer,
        account=view.account,
        rates=view.rates,
        credit_notes=view.credit_notes or (),
        language=language,
    )


def load_invoice(
    uow: UnitOfWork,
    organization_id: str,
    invoice_id: str,
    *,
    account_id: str | None = None,
    drafts: bool = True,
    language: str | None = None,
) -> Loaded:
    """An invoice with its document (see ``invoice_view``): the seller it kept when it was
    finalized (a draft: the organization's settings now), the labels in ``language`` (else
    the account's)."""
    view = invoice_view(uow, organization_id, invoice_id, account_id=account_id, drafts=drafts)
    return Loaded(view.invoice, view.account, document_of(view, language))


def upcoming_documents(page: AccountInvoices, language: str | None = None) -> list[InvoiceDocument]:
    return [
        upcoming_document(
            u,
            seller=page.seller,
            buyer=page.buyer,
            account=page.account,
            rates=page.rates,
            language=language,
        )
        for u in page.upcoming
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
        # One read for the page's accounts; a foreign key guarantees each one is there.
        accounts = uow.accounts.get_many(organization_id, {i.account_id for i in shown})
    rows = [(invoice, accounts[invoice.account_id]) for invoice in shown]
    more = len(found) > limit
    return InvoicePage(rows, (shown[-1].created_at, shown[-1].id) if more else None)


def recent_runs(uow: UnitOfWork, organization_id: str, limit: int) -> list[RunRecord]:
    """The organization's billing runs (and those over every organization), newest first."""
    with uow:
        return list(uow.billing_runs.runs(organization_id, limit))
