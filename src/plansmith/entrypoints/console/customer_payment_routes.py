"""The console's pages for a customer's payments: the customer's payments page, removing a card
(through a confirmation page first, like every action of payment_routes.py that cannot be
undone) and the customer's collection method. Rendered with payment_routes.py's templates.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.kernel.errors import NotFound
from plansmith.application.payments.methods import cards, remove_card
from plansmith.application.payments.settings import set_collection_method
from plansmith.application.screens.console_payments import customer_payments
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.console.billing_routes import CONFIRMED, NO_STORE
from plansmith.entrypoints.console.dunning_routes import _number
from plansmith.entrypoints.console.payment_routes import templates
from plansmith.entrypoints.console.payment_words import COLLECTION_METHODS, choices
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.messages import refusal

router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


# -- a customer's payments, cards and collection method ------------------------------------------

CUSTOMER_DONE = {
    "card_removed": N_("The card was removed."),
    "collection_saved": N_("Saved: the customer's invoices are collected this way from now on."),
}


def _customer_payments_page(
    request: Request,
    app: Container,
    operator: Operator,
    account_id: str,
    *,
    flash: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    language = request_language(request)
    pay = customer_payments(app.uow(), operator.organization_id, account_id)
    shown_method = {"method": pay.collection_method, "net_days": str(pay.net_days)}
    context = {
        "account": pay.account,
        "pay": pay,
        "flash": flash,
        "collection_form": form or shown_method,
        "collection_errors": errors or {},
        "collection_methods": choices(COLLECTION_METHODS, language),
        **_chrome(operator, "customers"),
    }
    return templates.TemplateResponse(
        request, "console/customer_payments.html", context, status_code=status, headers=NO_STORE
    )


@router.get("/customers/{account_id}/payments")
def customer_payments_page(
    request: Request, account_id: str, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    message = CUSTOMER_DONE.get(done)
    flash = translate(request_language(request), message) if message is not None else None
    return _customer_payments_page(request, app, operator, account_id, flash=flash)


@router.post("/customers/{account_id}/cards/remove")
def remove(
    request: Request,
    account_id: str,
    operator: FormOperator,
    app: Container,
    method_id: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    org = operator.organization_id
    held = list(cards(app.uow(), org, account_id))
    card = next((c for c in held if c.id == method_id), None)
    if card is None:
        raise NotFound(f"no payment method {method_id!r} on this account", field="method_id")
    if confirmed != CONFIRMED:
        with app.uow() as uow:
            account = uow.accounts.get(org, account_id)
        rest = [c for c in held if c.id != card.id]
        context = {
            "account": account,
            "card": card,
            "next_default": rest[0] if card.is_default and rest else None,
            "last": not rest,
            "confirmed": CONFIRMED,
            **_chrome(operator, "customers"),
        }
        return templates.TemplateResponse(
            request, "console/card_remove_confirm.html", context, headers=NO_STORE
        )
    remove_card(app.uow(), app.gateway_for(org), app.clock, org, account_id, card.id)
    return RedirectResponse(
        f"{PREFIX}/customers/{account_id}/payments?done=card_removed", status_code=303
    )


@router.post("/customers/{account_id}/collection")
def collection_method(
    request: Request,
    account_id: str,
    operator: FormOperator,
    app: Container,
    method: Annotated[str, Form()] = "",
    net_days: Annotated[str, Form()] = "",
) -> Response:
    form = {"method": method, "net_days": net_days}
    days = _number(net_days) if net_days.strip() else 0
    try:
        set_collection_method(
            app.uow(), app.clock, operator.organization_id, account_id, method, days
        )
    except DomainError as error:
        if error.status != 422:
            raise
        return _customer_payments_page(
            request,
            app,
            operator,
            account_id,
            form=form,
            errors={error.field or "method": refusal(error)},
            status=422,
        )
    return RedirectResponse(
        f"{PREFIX}/customers/{account_id}/payments?done=collection_saved", status_code=303
    )
