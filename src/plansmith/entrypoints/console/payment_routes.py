"""The console's payment screens: every payment of the organization (filtered by status and
kind, "more" by cursor), the failed payments (invoices in dunning) with "Retry now", a refund
of a paid invoice, removing a customer's card, a customer's collection method, and the
dunning policy in Settings.

What cannot be undone (retry now, a refund, removing a card) goes through a confirmation page
first: the first POST only shows what will happen; the confirmation's own POST
(``confirmed=yes``, CSRF-checked like every form) does it, and carries what the page showed
(``expect``): when the figures changed in between, it is refused (409) with the new figures and
nothing done. A refusal is shown next to its field, nothing changed. The customer page's
payments section and the invoice page's payments are rendered by routes.py and
billing_routes.py with the queries of application/screens/console_payments.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.invoicing.invoices import shown
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.pagination import decode_cursor, encode_cursor
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.methods import cards, remove_card
from plansmith.application.payments.queries import dunning_policy
from plansmith.application.payments.refunds import refund_invoice
from plansmith.application.payments.settings import set_collection_method, set_dunning_policy
from plansmith.application.screens.console_payments import (
    DunnedInvoice,
    InvoicePayments,
    customer_payments,
    dunned_invoice,
    dunned_invoices,
    invoice_payments,
    payments_page,
)
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.payments.dunning import MAX_STAGES, DunningPolicy, policy_to_dict
from plansmith.domain.payments.payments import PaymentKind, PaymentStatus
from plansmith.entrypoints.console.billing_routes import (
    CHANGED,
    CONFIRMED,
    NO_STORE,
    invoice_page_with,
    state_word,
)
from plansmith.entrypoints.console.catalog_views import bdi
from plansmith.entrypoints.console.payment_words import (
    AFTER_LAST,
    COLLECTION_METHODS,
    GLOBALS,
    INVOICE_AFTER_LAST,
    SPACINGS,
    STAGE_ACTIONS,
    choices,
)
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.formats import money
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.messages import refusal
from plansmith.entrypoints.webui.templating import make_templates

PAGE_SIZE = 25
STATUSES = tuple(s.value for s in PaymentStatus)
KINDS = tuple(k.value for k in PaymentKind)
POLICY_SAVED = N_("Saved: invoices that fail from now on follow this policy.")

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


# -- the dunning policy ---------------------------------------------------------------------


STAGE_ROWS_FREE = 2  # empty stage rows the form offers beyond those set
_STAGE_FIELD = re.compile(r"^stages\[([0-9]+)\]\.(after_days|action)$")
_RETRY_FIELD = re.compile(r"^retry_days(\[[0-9]+\])?$")


def _policy_form(policy: DunningPolicy) -> dict[str, object]:
    data = policy_to_dict(policy)
    return {
        "retry_days": ", ".join(str(d) for d in data["retry_days"]),
        "spacing": data["spacing"],
        "stages": [(str(s["after_days"]), s["action"]) for s in data["stages"]],
        "after_last": data["after_last"],
        "invoice_after_last": data["invoice_after_last"],
    }


def _dunning_page(
    request: Request,
    operator: Operator,
    form: dict[str, object],
    *,
    errors: dict[str, object] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    language = request_language(request)
    stages = list(form["stages"])  # type: ignore[call-overload]
    rows = min(MAX_STAGES, max(len(stages) + STAGE_ROWS_FREE, STAGE_ROWS_FREE))
    stages += [("", "")] * (rows - len(stages))
    context = {
        "form": {**form, "stages": stages},
        "errors": errors or {},
        "saved": translate(language, POLICY_SAVED) if saved else None,
        "spacings": choices(SPACINGS, language),
        "actions": choices(STAGE_ACTIONS, language),
        "after_last_choices": choices(AFTER_LAST, language),
        "invoice_after_last_choices": choices(INVOICE_AFTER_LAST, language),
        **_chrome(operator, "settings"),
    }
    return templates.TemplateResponse(
        request, "console/dunning.html", context, status_code=status, headers=NO_STORE
    )


@router.get("/settings/dunning")
def dunning_page(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    policy = dunning_policy(app.uow(), operator.organization_id)
    return _dunning_page(request, operator, _policy_form(policy), saved=done == "saved")


def _number(text: str) -> object:
    """A whole number as typed ("3", "-1"); anything else as typed, for the rule to name."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else text


def _policy_errors(error: DomainError, rows: list[int]) -> dict[str, object]:
    """Each refusal under the form's own field: ``retry_days``, ``stage_days-<row>``,
    ``stage_action-<row>``, ``spacing``... (``rows``: the form row of each stage sent)."""
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    found: dict[str, object] = {}
    for part in parts:
        name = part.field or "retry_days"
        stage = _STAGE_FIELD.match(name)
        if stage is not None:
            index = int(stage.group(1))
            row = rows[index] if index < len(rows) else index
            name = f"stage_{'days' if stage.group(2) == 'after_days' else 'action'}-{row}"
        elif _RETRY_FIELD.match(name):
            name = "retry_days"
        found.setdefault(name, refusal(part))
    return found


@router.post("/settings/dunning")
def save_dunning(
    request: Request,
    operator: FormOperator,
    app: Container,
    retry_days: Annotated[str, Form()] = "",
    spacing: Annotated[str, Form()] = "",
    stage_days: Annotated[list[str] | None, Form()] = None,
    stage_action: Annotated[list[str] | None, Form()] = None,
    after_last: Annotated[str, Form()] = "",
    invoice_after_last: Annotated[str, Form()] = "",
) -> Response:
    days_in, actions_in = list(stage_days or []), list(stage_action or [])
    width = max(len(days_in), len(actions_in))
    days_in += [""] * (width - len(days_in))
    actions_in += [""] * (width - len(actions_in))
    rows = [i for i in range(width) if days_in[i].strip() or actions_in[i].strip()]
    data = {
        "retry_days": [_number(d) for d in re.split(r"[\s,]+", retry_days.strip()) if d],
        "spacing": spacing,
        "stages": [
            {
                "after_days": _number(days_in[i]) if days_in[i].strip() else None,
                "action": actions_in[i] or None,
            }
            for i in rows
        ],
        "after_last": after_last,
        "invoice_after_last": invoice_after_last,
    }
    try:
        set_dunning_policy(app.uow(), app.clock, operator.organization_id, data)
    except DomainError as error:
        if error.status != 422:
            raise
        form: dict[str, object] = {
            "retry_days": retry_days,
            "spacing": spacing,
            "stages": [(days_in[i], actions_in[i]) for i in range(width)],
            "after_last": after_last,
            "invoice_after_last": invoice_after_last,
        }
        return _dunning_page(
            request, operator, form, errors=_policy_errors(error, rows), status=422
        )
    return RedirectResponse(f"{PREFIX}/settings/dunning?done=saved", status_code=303)
