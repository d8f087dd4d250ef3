"""The portal's Plans screens (seeds 000, 001, 002): a tab per plan family with the plan held,
its price, next payment and history; Change Plan (plan, cycle, quantity and "price × quantity
= total"), Review (the change's preview, or what a new plan costs) and Confirm (for a change
that charges now: the payment step, then Pay); cancel, keep, reactivate, and withdraw a
scheduled change.

Handlers stay thin like those of routes.py: parse the form, call one query of
``application.portal_plans`` (each one unit of work), render. The session and CSRF, the error
pages and the no-store header are routes.py's. A preview runs the very change and saves
nothing; confirm runs it again and refuses (409) when it no longer matches what the customer
reviewed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.notices.coming import coming_change
from plansmith.application.screens import portal_plan_payment as pay_q
from plansmith.application.screens import portal_plans as q
from plansmith.application.screens.plan_choices import fixable, readable
from plansmith.application.screens.plan_stops import Stop, needs_confirmation, review_stop
from plansmith.application.screens.portal_usage import change_estimate
from plansmith.application.subscriptions.actions import (
    cancel_subscription,
    withdraw_scheduled_change,
)
from plansmith.application.subscriptions.lifecycle import CUSTOMER, Result
from plansmith.application.usage.prediction import ChangeEffect
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.entrypoints.portal.invoices_routes import future_blocks
from plansmith.entrypoints.portal.plans_views import (
    FILTERS,
    MOVED,
    ChoiceFields,
    PayFields,
    cycle_choices,
    flash,
    not_applied,
    payment_outcome,
    stopped_word,
)
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit, FormVisit, Visit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.i18n import request_language, translate
from plansmith.entrypoints.webui.sessions import CSRF_FIELD
from plansmith.entrypoints.webui.templating import make_templates

templates = make_templates(Path(__file__).with_name("templates"))
templates.env.filters.update(FILTERS)
templates.env.globals["max_quantity"] = MAX_QUANTITY
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)
Fields = Annotated[ChoiceFields, Form()]
PayForm = Annotated[PayFields, Form()]


# -- the Plans page -----------------------------------------------------------------------


@router.get("/plans")
def plans_page(
    request: Request, visit: CurrentVisit, app: Container, family: str = "", done: str = ""
) -> Response:
    return _plans_page(request, app, visit, family, done=done)


def _plans_page(
    request: Request,
    app: Container,
    visit: Visit,
    code: str,
    *,
    done: str = "",
    error: DomainError | None = None,
    notice: str | None = None,
    status: int | None = None,
) -> Response:
    org = visit.organization_id
    page = q.plans_page(app.uow(), app.clock, org, visit.account_id, code)
    account = page.account
    held = page.chosen.current if page.chosen is not None else None
    coming = None
    if held is not None:  # seed 003: a price change published for existing customers
        coming = coming_change(app.uow(), app.notice_store, held.subscription)
    context = {
        "coming": coming,
        "account": account,
        "locale": account.locale,
        "tabs": page.tabs,
        "chosen": page.chosen,
        "offered": page.offered,
        "flash": flash(
            done, page.chosen, account.locale, request_language(request, account.locale)
        ),
        "plan_names": page.plan_names,
        "error": readable(error) if error is not None else notice,
        "stop_now": page.stop_now,
        "come_back": page.come_back,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }
    status = status or (error.status if error is not None else 200)
    return templates.TemplateResponse(
        request, "portal/plans.html", context, status_code=status, headers=NO_STORE
    )


def _back(code: str, done: str, *, packages: bool = False) -> RedirectResponse:
    """To the Plans page, or (a change of packages) to the family's Packages page."""
    if packages:
        return RedirectResponse(f"{PREFIX}/plans/{code}/packages?done={done}", status_code=303)
    return RedirectResponse(f"{PREFIX}/plans?family={code}&done={done}", status_code=303)


# -- cancel, keep, reactivate, withdraw ---------------------------------------------------


def _act(
    request: Request,
    app: Container,
    visit: Visit,
    code: str,
    action: Callable[[], Result],
    done: str,
) -> Response:
    try:
        action()
    except DomainError as error:
        if not fixable(error):
            raise
        return _plans_page(request, app, visit, code, error=error)
    return _back(code, done)


def _target(app: Container, visit: Visit, code: str, *, canceled_too: bool = False) -> Subscription:
    org, account_id = visit.organization_id, visit.account_id
    return q.held_in_family(app.uow(), org, account_id, code, canceled_too=canceled_too)


@router.post("/plans/{family_code}/cancel")
def cancel(
    request: Request,
    family_code: str,
    visit: FormVisit,
    app: Container,
    when: Annotated[str, Form()] = "term_end",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """At term end: done at once (nothing is billed, and it can be withdrawn). Now: the first
    post shows what it credits and when; a second one, with ``expect``, confirms it."""
    if when == "now":
        return _stop(request, app, visit, family_code, Stop.CANCEL_NOW, expect)
    sub, org = _target(app, visit, family_code), visit.organization_id

    def run() -> Result:
        return cancel_subscription(
            app.uow(), organization_clock(app, org), org, sub.id, when, actor=CUSTOMER
        )

    return _act(request, app, visit, family_code, run, "cancel_scheduled")


@router.post("/plans/{family_code}/reactivate")
def reactivate(
    request: Request,
    family_code: str,
    visit: FormVisit,
    app: Container,
    expect: Annotated[str, Form()] = "",
) -> Response:
    """Keep a plan set to cancel (at once, when that is all it does), or, through the
    confirmation step, resume a paused one or bring a canceled one back (both charge the rest
    of the period). Whether keeping charges is decided on the plan brought up to date: a term
    that ended before the billing run makes it a restart, shown for confirmation."""
    sub = _target(app, visit, family_code, canceled_too=True)
    keep = not expect and not needs_confirmation(sub, Stop.REACTIVATE)
    return _stop(request, app, visit, family_code, Stop.REACTIVATE, expect, keep=keep)


def _stop(
    request: Request,
    app: Container,
    visit: Visit,
    code: str,
    stop: Stop,
    expect: str,
    *,
    keep: bool = False,
) -> Response:
    org, account_id = visit.organization_id, visit.account_id
    try:
        shown = review_stop(
            app.uow(),
            app.clock,
            org,
            account_id,
            code,
            stop,
            app.invoice_grace,
            expect=expect or None,
            keep=keep,
        )
    except DomainError as error:
        if not fixable(error):
            raise
        return _plans_page(request, app, visit, code, error=error)
    if shown.done:
        return _back(code, "kept" if keep else stopped_word(shown))
    account = shown.account
    language = request_language(request, account.locale)
    context = {
        "account": account,
        "locale": account.locale,
        "family": shown.plans.family,
        "review": shown,
        "future": future_blocks(shown.next_invoice, language) if shown.next_invoice else [],
        "moved": translate(language, MOVED) if shown.moved else None,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }
    return templates.TemplateResponse(
        request,
        "portal/plans_stop.html",
        context,
        status_code=409 if shown.moved else 200,
        headers=NO_STORE,
    )


@router.post("/plans/{family_code}/withdraw")
def withdraw(request: Request, family_code: str, visit: FormVisit, app: Container) -> Response:
    sub, org = _target(app, visit, family_code), visit.organization_id

    def run() -> Result:
        return withdraw_scheduled_change(
            app.uow(), organization_clock(app, org), org, sub.id, actor=CUSTOMER
        )

    return _act(request, app, visit, family_code, run, "withdrawn")


# -- change plan, review, confirm ---------------------------------------------------------


@router.get("/plans/{family_code}/change")
def change_page(
    request: Request, family_code: str, visit: CurrentVisit, app: Container
) -> Response:
    org = visit.organization_id
    shown = q.change_screen(app.uow(), app.clock, org, visit.account_id, family_code)
    return _change_page(request, visit, shown, status=200)


@router.post("/plans/{family_code}/change")
def update_total(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    """The same form with the figures of what was chosen (without JavaScript, "Update total")."""
    org = visit.organization_id
    shown = q.change_screen(app.uow(), app.clock, org, visit.account_id, family_code, fields.wish())
    return _change_page(request, visit, shown)


@router.post("/plans/{family_code}/review")
def review(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    org = visit.organization_id
    shown = q.review_change(
        app.uow(), app.clock, org, visit.account_id, family_code, fields.wish(), app.invoice_grace
    )
    if shown.review is None:
        return _change_page(request, visit, shown)
    return _review_page(request, visit, shown, app)


@router.post("/plans/{family_code}/confirm")
def confirm(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    org = visit.organization_id
    shown = q.confirm_change(
        app.uow(), app.clock, org, visit.account_id, family_code, fields.wish(), app.invoice_grace
    )
    if shown.done is not None:
        return _back(family_code, shown.done, packages=bool(fields.add_ons))
    if shown.review is None:
        return _change_page(request, visit, shown)
    if shown.pay and not shown.moved:  # a change that charges now is confirmed by paying
        return _payment(request, family_code, visit, app, fields)
    return _review_page(request, visit, shown, app)


# -- the payment step and Pay (seed 002) --------------------------------------------------


def _payment(
    request: Request, family_code: str, visit: Visit, app: Container, fields: ChoiceFields
) -> Response:
    """The reviewed change's payment step: what is invoiced now, the balance it takes, and
    how to pay the rest (a saved card, a new card, or the balance when it covers it)."""
    org = visit.organization_id
    shown, step = pay_q.payment_step(
        app.uow(),
        app.clock,
        app.gateway_for,
        org,
        visit.account_id,
        family_code,
        fields.wish(),
        app.invoice_grace,
    )
    if step is None:
        return _after_moved(request, visit, shown)
    return _payment_page(request, visit, step)


@router.post("/plans/{family_code}/pay")
def pay(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: PayForm
) -> Response:
    """Charge the chosen card (or take the balance), then apply the change; a decline or no
    answer shows the payment step again with why, and changes nothing."""
    org = visit.organization_id
    paid = pay_q.pay_for_change(
        app.uow(),
        app.clock,
        app.gateway_for,
        org,
        visit.account_id,
        family_code,
        fields.wish(),
        fields.choice(),
        app.invoice_grace,
    )
    if paid.done is not None:
        return _back(family_code, paid.done, packages=bool(fields.add_ons))
    if paid.step is not None:
        return _payment_page(request, visit, paid.step)
    if paid.refused is not None:
        language = request_language(request, paid.locale)
        return _plans_page(
            request, app, visit, family_code, notice=not_applied(paid, language), status=409
        )
    assert paid.change is not None
    return _after_moved(request, visit, paid.change)


def _after_moved(request: Request, visit: Visit, shown: q.ChangeScreen) -> Response:
    if shown.review is None:
        return _change_page(request, visit, shown)
    return _review_page(request, visit, shown)


def _payment_page(request: Request, visit: Visit, step: pay_q.PaymentStep) -> Response:
    shown = step.change
    language = request_language(request, shown.screen.account.locale)
    context = {
        **_context(visit, shown),
        "review": shown.review,
        "step": step,
        "errors": {name: readable(error) for name, error in step.errors.items()},
        "declined": payment_outcome(step.payment, language),
    }
    return templates.TemplateResponse(
        request, "portal/plans_payment.html", context, status_code=step.status, headers=NO_STORE
    )


def _context(visit: Visit, shown: q.ChangeScreen) -> dict[str, object]:
    screen = shown.screen
    return {
        "account": screen.account,
        "locale": screen.account.locale,
        "family": screen.plans.family,
        "held": screen.held,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }


def _effect(app: Container, visit: Visit, shown: q.ChangeScreen) -> ChangeEffect | None:
    """The period's estimate before and after the change reviewed (nothing saved); None for
    a new plan, or when the preview is refused now (the review says why)."""
    held, review = shown.screen.held, shown.review
    if held is None or review is None or review.change is None:
        return None
    org = visit.organization_id
    clock = organization_clock(app, org)
    try:
        return change_estimate(app.uow, clock, org, held.subscription, review.choice)
    except DomainError as error:
        if not fixable(error):
            raise
        return None


def _change_page(
    request: Request, visit: Visit, shown: q.ChangeScreen, *, status: int | None = None
) -> Response:
    choice = shown.choice
    context = {
        **_context(visit, shown),
        "options": shown.screen.options,
        "cycles": cycle_choices(shown.screen.options),
        "add_ons_per_cycle": shown.screen.add_ons_per_cycle(),
        "choice": choice,
    }
    code = status or shown.status or (422 if choice.errors else 200)
    return templates.TemplateResponse(
        request, "portal/plans_change.html", context, status_code=code, headers=NO_STORE
    )


def _review_page(
    request: Request, visit: Visit, shown: q.ChangeScreen, app: Container | None = None
) -> Response:
    nxt = shown.next_invoice
    language = request_language(request, shown.screen.account.locale)
    context = {
        **_context(visit, shown),
        "effect": _effect(app, visit, shown) if app is not None else None,
        "review": shown.review,
        "future": future_blocks(nxt, language) if nxt is not None else [],
        "moved": translate(language, MOVED) if shown.moved else None,
        "pay": shown.pay,
    }
    return templates.TemplateResponse(
        request,
        "portal/plans_review.html",
        context,
        status_code=409 if shown.moved else 200,
        headers=NO_STORE,
    )
