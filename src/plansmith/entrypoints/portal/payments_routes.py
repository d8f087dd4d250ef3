"""The portal's payment screens: Payment methods (seed 004 §5: cards, add one, make one the
default, remove one after a confirmation), Balance and top-up (seed 002 9.10.1), Payment
history (9.10.3). An open invoice's "Pay now" is in pay_routes.py.

Handlers stay thin like routes.py's: parse the form, call one use case of
``application.payments``, render one screen read by ``application.screens.portal_payments``.
A card is typed into this form only with the sandbox gateway, which tokenizes it; its number
and CVC live in this request only: never stored, logged or written back into a page. A decline
changes nothing but the history, which records the failed attempt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments.methods import add_card, make_default, remove_card
from plansmith.application.payments.ports import CardDetails, PaymentGateway
from plansmith.application.payments.top_ups import top_up
from plansmith.application.screens.portal_payments import PaymentsScreen, payments_screen
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.payments.payments import IN_FLIGHT, Payment, PaymentStatus
from plansmith.entrypoints.portal import payments_views as v
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit, FormVisit, Visit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.sessions import CSRF_FIELD
from plansmith.entrypoints.webui.templating import make_templates

SANDBOX = "sandbox"
FLASHES = {
    "card_added": N_("The card was added."),
    "default_changed": N_("Payments now use the card you chose."),
    "card_removed": N_("The card was removed."),
    "topped_up": N_("Your balance was topped up."),
    "processing": N_("Your payment is being confirmed; this page shows its outcome soon."),
    "paid": N_("The invoice is paid."),
}

templates = make_templates(Path(__file__).with_name("templates"))
templates.env.globals.update(
    card_label=v.card_label,
    movement_words=v.MOVEMENTS,
    kind_words=v.KINDS,
    status_words=v.STATUSES,
)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


def card_gateway(app: Container, organization_id: str) -> PaymentGateway | None:
    """The gateway when cards are typed into plansmith's own form (the sandbox's); None with
    a gateway whose cards are typed into its own page (Stripe.js)."""
    try:
        gateway = app.gateway_for(organization_id)
    except (RuntimeError, ImportError):
        return None
    return gateway if gateway.name == SANDBOX else None


def _gateway(app: Container, organization_id: str) -> PaymentGateway:
    try:
        return app.gateway_for(organization_id)
    except (RuntimeError, ImportError) as error:
        raise Conflict(
            "payments are not set up for this organization",
            field="payment_method_id",
            code=ec.NO_PAYMENT_METHOD,
        ) from error


def _chrome(
    request: Request, visit: Visit, screen: PaymentsScreen, nav: str, done: str = ""
) -> dict[str, object]:
    account = screen.account
    language = request_language(request, account.locale)
    notice = FLASHES.get(done)
    return {
        "account": account,
        "locale": account.locale,
        "zone": account.time_zone,
        "screen": screen,
        "flash": translate(language, notice) if notice else None,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": nav,
    }


def _screen(app: Container, visit: Visit) -> PaymentsScreen:
    return payments_screen(app.uow(), visit.organization_id, visit.account_id)


def _render(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, f"portal/{name}", context, status_code=status, headers=NO_STORE
    )


def _see(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}?done={done}", status_code=303)


# -- payment methods ----------------------------------------------------------------------


@router.get("/payment-methods")
def methods_page(request: Request, visit: CurrentVisit, app: Container, done: str = "") -> Response:
    return _methods_page(request, app, visit, done=done)


def _methods_page(
    request: Request,
    app: Container,
    visit: Visit,
    *,
    done: str = "",
    form: v.CardForm | None = None,
    status: int = 200,
) -> Response:
    screen = _screen(app, visit)
    context = {
        **_chrome(request, visit, screen, "methods", done),
        "form": form or v.CardForm(),
        "typed_cards": card_gateway(app, visit.organization_id) is not None,
    }
    return _render(request, "payment_methods.html", context, status)


@router.post("/payment-methods")
def add_card_route(
    request: Request,
    visit: FormVisit,
    app: Container,
    number: Annotated[str, Form()] = "",
    exp_month: Annotated[str, Form()] = "",
    exp_year: Annotated[str, Form()] = "",
    cvc: Annotated[str, Form()] = "",
    make_default_card: Annotated[str, Form(alias="make_default")] = "",
) -> Response:
    org = visit.organization_id
    gateway = card_gateway(app, org)
    if gateway is None:
        raise Conflict(
            "cards are added on the payment gateway's own form here",
            field="number",
            code=ec.CONFLICT,
        )
    try:
        month, year = v.parse_expiry(exp_month, exp_year)
        card = CardDetails(number=number, exp_month=month, exp_year=year, cvc=cvc.strip())
        add_card(
            app.uow(),
            gateway,
            organization_clock(app, org),
            org,
            visit.account_id,
            card=card,
            make_default=bool(make_default_card),
        )
    except DomainError as error:
        if error.status != 422:
            raise
        form = v.CardForm(exp_month.strip(), exp_year.strip(), v.errors_of(error))
        return _methods_page(request, app, visit, form=form, status=422)
    return _see("/payment-methods", "card_added")


@router.post("/payment-methods/{method_id}/default")
def make_default_route(method_id: str, visit: FormVisit, app: Container) -> Response:
    """The card becomes the default; invoices being dunned are retried with it at once."""
    org = visit.organization_id
    make_default(
        app.uow(),
        _gateway(app, org),
        organization_clock(app, org),
        org,
        visit.account_id,
        method_id,
    )
    return _see("/payment-methods", "default_changed")


@router.post("/payment-methods/{method_id}/remove")
def remove_route(
    request: Request,
    method_id: str,
    visit: FormVisit,
    app: Container,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """The first post asks "Remove this card?"; the second one, with ``confirm``, removes it."""
    screen = _screen(app, visit)
    card = screen.card(method_id)
    if confirm != "yes":
        context = {**_chrome(request, visit, screen, "methods"), "card": card}
        return _render(request, "payment_method_remove.html", context)
    org = visit.organization_id
    remove_card(
        app.uow(),
        _gateway(app, org),
        organization_clock(app, org),
        org,
        visit.account_id,
        card.id,
    )
    return _see("/payment-methods", "card_removed")


# -- balance and top-up -------------------------------------------------------------------


@router.get("/balance")
def balance_page(request: Request, visit: CurrentVisit, app: Container, done: str = "") -> Response:
    return _balance_page(request, app, visit, done=done)


def _balance_page(
    request: Request,
    app: Container,
    visit: Visit,
    *,
    done: str = "",
    form: v.TopUpForm | None = None,
    status: int = 200,
) -> Response:
    screen = _screen(app, visit)
    context = {**_chrome(request, visit, screen, "balance", done), "form": form or v.TopUpForm()}
    return _render(request, "balance.html", context, status)


@router.post("/balance/top-up")
def top_up_route(
    request: Request,
    visit: FormVisit,
    app: Container,
    amount: Annotated[str, Form()] = "",
    payment_method_id: Annotated[str, Form()] = "",
) -> Response:
    org, account_id = visit.organization_id, visit.account_id
    screen = _screen(app, visit)
    typed = v.TopUpForm(amount.strip(), payment_method_id)
    try:
        minor = v.parse_amount(amount, screen.currency)
        payment = top_up(
            app.uow(),
            _gateway(app, org),
            organization_clock(app, org),
            org,
            account_id,
            minor,
            screen.currency,
            method_id=payment_method_id or None,
        )
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        form = v.TopUpForm(typed.amount, typed.method_id, v.errors_of(error))
        return _balance_page(request, app, visit, form=form, status=error.status)
    return _answered(request, app, visit, payment, typed)


def _answered(
    request: Request, app: Container, visit: Visit, payment: Payment, typed: v.TopUpForm
) -> Response:
    if payment.status is PaymentStatus.SUCCEEDED:
        return _see("/balance", "topped_up")
    if payment.status in IN_FLIGHT:
        return _see("/balance", "processing")
    screen = _screen(app, visit)
    language = request_language(request, screen.account.locale)
    form = v.TopUpForm(typed.amount, typed.method_id, declined=v.decline_reason(payment, language))
    return _balance_page(request, app, visit, form=form, status=402)


# -- payment history ----------------------------------------------------------------------


@router.get("/payments")
def history_page(request: Request, visit: CurrentVisit, app: Container) -> Response:
    screen = _screen(app, visit)
    language = request_language(request, screen.account.locale)
    reasons = {
        p.id: v.decline_reason(p, language)
        for p in screen.payments.payments
        if p.status is PaymentStatus.FAILED
    }
    context = {**_chrome(request, visit, screen, "history"), "reasons": reasons}
    return _render(request, "payment_history.html", context)
