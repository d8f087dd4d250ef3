"""The console's payment screens: every payment of the organization (filtered by status and
kind, "more" by cursor), the failed payments (invoices in dunning) with "Retry now", and a
refund of a paid invoice. A customer's payments page, removing a card and the collection method
are in customer_payment_routes.py; the dunning policy in Settings is in dunning_routes.py (both
render with this module's templates).

What cannot be undone (retry now, a refund, removing a card) goes through a confirmation page
first: the first POST only shows what will happen; the confirmation's own POST
(``confirmed=yes``, CSRF-checked like every form) does it, and carries what the page showed
(``expect``): when the figures changed in between, it is refused (409) with the new figures and
nothing done. A refusal is shown next to its field, nothing changed. The customer page's
payments section and the invoice page's payments are rendered by routes.py and
billing_routes.py with the queries of application/screens/console_payments.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.invoicing.invoices import shown
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.pagination import decode_cursor, encode_cursor
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.methods import cards
from plansmith.application.payments.refunds import refund_invoice
from plansmith.application.screens.console_payments import (
    DunnedInvoice,
    InvoicePayments,
    dunned_invoice,
    dunned_invoices,
    invoice_payments,
    payments_page,
)
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.payments.payments import PaymentKind, PaymentStatus
from plansmith.entrypoints.console.billing_routes import (
    CHANGED,
    CONFIRMED,
    NO_STORE,
    invoice_page_with,
    state_word,
)
from plansmith.entrypoints.console.catalog_views import bdi
from plansmith.entrypoints.console.payment_words import GLOBALS
from plansmith.entrypoints.console.routes import PREFIX, CurrentOperator, FormOperator, _chrome
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.formats import money
from plansmith.entrypoints.webui.i18n import request_language, translate
from plansmith.entrypoints.webui.messages import refusal
from plansmith.entrypoints.webui.templating import make_templates

PAGE_SIZE = 25
STATUSES = tuple(s.value for s in PaymentStatus)
KINDS = tuple(k.value for k in PaymentKind)

templates = make_templates(Path(__file__).with_name("templates"))
templates.env.globals.update(GLOBALS, state_word=state_word)
templates.env.filters.update(bdi=bdi)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


# -- payments -------------------------------------------------------------------------------


@router.get("/payments")
def payments(
    request: Request,
    operator: CurrentOperator,
    app: Container,
    status: str = "",
    kind: str = "",
    cursor: str = "",
) -> Response:
    if status and status not in STATUSES:
        raise InvalidValue(
            f"{status!r} is not a payment status; use one of {', '.join(STATUSES)}",
            field="status",
        )
    if kind and kind not in KINDS:
        raise InvalidValue(
            f"{kind!r} is not a kind of payment; use one of {', '.join(KINDS)}", field="kind"
        )
    page = payments_page(
        app.uow(),
        operator.organization_id,
        status=status or None,
        kind=kind or None,
        before=decode_cursor(cursor or None),
        limit=PAGE_SIZE,
    )
    more = encode_cursor(*page.next_before) if page.next_before else None
    context = {
        "rows": page.rows,
        "status": status,
        "kind": kind,
        "statuses": STATUSES,
        "kinds": KINDS,
        "more": more,
        **_chrome(operator, "payments"),
    }
    return templates.TemplateResponse(request, "console/payments.html", context, headers=NO_STORE)


@router.get("/payments/failed")
def failed_payments(request: Request, operator: CurrentOperator, app: Container) -> Response:
    rows = dunned_invoices(app.uow(), operator.organization_id)
    context = {"rows": rows, **_chrome(operator, "payments")}
    return templates.TemplateResponse(
        request, "console/payments_failed.html", context, headers=NO_STORE
    )


def _retry_shown(row: DunnedInvoice) -> str:
    """What the retry's confirmation showed: the invoice's figures and its failures so far."""
    return f"{shown(row.invoice)}.{row.collection.failures}"


@router.post("/payments/failed/{invoice_id}/retry")
def retry_now(
    request: Request,
    invoice_id: str,
    operator: FormOperator,
    app: Container,
    confirmed: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """Retry now: the first POST shows what will be charged to which card; its Confirm
    charges (whatever the schedule) and shows the outcome."""
    org = operator.organization_id
    row = dunned_invoice(app.uow(), org, invoice_id)
    card = next(iter(cards(app.uow(), org, row.account.id)), None)
    context: dict[str, object] = {
        "row": row,
        "card": card,
        "confirmed": CONFIRMED,
        "expect": _retry_shown(row),
        **_chrome(operator, "payments"),
    }
    if confirmed != CONFIRMED or expect != _retry_shown(row):
        changed = confirmed == CONFIRMED
        context["changed"] = translate(request_language(request), CHANGED) if changed else None
        return templates.TemplateResponse(
            request,
            "console/retry_confirm.html",
            context,
            status_code=409 if changed else 200,
            headers=NO_STORE,
        )
    clock = organization_clock(app, org)
    collected = collect_invoice(app.uow(), app.gateway_for(org), clock, org, invoice_id, force=True)
    with app.uow() as uow:
        collection = uow.collections.get(invoice_id)
    context.update(collected=collected, collection=collection)
    return templates.TemplateResponse(request, "console/retry_done.html", context, headers=NO_STORE)


# -- refunds ----------------------------------------------------------------------------------


def _refund_shown(invoice: Invoice, found: InvoicePayments) -> str:
    return f"{shown(invoice)}.{found.refundable}.{found.card_paid}.{found.card_refunded}"


def _amount(text: str, invoice: Invoice, found: InvoicePayments) -> int:
    """The amount typed in major units, exactly in minor units; within what is refundable."""
    if not text.strip():
        raise InvalidValue("type the amount to refund", field="amount", code=ec.REQUIRED)
    amount = Money.from_major(text, Currency.of(invoice.currency), field="amount").amount
    if amount <= 0:
        raise InvalidValue("a refund is more than 0", field="amount")
    if amount > found.refundable:
        left = money(found.refundable, invoice.currency)
        raise InvalidValue(
            f"at most {left} of this invoice is left to refund",
            field="amount",
            code=ec.REFUND_TOO_LARGE,
        )
    return amount


@router.post("/invoices/{invoice_id}/refund")
def refund(
    request: Request,
    invoice_id: str,
    operator: FormOperator,
    app: Container,
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """A refund of a paid invoice: the amount and the reason are checked, then a confirmation
    says how much goes back to the card and how much to the balance; its Confirm refunds."""
    org = operator.organization_id
    with app.uow() as uow:
        invoice = uow.invoices.get_invoice(org, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    found = invoice_payments(app.uow(), org, invoice_id, invoice=invoice)
    if invoice.status is not InvoiceStatus.PAID:
        refused = Conflict(
            f"this invoice is {invoice.status}; only a paid invoice is refunded "
            "(credit an open one instead)",
            field="invoice_id",
            code=ec.NOT_REFUNDABLE,
        )
        return invoice_page_with(request, app, operator, invoice_id, error=refused)
    form = {"amount": amount, "reason": reason}
    errors: dict[str, object] = {}
    value = 0
    try:
        value = _amount(amount, invoice, found)
    except DomainError as error:
        errors["amount"] = refusal(error)
    if not reason.strip():
        errors["reason"] = refusal(
            InvalidValue("say why the invoice is refunded", field="reason", code=ec.REQUIRED)
        )
    if errors:
        return invoice_page_with(
            request, app, operator, invoice_id, status=422, refund_form=form, refund_errors=errors
        )
    digest = _refund_shown(invoice, found)
    if confirmed != CONFIRMED or expect != digest:
        changed = confirmed == CONFIRMED
        to_card, to_balance = found.split(value)
        context = {
            "invoice": invoice,
            "amount": value,
            "amount_text": amount.strip(),
            "reason": reason.strip(),
            "to_card": to_card,
            "to_balance": to_balance,
            "refundable": found.refundable,
            "confirmed": CONFIRMED,
            "expect": digest,
            "changed": translate(request_language(request), CHANGED) if changed else None,
            **_chrome(operator, "invoices"),
        }
        return templates.TemplateResponse(
            request,
            "console/refund_confirm.html",
            context,
            status_code=409 if changed else 200,
            headers=NO_STORE,
        )
    try:
        refund_invoice(
            app.uow(),
            app.gateway_for(org),
            organization_clock(app, org),
            org,
            invoice_id,
            value,
            reason,
        )
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        return invoice_page_with(
            request,
            app,
            operator,
            invoice_id,
            status=error.status,
            refund_form=form,
            refund_errors={error.field or "amount": refusal(error)},
        )
    return RedirectResponse(f"{PREFIX}/invoices/{invoice_id}?done=refunded", status_code=303)
