"""The console's actions on a customer's plan, from the customer page: change plan, cycle and
seats (form, review with the figures the portal shows, confirm), and cancel now or at the end
of the term, pause, resume and reactivate, each through a confirmation page that states what
is charged or credited and from when. The first click never does it; a confirmation whose
figures moved since they were shown does nothing and shows the new ones (409).

Handlers stay thin: parse the form, call one query of ``application.screens.console_plans``
(changes) or ``plan_stops`` (stops, the portal's too: one wording, ``_stop_words.html``), each
one unit of work, and render. Sessions, CSRF and error pages are routes.py's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.screens import console_plans as q
from plansmith.application.screens.plan_choices import Wish, fixable, readable
from plansmith.application.screens.plan_stops import Stop, review_stop
from plansmith.application.screens.portal_plans import ChangeScreen
from plansmith.application.subscriptions.lifecycle import OPERATOR
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
    _customer_page,
    templates,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.words import cycle_label, cycle_unit

NO_STORE = {"Cache-Control": "no-store"}
MOVED = N_(
    "The figures changed since they were shown (a day passed or the plan changed): nothing "
    "was done. Check the new figures and confirm again."
)
ACTIONS = {
    "cancel_now": N_("Cancel now"),
    "cancel_at_term_end": N_("Cancel at the end of the term"),
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "reactivate": N_("Reactivate"),
}
KINDS = {
    "credit": N_("Credit for unused time"),
    "charge": N_("Charge for remaining time"),
    "recurring": N_("Period in advance"),
    "accrual": N_("Days used"),
}
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)
BASE = "/customers/{account_id}/plans/{family_code}"


def _wish(plan: str, cycle: str, quantity: str, expect: str) -> Wish:
    return Wish(plan, cycle, quantity, expect)


def _words(request: Request) -> dict[str, object]:
    language = request_language(request)
    return {
        "ui_language": language,
        "cycle_name": lambda cycle: cycle_label(cycle, language),
        "cycle_unit_name": lambda cycle: cycle_unit(cycle, language),
        "kind_name": lambda kind: translate(language, KINDS[kind]) if kind in KINDS else kind,
        "action_name": lambda action: translate(language, ACTIONS[action]),
    }


def _back(account_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/customers/{account_id}?done={done}", status_code=303)


# -- change plan, review, confirm ---------------------------------------------------------


@router.get(f"{BASE}/change")
def change_form(
    request: Request, account_id: str, family_code: str, operator: CurrentOperator, app: Container
) -> Response:
    org = operator.organization_id
    shown = q.change_screen(app.uow(), app.clock, org, account_id, family_code)
    return _change_page(request, operator, shown)


@router.post(f"{BASE}/change")
def update_total(
    request: Request,
    account_id: str,
    family_code: str,
    operator: FormOperator,
    app: Container,
    plan: Annotated[str, Form()] = "",
    cycle: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
) -> Response:
    """The same form with the figures of what was chosen."""
    org, wish = operator.organization_id, _wish(plan, cycle, quantity, "")
    shown = q.change_screen(app.uow(), app.clock, org, account_id, family_code, wish)
    return _change_page(request, operator, shown)


@router.post(f"{BASE}/review")
def review(
    request: Request,
    account_id: str,
    family_code: str,
    operator: FormOperator,
    app: Container,
    plan: Annotated[str, Form()] = "",
    cycle: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
) -> Response:
    org, wish = operator.organization_id, _wish(plan, cycle, quantity, "")
    shown = q.review_change(app.uow(), app.clock, org, account_id, family_code, wish)
    if shown.review is None:
        return _change_page(request, operator, shown)
    return _review_page(request, operator, shown)


@router.post(f"{BASE}/confirm")
def confirm(
    request: Request,
    account_id: str,
    family_code: str,
    operator: FormOperator,
    app: Container,
    plan: Annotated[str, Form()] = "",
    cycle: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    org, wish = operator.organization_id, _wish(plan, cycle, quantity, expect)
    shown = q.confirm_change(app.uow(), app.clock, org, account_id, family_code, wish)
    if shown.done is not None:
        return _back(account_id, shown.done)
    if shown.review is None:
        return _change_page(request, operator, shown)
    return _review_page(request, operator, shown)


def _context(request: Request, operator: Operator, shown: ChangeScreen) -> dict[str, object]:
    screen = shown.screen
    return {
        "account": screen.account,
        "family": screen.plans.family,
        "held": screen.held,
        "choice": shown.choice,
        **_words(request),
        **_chrome(operator, "customers"),
    }


def _change_page(request: Request, operator: Operator, shown: ChangeScreen) -> Response:
    cycles = sorted(
        {p.cycle for o in shown.screen.options for p in o.prices},
        key=lambda c: (c.unit != "month", c.count),
    )
    context = {
        **_context(request, operator, shown),
        "options": shown.screen.options,
        "cycles": cycles,
    }
    code = shown.status or (422 if shown.choice.errors else 200)
    return templates.TemplateResponse(
        request, "console/customer_change.html", context, status_code=code, headers=NO_STORE
    )


def _review_page(request: Request, operator: Operator, shown: ChangeScreen) -> Response:
    language = request_language(request)
    context = {
        **_context(request, operator, shown),
        "review": shown.review,
        "moved": translate(language, MOVED) if shown.moved else None,
    }
    return templates.TemplateResponse(
        request,
        "console/customer_review.html",
        context,
        status_code=409 if shown.moved else 200,
        headers=NO_STORE,
    )


# -- cancel, pause, resume, reactivate ----------------------------------------------------


@router.post(f"{BASE}/stop")
def stop(
    request: Request,
    account_id: str,
    family_code: str,
    operator: FormOperator,
    app: Container,
    action: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """Without ``expect``: the confirmation page. With it: done if the figures still match."""
    org = operator.organization_id
    try:
        shown = review_stop(
            app.uow(),
            app.clock,
            org,
            account_id,
            family_code,
            Stop.named(action),
            app.invoice_grace,
            expect=expect or None,
            actor=OPERATOR,
        )
    except DomainError as error:
        if not fixable(error):
            raise
        return _customer_page(
            request, app, operator, account_id, error=readable(error), status=error.status
        )
    if shown.done:
        return _back(account_id, action)
    language = request_language(request)
    context = {
        "account": shown.account,
        "family": shown.plans.family,
        "shown": shown,
        "moved": translate(language, MOVED) if shown.moved else None,
        **_words(request),
        **_chrome(operator, "customers"),
    }
    return templates.TemplateResponse(
        request,
        "console/customer_stop.html",
        context,
        status_code=409 if shown.moved else 200,
        headers=NO_STORE,
    )
