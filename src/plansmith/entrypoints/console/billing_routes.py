"""The console's billing screens: invoices (filtered by status), one invoice (the document the
customer reviews, with Finalize, Void and Mark paid), and the billing runs with their counts
and errors, with Run now.

Handlers stay thin: each button calls one use case; a refusal (a paid invoice cannot be voided,
one finalized already cannot be finalized) shows the page again with the reason and the use
case's status (409), having changed nothing. Void and Mark paid cannot be undone: their first
POST only shows a confirmation with the invoice's number, amount and the date; the
confirmation's own POST (``confirmed=yes``, CSRF-checked like every form) does it. An invoice
state has one name (webui/words.py). Sessions, CSRF and error pages are routes.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import run_billing
from plansmith.application.invoicing.invoices import (
    finalize_invoice,
    mark_paid,
    mark_uncollectible,
    shown,
    void_invoice,
)
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.console_payments import invoice_payments
from plansmith.domain.invoicing.invoice import (
    INVOICE_TRANSITIONS,
    Invoice,
    InvoiceStatus,
    check_invoice_transition,
)
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.console.catalog_views import bdi
from plansmith.entrypoints.console.payment_words import GLOBALS
from plansmith.entrypoints.console.routes import (
    PAGE_SIZE,
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.formats import locale_for, money
from plansmith.entrypoints.webui.i18n import (
    N_,
    page_language,
    request_language,
    translate,
    translate_plural,
)
from plansmith.entrypoints.webui.invoice_document import Formats
from plansmith.entrypoints.webui.invoice_loading import (
    load_invoice,
    organization_invoices,
    recent_runs,
)
from plansmith.entrypoints.webui.messages import explain
from plansmith.entrypoints.webui.templating import make_templates
from plansmith.entrypoints.webui.words import invoice_state

NO_STORE = {"Cache-Control": "no-store"}
RUNS_SHOWN = 50
STATUSES = tuple(status.value for status in InvoiceStatus)
Action = Callable[[UnitOfWork, Clock, str, str], Invoice]
# A confirmed action: also given what the confirmation page showed (invoices.shown).
Checked = Callable[[UnitOfWork, Clock, str, str, str], Invoice]
CHANGED = N_(
    "This changed since it was shown: nothing was done. Check what it is now and confirm again."
)


@dataclass(frozen=True)
class Button:
    """One invoice action: the use case, the label, the state it leads to and what it says."""

    path: str
    label: str
    to: InvoiceStatus
    run: Action
    done: str
    style: str = ""
    checked: Checked | None = None  # cannot be undone: a confirmation step first

    @property
    def confirm(self) -> bool:
        return self.checked is not None


BUTTONS = (
    Button(
        "finalize",
        N_("Finalize"),
        InvoiceStatus.OPEN,
        finalize_invoice,
        N_("Finalized: the invoice is numbered and posted to the ledger."),
    ),
    Button(
        "mark-paid",
        N_("Mark paid…"),
        InvoiceStatus.PAID,
        mark_paid,
        N_("Marked paid: the payment is recorded in the ledger."),
        "secondary",
        checked=lambda uow, clock, org, invoice, expect: mark_paid(
            uow, clock, org, invoice, expect=expect
        ),
    ),
    Button(
        "mark-uncollectible",
        N_("Mark uncollectible"),
        InvoiceStatus.UNCOLLECTIBLE,
        mark_uncollectible,
        N_("Marked uncollectible: it is still owed and can still be paid or voided."),
        "secondary",
    ),
    Button(
        "void",
        N_("Void…"),
        InvoiceStatus.VOID,
        void_invoice,
        N_("Voided: nothing is owed on this invoice any more."),
        "danger",
        checked=lambda uow, clock, org, invoice, expect: void_invoice(
            uow, clock, org, invoice, expect=expect
        ),
    ),
)
BY_PATH = {button.path: button for button in BUTTONS}
# What an action of payment_routes just did to the invoice (?done=), said in words.
INVOICE_DONE = {"refunded": N_("Refund recorded: it is listed under Payments below.")}
CONFIRMED = "yes"
# The status filter's tabs: an uncollectible invoice is "Unpaid" like an open one (one name per
# state people read), so its tab says what sets it apart.
TABS = {status: N_("Written off") for status in (InvoiceStatus.UNCOLLECTIBLE.value,)}


@pass_context
def state_word(context: Context, status: InvoiceStatus | str) -> str:
    """The one name of an invoice state, in the page's language."""
    return invoice_state(status, page_language(context))


@pass_context
def tab_word(context: Context, status: str) -> str:
    language = page_language(context)
    return translate(language, TABS[status]) if status in TABS else invoice_state(status, language)


templates = make_templates(Path(__file__).with_name("templates"))
templates.env.globals.update(state_word=state_word, tab_word=tab_word, **GLOBALS)
templates.env.filters.update(bdi=bdi)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


# -- invoices -----------------------------------------------------------------------------


@router.get("/invoices")
def invoices(
    request: Request, operator: CurrentOperator, app: Container, status: str = "", cursor: str = ""
) -> Response:
    if status and status not in STATUSES:
        raise InvalidValue(
            f"{status!r} is not an invoice status; use one of {', '.join(STATUSES)}",
            field="status",
        )
    page = organization_invoices(
        app.uow(),
        operator.organization_id,
        status=status or None,
        after=decode_cursor(cursor or None),
        limit=PAGE_SIZE,
    )
    language = request_language(request)
    rows = [
        {
            "invoice": invoice,
            "account": account,
            "total": money(invoice.totals.total, invoice.currency, language),
            "period": Formats(invoice.currency, locale_for(language), account.time_zone).period(
                invoice.period_start, invoice.period_end
            ),
        }
        for invoice, account in page.rows
    ]
    next_cursor = encode_cursor(*page.next_after) if page.next_after else None
    context = {
        "rows": rows,
        "status": status,
        "statuses": STATUSES,
        "next_cursor": next_cursor,
        **_chrome(operator, "invoices"),
    }
    return templates.TemplateResponse(request, "console/invoices.html", context, headers=NO_STORE)


@router.get("/invoices/{invoice_id}.pdf")
def invoice_pdf(invoice_id: str, operator: CurrentOperator, app: Container) -> Response:
    # fpdf2, fontTools and Pillow are a quarter of the start-up: only a download needs them.
    from plansmith.entrypoints.webui.invoice_pdf import render_pdf

    document = load_invoice(app.uow(), operator.organization_id, invoice_id).document
    headers = {"Content-Disposition": f'attachment; filename="{document.file_name}"', **NO_STORE}
    return Response(render_pdf(document), media_type="application/pdf", headers=headers)


@router.get("/invoices/{invoice_id}")
def invoice_page(
    request: Request, invoice_id: str, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    message = BY_PATH[done].done if done in BY_PATH else INVOICE_DONE.get(done)
    flash = translate(request_language(request), message) if message is not None else None
    return _invoice_page(request, app, operator, invoice_id, flash=flash)


@router.post("/invoices/{invoice_id}/{action}")
def invoice_action(
    request: Request,
    invoice_id: str,
    action: str,
    operator: FormOperator,
    app: Container,
    confirmed: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """Void and Mark paid: the first POST shows the confirmation; its Confirm carries what it
    showed (``expect``), and is refused (409, the confirmation with the new figures) when the
    invoice is no longer so."""
    button = BY_PATH.get(action)
    if button is None:
        raise NotFound(f"no invoice action {action!r}", field="action")
    org = operator.organization_id
    clock = organization_clock(app, org)
    if button.checked is not None and confirmed != CONFIRMED:
        return _confirm_page(request, app, operator, invoice_id, button, clock.now())
    try:
        if button.checked is not None:
            button.checked(app.uow(), clock, org, invoice_id, expect)
        else:
            button.run(app.uow(), clock, org, invoice_id)
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        if error.field == "expect" and button.checked is not None:
            now = clock.now()
            return _confirm_page(request, app, operator, invoice_id, button, now, changed=True)
        return _invoice_page(request, app, operator, invoice_id, error=error)
    return RedirectResponse(f"{PREFIX}/invoices/{invoice_id}?done={button.path}", status_code=303)


def _confirm_page(
    request: Request,
    app: Container,
    operator: Operator,
    invoice_id: str,
    button: Button,
    now: datetime,
    *,
    changed: bool = False,
) -> Response:
    """What Void or Mark paid would do to this invoice, and when; nothing is done yet. An
    invoice that no longer allows it says so (409) instead, as the action itself would.
    ``changed``: a confirmation refused because the invoice changed since it was shown (409)."""
    loaded = load_invoice(app.uow(), operator.organization_id, invoice_id)
    invoice = loaded.invoice
    try:
        check_invoice_transition(invoice.status, button.to)
    except DomainError as error:
        return _invoice_page(request, app, operator, invoice_id, error=error)
    language = request_language(request)
    context = {
        "invoice": invoice,
        "account": loaded.account,
        "action": button.path,
        "total": money(invoice.totals.total, invoice.currency, language),
        "due": money(invoice.totals.amount_due, invoice.currency, language),
        "credit": money(invoice.totals.credit_applied, invoice.currency, language),
        "now": now,
        "confirmed": CONFIRMED,
        "expect": shown(invoice),
        "changed": translate(request_language(request), CHANGED) if changed else None,
        **_chrome(operator, "invoices"),
    }
    return templates.TemplateResponse(
        request,
        "console/invoice_confirm.html",
        context,
        status_code=409 if changed else 200,
        headers=NO_STORE,
    )


def _invoice_page(
    request: Request,
    app: Container,
    operator: Operator,
    invoice_id: str,
    *,
    flash: str | None = None,
    error: DomainError | None = None,
    status: int | None = None,
    refund_form: dict[str, str] | None = None,
    refund_errors: dict[str, object] | None = None,
) -> Response:
    # The page in the console's language; its PDF is the customer's, in the account's.
    language = request_language(request)
    loaded = load_invoice(app.uow(), operator.organization_id, invoice_id, language=language)
    allowed = INVOICE_TRANSITIONS[loaded.invoice.status]
    context = {
        "invoice": loaded.invoice,
        "account": loaded.account,
        "document": loaded.document,
        "buttons": [b for b in BUTTONS if b.to in allowed],
        "flash": flash,
        "error": explain(error, language) if error is not None else None,
        "paid": invoice_payments(
            app.uow(), operator.organization_id, invoice_id, invoice=loaded.invoice
        ),
        "refund_form": refund_form or {"amount": "", "reason": ""},
        "refund_errors": refund_errors or {},
        **_chrome(operator, "invoices"),
    }
    if status is None:
        status = error.status if error is not None else 200
    return templates.TemplateResponse(
        request, "console/invoice.html", context, status_code=status, headers=NO_STORE
    )


invoice_page_with = _invoice_page  # the invoice page with a refund's form and its refusals


# -- billing runs -------------------------------------------------------------------------


def errors_text(n: int, language: str) -> str:
    """One wording for a run's errors, in the table and in the summary: "No errors", "1 error"."""
    if n == 0:
        return translate(language, N_("No errors"))
    return translate_plural(language, "%(num)s error", "%(num)s errors", n) % {"num": f"{n:,}"}


def _summary(run: RunRecord, language: str) -> str:
    text = translate(
        language,
        N_(
            "Billing run finished: %(renewed)s renewed, %(invoiced)s invoiced, %(finalized)s "
            "finalized, %(skipped)s skipped. %(errors)s."
        ),
    )
    return text % {
        "renewed": f"{run.renewed:,}",
        "invoiced": f"{run.invoiced:,}",
        "finalized": f"{run.finalized:,}",
        "skipped": f"{run.skipped:,}",
        "errors": errors_text(len(run.errors), language),
    }


@pass_context
def run_errors(context: Context, n: int) -> str:
    return errors_text(n, page_language(context))


templates.env.globals.update(run_errors=run_errors)


@router.get("/billing-runs")
def billing_runs(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    runs = recent_runs(app.uow(), operator.organization_id, RUNS_SHOWN)
    finished = next((run for run in runs if run.id == done), None)
    context = {
        "runs": runs,
        "flash": _summary(finished, request_language(request)) if finished else None,
        "grace_minutes": app.settings.invoice_grace_minutes,
        **_chrome(operator, "billing-runs"),
    }
    return templates.TemplateResponse(
        request, "console/billing_runs.html", context, headers=NO_STORE
    )


@router.post("/billing-runs")
def run_now(operator: FormOperator, app: Container) -> Response:
    """Bill the organization as of now, like the scheduled run (same grace period)."""
    run = run_billing(
        app.uow(),
        organization_clock(app, operator.organization_id),
        operator.organization_id,
        grace=app.invoice_grace,
        watch=app.watch,
    )
    return RedirectResponse(f"{PREFIX}/billing-runs?done={run.id}", status_code=303)
