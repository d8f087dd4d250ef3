"""The portal's "Pay now" of an open invoice (seed 002 9.10.2: "select the appropriate payment
method … presses the payment button"): choose a card or the balance, review what each pays,
pay. The review carries what the invoice owed (``expect``); when that changed, the pay is
refused (409) and nothing is charged. Rendered with payments_routes.py's templates and chrome.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.screens.portal_payments import PaymentsScreen
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.payments import IN_FLIGHT, PaymentStatus
from plansmith.entrypoints.portal import payments_views as v
from plansmith.entrypoints.portal.payments_routes import _chrome, _gateway, _render, _screen, _see
from plansmith.entrypoints.portal.routes import PREFIX, CurrentVisit, FormVisit, Visit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.i18n import N_, request_language, translate

MOVED = N_("What the invoice owes changed since you reviewed it; check the amount again.")
NO_BALANCE = N_("Your balance no longer covers this invoice; choose a card.")

router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


def _payable(screen: PaymentsScreen, invoice_id: str) -> None:
    if invoice_id in screen.invoices and invoice_id not in screen.owing:
        status = screen.invoices[invoice_id].status.value
        raise Conflict(
            f"a {status} invoice owes nothing; there is nothing to pay",
            field="invoice_id",
            code=ec.NOT_PAYABLE,
        )
    screen.payable(invoice_id)


@router.get("/invoices/{invoice_id}/pay")
def pay_page(request: Request, invoice_id: str, visit: CurrentVisit, app: Container) -> Response:
    return _pay_page(request, app, visit, invoice_id)


def _pay_page(
    request: Request,
    app: Container,
    visit: Visit,
    invoice_id: str,
    *,
    error: object = None,
    status: int = 200,
) -> Response:
    screen = _screen(app, visit)
    if invoice_id not in screen.invoices:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    context = {
        **_chrome(request, visit, screen, "invoices"),
        "invoice": screen.invoices[invoice_id],
        "owing": screen.owing.get(invoice_id),  # None: paid or void, nothing to pay
        "error": error,
    }
    return _render(request, "invoice_pay.html", context, status)


def _method_of(screen: PaymentsScreen, invoice_id: str, method: str) -> str | None:
    """The card chosen (its id), or None for the balance; NotFound for another's card."""
    if method == "balance":
        if screen.balance < screen.owing[invoice_id].invoice.totals.amount_due:
            raise Conflict(NO_BALANCE, field="payment_method_id", code=ec.NO_PAYMENT_METHOD)
        return None
    return screen.card(method).id


@router.post("/invoices/{invoice_id}/pay/review")
def pay_review(
    request: Request,
    invoice_id: str,
    visit: FormVisit,
    app: Container,
    method: Annotated[str, Form()] = "",
) -> Response:
    screen = _screen(app, visit)
    _payable(screen, invoice_id)
    language = request_language(request, screen.account.locale)
    try:
        card_id = _method_of(screen, invoice_id, method)
    except Conflict:
        return _pay_page(
            request, app, visit, invoice_id, error=translate(language, NO_BALANCE), status=409
        )
    owing = screen.owing[invoice_id]
    due = owing.invoice.totals.amount_due
    from_balance = min(screen.balance, due)
    context = {
        **_chrome(request, visit, screen, "invoices"),
        "owing": owing,
        "method": method,
        "card": screen.card(card_id) if card_id else None,
        "from_balance": from_balance,
        "to_card": due - from_balance,
        "expect": due,
    }
    return _render(request, "invoice_pay_review.html", context)


@router.post("/invoices/{invoice_id}/pay")
def pay_confirm(
    request: Request,
    invoice_id: str,
    visit: FormVisit,
    app: Container,
    method: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    org = visit.organization_id
    screen = _screen(app, visit)
    _payable(screen, invoice_id)
    language = request_language(request, screen.account.locale)
    if expect != str(screen.owing[invoice_id].invoice.totals.amount_due):
        return _pay_page(
            request, app, visit, invoice_id, error=translate(language, MOVED), status=409
        )
    try:
        card_id = _method_of(screen, invoice_id, method)
    except Conflict:
        return _pay_page(
            request, app, visit, invoice_id, error=translate(language, NO_BALANCE), status=409
        )
    try:
        collected = collect_invoice(
            app.uow(),
            _gateway(app, org),
            organization_clock(app, org),
            org,
            invoice_id,
            method_id=card_id,
            by_customer=True,
        )
    except (Conflict, NotFound) as error:
        if error.status != 409:
            raise
        return _pay_page(request, app, visit, invoice_id, error=error, status=409)
    payment = collected.payment
    if payment is not None and payment.status is PaymentStatus.FAILED:
        reason = v.decline_reason(payment, language)
        return _pay_page(request, app, visit, invoice_id, error=reason, status=402)
    done = "processing" if payment is not None and payment.status in IN_FLIGHT else "paid"
    return _see(f"/invoices/{invoice_id}", done)
