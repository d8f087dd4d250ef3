"""The operator console: sign in, find customers, open their details and subscriptions (read
only), make portal links.

Every page but the sign-in form needs a console session; without one, ``error_page`` (installed
by the app factory for /console) answers the 401 with a redirect to the sign-in form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.accounts import accounts as uc
from plansmith.application.kernel.errors import Unauthorized
from plansmith.application.organizations.organizations import create_portal_link, get_operator
from plansmith.application.organizations.sign_in import TooManyAttempts, sign_in
from plansmith.application.organizations.tokens import TokenRejected
from plansmith.application.organizations.web_sessions import end_session
from plansmith.application.screens.console_customer import customer_page
from plansmith.application.screens.console_payments import account_balance
from plansmith.application.subscriptions.lifecycle import SubscriptionView
from plansmith.application.subscriptions.queries import FamilyPlans, HistoryEntry
from plansmith.domain.organizations.organization import OperatorUser
from plansmith.domain.organizations.sessions import SessionKind
from plansmith.domain.subscriptions.subscription import Status
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.errors import message_for, title_for
from plansmith.entrypoints.webui.formats import day, last_day, money
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.messages import explain
from plansmith.entrypoints.webui.sessions import (
    CSRF_FIELD,
    BrowserSession,
    CookieSession,
    check_csrf,
    check_same_origin,
    is_secure,
)
from plansmith.entrypoints.webui.templating import make_templates
from plansmith.entrypoints.webui.words import (
    cycle_label,
    history_word,
    shown_status,
    subscription_state,
)

PREFIX = "/console"
SESSION = CookieSession(cookie="plansmith_console", kind=SessionKind.CONSOLE, path=PREFIX)
PAGE_SIZE = 25

templates = make_templates(Path(__file__).with_name("templates"))
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True)
class Operator:
    """The signed-in console user; everything they see belongs to their organization."""

    user: OperatorUser
    session: BrowserSession

    @property
    def organization_id(self) -> str:
        return self.user.organization_id


def current_operator(request: Request, app: Container) -> Operator:
    session = SESSION.read(request, app.uow(), app.clock, app.signer)
    user = get_operator(app.uow(), session.record.user_id or "")
    if user.organization_id != session.record.organization_id:
        raise Unauthorized("your console session ended; sign in again")
    return Operator(user, session)


def checked_operator(
    operator: Annotated[Operator, Depends(current_operator)],
    app: Container,
    csrf_token: Annotated[str, Form()] = "",
) -> Operator:
    check_csrf(app.signer, operator.session, csrf_token, app.clock.now())
    return operator


CurrentOperator = Annotated[Operator, Depends(current_operator)]
FormOperator = Annotated[Operator, Depends(checked_operator)]


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/customers", status_code=303)


SIGNED_OUT = N_("You have signed out.")
WRONG_PASSWORD = N_("Wrong email or password.")


@router.get("/login")
def login_form(request: Request, app: Container, signed_out: bool = False) -> Response:
    try:
        SESSION.read(request, app.uow(), app.clock, app.signer)
    except TokenRejected:
        flash = translate(request_language(request), SIGNED_OUT) if signed_out else None
        return templates.TemplateResponse(request, "console/login.html", {"flash": flash})
    return RedirectResponse(f"{PREFIX}/customers", status_code=303)


@router.post("/login")
def login(
    request: Request,
    app: Container,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Slowed down after repeated failures (application/sign_in.py): a refused attempt gets
    429 with Retry-After and the wait beside the form."""
    check_same_origin(request, app.settings.base_url)
    client = request.client.host if request.client else "unknown"
    try:
        signed_in = sign_in(
            app.uow(),
            app.clock,
            email,
            password,
            client,
            session_seconds=app.settings.console_session_seconds,
        )
    except TooManyAttempts as refused:
        context = {"email": email, "error": explain(refused, request_language(request))}
        headers = {"Retry-After": str(refused.retry_after)}
        return templates.TemplateResponse(
            request, "console/login.html", context, status_code=429, headers=headers
        )
    except Unauthorized:
        context = {"email": email, "error": translate(request_language(request), WRONG_PASSWORD)}
        return templates.TemplateResponse(request, "console/login.html", context, status_code=401)
    response = RedirectResponse(f"{PREFIX}/customers", status_code=303)
    SESSION.issue(
        response, signed_in.issued, app.clock.now(), secure=is_secure(app.settings.base_url)
    )
    return response


@router.post("/logout")
def logout(operator: FormOperator, app: Container) -> Response:
    """Ends the session on the server: a copy of the cookie stops working too."""
    end_session(app.uow(), app.clock, operator.session.record)
    response = RedirectResponse(f"{PREFIX}/login?signed_out=true", status_code=303)
    SESSION.clear(response)
    return response


@router.get("/customers")
def customers(
    request: Request,
    operator: CurrentOperator,
    app: Container,
    search: str = "",
    cursor: str = "",
) -> Response:
    page = uc.list_accounts(
        app.uow(), operator.organization_id, search=search, cursor=cursor or None, limit=PAGE_SIZE
    )
    context = {"page": page, "search": search.strip(), **_chrome(operator, "customers")}
    return templates.TemplateResponse(request, "console/customers.html", context)


@router.get("/customers/{account_id}")
def customer(
    request: Request,
    account_id: str,
    operator: CurrentOperator,
    app: Container,
    done: str = "",
    usage_at: str = "",
) -> Response:
    """``done``: what an action on a plan just did (customer_plans_routes), said in words;
    ``usage_at``: a date of the billing period whose usage is shown (today's by default)."""
    message = CUSTOMER_DONE.get(done)
    flash = translate(request_language(request), message) if message is not None else None
    return _customer_page(request, app, operator, account_id, flash=flash, usage_at=usage_at)


@router.post("/customers/{account_id}/portal-link")
def portal_link(
    request: Request, account_id: str, operator: FormOperator, app: Container
) -> Response:
    """Shown once on the page rather than redirected to: the link is a bearer credential."""
    link = create_portal_link(
        app.uow(), app.clock, app.signer, operator.organization_id, account_id
    )
    url = app.portal_url(link.token)
    return _customer_page(request, app, operator, account_id, portal_url=url, link=link)


# What an action on a plan just did, as the customer page says it (?done=).
CUSTOMER_DONE = {
    "changed": N_("The plan was changed."),
    "scheduled": N_("The change is scheduled for the end of the term."),
    "cancel_now": N_("The plan was cancelled; the unused time is credited."),
    "cancel_at_term_end": N_("The plan will end at the end of the term."),
    "pause": N_("The plan was paused; the unused time is credited."),
    "resume": N_("The plan is active again."),
    "reactivate": N_("The plan is active again."),
}
PLAN_ACTIONS = {
    "cancel_now": N_("Cancel now…"),
    "cancel_at_term_end": N_("Cancel at the end of the term…"),
    "pause": N_("Pause…"),
    "resume": N_("Resume…"),
    "reactivate": N_("Reactivate…"),
}


def _customer_page(
    request: Request,
    app: Container,
    operator: Operator,
    account_id: str,
    *,
    status: int = 200,
    usage_at: str = "",
    **extra: object,
) -> Response:
    at, usage_error = _usage_date(usage_at)
    wall = app.clock if usage_error is None else None  # a wrong date: no usage read
    page = customer_page(app.uow(), operator.organization_id, account_id, wall, at)
    language = request_language(request)
    usage = page.usage
    context = {
        "usage": usage,
        "usage_at": usage_at,
        "usage_error": usage_error,
        "usage_refused": explain(usage.refused, language) if usage and usage.refused else None,
        "balance": account_balance(app.uow(), page.account),
        "account": page.account,
        "addresses": list(page.addresses),
        "subscriptions": [SubscriptionRow.of(f) for f in page.families],
        "action_label": lambda action: translate(language, PLAN_ACTIONS[action]),
        "cycle_name": lambda cycle: cycle_label(cycle, language),
        "status_word": lambda word: shown_status(word, language),
        "history_word": lambda word: history_word(word, language),
        "ui_language": language,
        **extra,
        **_chrome(operator, "customers"),
    }
    return templates.TemplateResponse(
        request,
        "console/customer.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@dataclass(frozen=True)
class SubscriptionRow:
    """One family on the customer page: the plan held now (else the newest one) and history."""

    family: str
    family_code: str
    view: SubscriptionView
    history: tuple[HistoryEntry, ...]

    @classmethod
    def of(cls, plans: FamilyPlans) -> SubscriptionRow:
        view = plans.current or plans.latest
        assert view is not None  # only families the account has a subscription in
        return cls(plans.family.name, plans.family.code, view, tuple(plans.history))

    @property
    def changeable(self) -> bool:
        return self.view.subscription.holds_place

    @property
    def actions(self) -> list[str]:
        """What the operator may do to it now (each through a confirmation page)."""
        sub = self.view.subscription
        if sub.status is Status.PAUSED:
            return ["resume", "cancel_now"]
        if sub.status is Status.CANCELED:
            return ["reactivate"]
        if not sub.in_service:
            return []
        found = ["cancel_now"]
        found.append("reactivate" if sub.cancel_at_period_end else "cancel_at_term_end")
        if sub.status is not Status.TRIALING:
            found.append("pause")
        return found

    def total(self, language: str) -> str:
        return money(self.view.period_amount, self.view.subscription.terms.currency, language)

    def formula(self, language: str) -> list[str]:
        """Seed 002's Total = Price x Quantity, for the plan and each add-on."""
        currency = self.view.subscription.terms.currency
        return [
            f"{p.name} {money(p.unit_amount, currency, language)} × {p.quantity:,}"
            for p in self.view.parts
        ]

    def period(self, language: str) -> str:
        """The current period's first and last day; or when it ended."""
        sub = self.view.subscription
        if not sub.holds_place and sub.ended_on is not None:
            return translate(language, N_("ended %(day)s")) % {"day": day(sub.ended_on, language)}
        start, end = day(sub.period_start, language), last_day(sub.period_end, language)
        return f"{start} \u2013 {end}"

    @property
    def status_class(self) -> str:
        shown = self.view.subscription.shown_status
        return {"Active": "status-active", "Try": "status-draft"}.get(shown, "status-legacy")

    def notes(self, language: str) -> list[str]:
        """What the status word alone does not say, in the operator's language."""
        sub, notes = self.view.subscription, []
        if sub.status in STATUS_NOTES:
            notes.append(subscription_state(sub.status, language))
        if sub.trial_end is not None and sub.status is Status.TRIALING:
            notes.append(
                translate(language, N_("trial until %(day)s"))
                % {"day": last_day(sub.trial_end, language)}
            )
        if sub.pay_per_day:
            notes.append(translate(language, N_("pay per day")))
        if sub.cancel_at_period_end:
            notes.append(translate(language, N_("cancels at the end of the term")))
        if sub.scheduled is not None:
            notes.append(
                translate(language, N_("changes to %(plan)s on %(day)s"))
                % {
                    "plan": self.view.scheduled_plan_name,
                    "day": day(sub.scheduled.effective, language),
                }
            )
        return notes

    @property
    def plan_name(self) -> str:
        """The plan's name customers see (the version's label is shown beside it)."""
        return self.view.plan.name


# The states the badge's three words leave unsaid, named as everywhere (webui/words.py).
STATUS_NOTES = frozenset({Status.PAST_DUE, Status.PAUSED, Status.CANCELED, Status.EXPIRED})


def _chrome(operator: Operator, section: str) -> dict[str, object]:
    """What the layout needs: the CSRF token for sign-out and the current section."""
    return {
        "operator": operator.user,
        "section": section,
        "csrf_token": operator.session.csrf_token,
        "csrf_field": CSRF_FIELD,
    }


AREA = N_("Console")
BACK = N_("Back to customers")


def error_page(request: Request, status: int, message: str) -> Response:
    """Every error under /console; no or an ended session sends the operator to sign in."""
    if status == 401:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)
    language = request_language(request)
    context = {
        "title": title_for(status, language),
        "message": message_for(status, message, language),
        "back_url": f"{PREFIX}/customers",
        "back_label": translate(language, BACK),
        "area": translate(language, AREA),
        "ui_language": language,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


USAGE_DATE = N_("Enter a date as YYYY-MM-DD")


def _usage_date(text: str) -> tuple[date | None, str | None]:
    """The date whose billing period's usage is shown ("": today), or the refusal of the
    date typed, shown beside the date field."""
    if not text.strip():
        return None, None
    try:
        return date.fromisoformat(text.strip()), None
    except ValueError:
        return None, USAGE_DATE
