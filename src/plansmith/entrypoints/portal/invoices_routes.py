"""The portal's Invoices screen (seed 004): the future invoice (its period, status "Upcoming",
cut-off date, lines and total so far) and the past invoices (date, number, amount, payment
status), each with Review Invoice (the invoice as a page) and Download PDF (the same document
as a PDF).

Drafts are the operator's business until finalized: the customer never sees one. Another
account's invoice answers exactly like one that does not exist (the portal's 404). Session,
error pages and the no-store header are routes.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.screens.invoices import AccountInvoices
from plansmith.application.screens.portal_invoices import invoices_screen
from plansmith.application.screens.portal_payments import Owing, owing_of
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.entrypoints.portal.plans_views import day, last_day
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit, Visit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import COOKIE, N_, language_of, request_language, translate
from plansmith.entrypoints.webui.invoice_document import Formats, InvoiceDocument
from plansmith.entrypoints.webui.invoice_loading import Loaded, load_invoice, upcoming_documents
from plansmith.entrypoints.webui.sessions import CSRF_FIELD
from plansmith.entrypoints.webui.templating import make_templates
from plansmith.entrypoints.webui.words import invoice_state

templates = make_templates(Path(__file__).with_name("templates"))
# The prediction card's dates (_prediction.html), as the Plans screens write them.
templates.env.filters.update(period_day=day, period_last_day=last_day)
# After "Pay now" (payments_routes.py redirects here).
PAID = {
    "paid": N_("The invoice is paid."),
    "processing": N_("Your payment is being confirmed; this page shows its outcome soon."),
}
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True)
class PastInvoice:
    """One row of Past invoices."""

    id: str
    number: str
    date: str
    amount: str
    status: str
    status_key: str

    @classmethod
    def of(cls, invoice: Invoice, account: Account, language: str) -> PastInvoice:
        f = Formats(invoice.currency, account.locale, account.time_zone)
        assert invoice.number is not None  # only finalized invoices are listed
        return cls(
            invoice.id,
            invoice.number,
            f.instant(invoice.finalized_at),
            f.money(invoice.totals.total).text,
            invoice_state(invoice.status, language),
            invoice.status.value,
        )


@dataclass(frozen=True)
class FailingPayment:
    """An open invoice whose collection has failed: the warning above the Invoices tab."""

    id: str
    number: str
    amount_due: str  # formatted like the amounts of Past invoices
    owing: Owing

    @classmethod
    def of(cls, owing: Owing, account: Account) -> FailingPayment:
        invoice = owing.invoice
        due = Formats(invoice.currency, account.locale, account.time_zone).money(
            invoice.totals.amount_due
        )
        return cls(invoice.id, invoice.number or "", due.text, owing)


def future_blocks(page: AccountInvoices, language: str) -> list[tuple[str, InvoiceDocument]]:
    """Each future invoice's document with the name of the plan it bills, in the page's order
    (the soonest cut-off first), its labels in the page's language."""
    documents = upcoming_documents(page, language)
    names = [page.plan_names.get(u.subscription_id, "") for u in page.upcoming]
    return list(zip(names, documents, strict=True))


def _chrome(visit: Visit, account: Account) -> dict[str, object]:
    return {
        "account": account,
        "locale": account.locale,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "invoices",
    }


@router.get("/invoices")
def invoices_page(request: Request, visit: CurrentVisit, app: Container) -> Response:
    org, account_id = visit.organization_id, visit.account_id
    screen = invoices_screen(app.uow(), app.clock, org, account_id, app.invoice_grace)
    page, owing = screen.page, screen.owing
    language = request_language(request, page.account.locale)
    context = {
        "future": future_blocks(page, language),
        "prediction": screen.prediction,
        "prediction_names": page.plan_names,
        "past": [PastInvoice.of(invoice, page.account, language) for invoice in page.past],
        "owing": owing,
        "failing": [FailingPayment.of(o, page.account) for o in owing.values() if o.failing],
        "zone": page.account.time_zone,
        **_chrome(visit, page.account),
    }
    return templates.TemplateResponse(request, "portal/invoices.html", context, headers=NO_STORE)


# Declared before the review page: "{invoice_id}" alone would also match "inv_x.pdf".
@router.get("/invoices/{invoice_id}.pdf")
def invoice_pdf(request: Request, invoice_id: str, visit: CurrentVisit, app: Container) -> Response:
    # fpdf2, fontTools and Pillow are a quarter of the start-up: only a download needs them.
    from plansmith.entrypoints.webui.invoice_pdf import render_pdf

    loaded = _customer_invoice(app, visit, invoice_id, request)
    document = loaded.document
    headers = {
        "Content-Disposition": f'attachment; filename="{document.file_name}"',
        **NO_STORE,
    }
    return Response(render_pdf(document), media_type="application/pdf", headers=headers)


@router.get("/invoices/{invoice_id}")
def review_invoice(
    request: Request, invoice_id: str, visit: CurrentVisit, app: Container, done: str = ""
) -> Response:
    loaded = _customer_invoice(app, visit, invoice_id, request)
    owing = owing_of(app.uow(), visit.account_id, [loaded.invoice])
    notice = PAID.get(done)
    language = request_language(request, loaded.account.locale)
    context = {
        "document": loaded.document,
        "invoice": loaded.invoice,
        "owing": owing.get(invoice_id),
        "zone": loaded.account.time_zone,
        "flash": translate(language, notice) if notice else None,
        **_chrome(visit, loaded.account),
    }
    return templates.TemplateResponse(
        request, "portal/invoices_review.html", context, headers=NO_STORE
    )


def _customer_invoice(app: Container, visit: Visit, invoice_id: str, request: Request) -> Loaded:
    """The customer's invoice, its labels in the language the customer chose, else the
    account's (the same rule as every portal page)."""
    return load_invoice(
        app.uow(),
        visit.organization_id,
        invoice_id,
        account_id=visit.account_id,
        drafts=False,
        language=language_of(request.cookies.get(COOKIE)),
    )
