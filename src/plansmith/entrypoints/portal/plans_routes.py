"""The portal's Plans screens (seeds 000, 001, 002): a tab per plan family with the plan held,
its price, next payment and history; Change Plan (plan, cycle, quantity and "price × quantity
= total"), Review (the change's preview, or what a new plan costs) and Confirm; cancel, keep,
reactivate, and withdraw a scheduled change.

Handlers stay thin like those of routes.py: the session and CSRF, the error pages and the
no-store header are that module's. A preview runs the very change and saves nothing; confirm
runs it again and refuses (409) when it no longer matches what the customer reviewed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application import catalog_extras
from plansmith.application.accounts import get_account
from plansmith.application.catalog_extras import Offer
from plansmith.application.errors import NotFound
from plansmith.application.subscription_actions import (
    ChangeInput,
    cancel_subscription,
    change_subscription,
    reactivate_subscription,
    withdraw_scheduled_change,
)
from plansmith.application.subscription_queries import FamilyPlans, account_plans, get_subscription
from plansmith.application.subscriptions import (
    CUSTOMER,
    Result,
    SubscribeInput,
    subscribe,
)
from plansmith.domain.accounts import Account
from plansmith.domain.errors import DomainError
from plansmith.domain.limits import MAX_QUANTITY
from plansmith.domain.periods import local_date, zone
from plansmith.domain.subscription_events import ChangeScheduled
from plansmith.domain.subscriptions import Status, Subscription
from plansmith.entrypoints.portal.plans_views import (
    FILTERS,
    MOVED,
    Choice,
    ChoiceFields,
    Review,
    Screen,
    Start,
    check_choice,
    cycle_choices,
    first_choice,
    flash,
    plan_options,
    readable,
    start_of,
)
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit, FormVisit, Visit
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.sessions import CSRF_FIELD
from plansmith.entrypoints.webui.templating import make_templates

CHANNEL = "portal"  # the portal offers what the catalog shows on its upgrade list
templates = make_templates(Path(__file__).with_name("templates"))
templates.env.filters.update(FILTERS)
templates.env.globals["max_quantity"] = MAX_QUANTITY
router = APIRouter(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)
Fields = Annotated[ChoiceFields, Form()]


# -- loading ------------------------------------------------------------------------------


def _load(app: Container, visit: Visit) -> tuple[Account, list[FamilyPlans], list[Offer]]:
    org, account_id = visit.organization_id, visit.account_id
    account = get_account(app.uow(), org, account_id)
    families = account_plans(app.uow(), org, account_id)
    offers = catalog_extras.offers(app.uow(), org, CHANNEL, account.currency)
    return account, families, offers


def _family_of(families: list[FamilyPlans], code: str) -> FamilyPlans:
    found = next((f for f in families if f.family.code == code), None)
    if found is None:
        raise NotFound(f"no plan family {code!r}", field="family")
    return found


def _screen(app: Container, visit: Visit, code: str) -> Screen:
    account, families, offers = _load(app, visit)
    plans = _family_of(families, code)
    return Screen(account, plans, plan_options(offers, code, plans.current, account.currency))


def _fixable(error: DomainError) -> bool:
    """A refusal the person can act on (a wrong value, or not now), not a missing object."""
    return error.status in (409, 422)


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
) -> Response:
    account, families, offers = _load(app, visit)
    offered = {o.view.family.code for o in offers}
    # A family shows once the account held a plan in it, or the portal offers one.
    tabs = [f for f in families if f.latest is not None or f.family.code in offered]
    if code:
        chosen: FamilyPlans | None = _family_of(tabs, code)
    else:  # open on the first family the account holds a plan in
        chosen = next((f for f in tabs if f.current is not None), tabs[0] if tabs else None)
    context = {
        "account": account,
        "locale": account.locale,
        "tabs": tabs,
        "chosen": chosen,
        "offered": chosen is not None and chosen.family.code in offered,
        "flash": flash(done, chosen, account.locale),
        "error": readable(error) if error is not None else None,
        "stop_now": _quietly(lambda: _stop_now(app, visit, chosen)),
        "come_back": _quietly(lambda: _come_back(app, visit, chosen)),
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }
    status = error.status if error is not None else 200
    return templates.TemplateResponse(
        request, "portal/plans.html", context, status_code=status, headers=NO_STORE
    )


def _quietly(preview: Callable[[], Result | None]) -> Result | None:
    """A preview shown beside a button; one the rules refuse just leaves its figure out."""
    try:
        return preview()
    except DomainError:
        return None


def _stop_now(app: Container, visit: Visit, chosen: FamilyPlans | None) -> Result | None:
    """What cancelling now would credit (shown as the second choice under Cancel)."""
    if chosen is None or chosen.current is None or not chosen.current.subscription.in_service:
        return None
    sub_id = chosen.current.subscription.id
    org = visit.organization_id
    return cancel_subscription(
        app.uow(), organization_clock(app, org), org, sub_id, "now", preview=True
    )


def _come_back(app: Container, visit: Visit, chosen: FamilyPlans | None) -> Result | None:
    """What reactivating a canceled plan would charge."""
    if chosen is None or chosen.current is not None or chosen.latest is None:
        return None
    if chosen.latest.subscription.status is not Status.CANCELED:
        return None
    sub_id, org = chosen.latest.subscription.id, visit.organization_id
    return reactivate_subscription(
        app.uow(), organization_clock(app, org), org, sub_id, preview=True
    )


def _back(code: str, done: str) -> RedirectResponse:
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
        if not _fixable(error):
            raise
        return _plans_page(request, app, visit, code, error=error)
    return _back(code, done)


def _target(app: Container, visit: Visit, code: str, *, canceled_too: bool = False) -> Subscription:
    """The family's plan held by this account (or, with canceled_too, its last one)."""
    plans = _family_of(account_plans(app.uow(), visit.organization_id, visit.account_id), code)
    view = plans.current or (plans.latest if canceled_too else None)
    if view is None:
        raise NotFound("there is no plan in this family to change", field="family")
    return view.subscription


@router.post("/plans/{family_code}/cancel")
def cancel(
    request: Request,
    family_code: str,
    visit: FormVisit,
    app: Container,
    when: Annotated[str, Form()] = "term_end",
) -> Response:
    sub, org = _target(app, visit, family_code), visit.organization_id
    done = "cancel_scheduled" if when == "term_end" else "canceled"

    def run() -> Result:
        return cancel_subscription(
            app.uow(), organization_clock(app, org), org, sub.id, when, actor=CUSTOMER
        )

    return _act(request, app, visit, family_code, run, done)


@router.post("/plans/{family_code}/reactivate")
def reactivate(request: Request, family_code: str, visit: FormVisit, app: Container) -> Response:
    """Keep a plan set to cancel, resume a paused one, or bring a canceled one back."""
    sub, org = _target(app, visit, family_code, canceled_too=True), visit.organization_id
    if sub.cancel_at_period_end:
        done = "kept"
    else:
        done = "resumed" if sub.status is Status.PAUSED else "reactivated"

    def run() -> Result:
        return reactivate_subscription(
            app.uow(), organization_clock(app, org), org, sub.id, actor=CUSTOMER
        )

    return _act(request, app, visit, family_code, run, done)


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
    screen = _screen(app, visit, family_code)
    choice = first_choice(screen.options, screen.held, screen.account.currency)
    return _change_page(request, visit, screen, choice, status=200)


@router.post("/plans/{family_code}/change")
def update_total(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    """The same form with the figures of what was chosen (without JavaScript, "Update total")."""
    screen = _screen(app, visit, family_code)
    return _change_page(request, visit, screen, _checked(screen, fields))


@router.post("/plans/{family_code}/review")
def review(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    screen = _screen(app, visit, family_code)
    choice = _checked(screen, fields)
    if not choice.ok:
        return _change_page(request, visit, screen, choice)
    try:
        reviewed = _preview(app, visit, screen, choice)
    except DomainError as error:
        if not _fixable(error):
            raise
        return _change_page(request, visit, screen, choice.failed(error), status=error.status)
    return _review_page(request, visit, screen, reviewed)


@router.post("/plans/{family_code}/confirm")
def confirm(
    request: Request, family_code: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    screen = _screen(app, visit, family_code)
    choice = _checked(screen, fields)
    if not choice.ok:
        return _change_page(request, visit, screen, choice)
    try:
        reviewed = _preview(app, visit, screen, choice)
        if reviewed.expect != fields.expect:
            return _review_page(request, visit, screen, reviewed, moved=True)
        done = _apply(app, visit, screen, choice)
    except DomainError as error:
        if not _fixable(error):
            raise
        return _change_page(request, visit, screen, choice.failed(error), status=error.status)
    return _back(family_code, done)


def _checked(screen: Screen, fields: ChoiceFields) -> Choice:
    return check_choice(fields, screen.options, screen.account.currency)


def _change_input(choice: Choice) -> ChangeInput:
    # The timing is the family's policy: upgrades now, downgrades at the end of the term...
    return ChangeInput(
        plan=choice.plan, cycle=choice.cycle, quantity=int(choice.quantity), channel=CHANNEL
    )


def _preview(app: Container, visit: Visit, screen: Screen, choice: Choice) -> Review:
    org = visit.organization_id
    if screen.held is not None:
        sub_id = screen.held.subscription.id
        result = change_subscription(
            app.uow(),
            organization_clock(app, org),
            org,
            sub_id,
            _change_input(choice),
            actor=CUSTOMER,
            preview=True,
        )
        return Review(choice, change=result)
    return Review(choice, start=_start(app, visit, screen, choice))


def _start(app: Container, visit: Visit, screen: Screen, choice: Choice) -> Start:
    assert choice.option is not None
    time_zone = screen.account.time_zone
    earlier = {e.subscription_id for e in screen.plans.history}
    if screen.plans.latest is not None:
        earlier.add(screen.plans.latest.subscription.id)
    # subscribe grants a family's trial once: to an account none of whose plans there had one
    used = any(
        get_subscription(app.uow(), visit.organization_id, i).subscription.trial_end is not None
        for i in sorted(earlier)
    )
    today = local_date(organization_clock(app, visit.organization_id).now(), zone(time_zone))
    return start_of(choice.option.terms, choice.cycle, time_zone, today, used)


def _apply(app: Container, visit: Visit, screen: Screen, choice: Choice) -> str:
    org = visit.organization_id
    if screen.held is not None:
        sub_id = screen.held.subscription.id
        result = change_subscription(
            app.uow(),
            organization_clock(app, org),
            org,
            sub_id,
            _change_input(choice),
            actor=CUSTOMER,
        )
        return "scheduled" if isinstance(result.events[-1], ChangeScheduled) else "changed"
    data = SubscribeInput(
        account_id=visit.account_id,
        plan=choice.plan,
        cycle=choice.cycle,
        quantity=int(choice.quantity),
        channel=CHANNEL,
    )
    result = subscribe(app.uow(), organization_clock(app, org), org, data, actor=CUSTOMER)
    trialing = result.view.subscription.status is Status.TRIALING
    return "trial_started" if trialing else "subscribed"


def _context(visit: Visit, screen: Screen) -> dict[str, object]:
    return {
        "account": screen.account,
        "locale": screen.account.locale,
        "family": screen.plans.family,
        "held": screen.held,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }


def _change_page(
    request: Request, visit: Visit, screen: Screen, choice: Choice, *, status: int | None = None
) -> Response:
    context = {
        **_context(visit, screen),
        "options": screen.options,
        "cycles": cycle_choices(screen.options),
        "choice": choice,
    }
    code = status if status is not None else (422 if choice.errors else 200)
    return templates.TemplateResponse(
        request, "portal/plans_change.html", context, status_code=code, headers=NO_STORE
    )


def _review_page(
    request: Request, visit: Visit, screen: Screen, reviewed: Review, *, moved: bool = False
) -> Response:
    context = {**_context(visit, screen), "review": reviewed, "moved": MOVED if moved else None}
    return templates.TemplateResponse(
        request,
        "portal/plans_review.html",
        context,
        status_code=409 if moved else 200,
        headers=NO_STORE,
    )
