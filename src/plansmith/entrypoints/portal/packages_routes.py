"""The portal's Packages page (seed 004), linked from a family's tab on the Plans page: the
plan held with its packages, allowances and renewal date, and the additional packages to add
or remove. Add and Remove post the one package asked for; it becomes the subscription change
with that package set, shown on the Plans screens' Review and then confirmed (or paid) by
their own Confirm and Pay (plans_routes.py), which carry the whole set of packages along.

The page also shows the allowance bars, the invoice prediction and the extra packs: Buy posts
to a review (the amount charged now, the balance and card it takes, the period's estimate
before and after), whose Pay buys the pack through ``buy_pack`` under the request key the
page's form carries (a double submit buys once) and comes back here with the bar moved, or
with the decline beside the form and nothing added.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.kernel.errors import Refusal
from plansmith.application.kernel.ids import new_id
from plansmith.application.payments.pack_purchases import buy_pack
from plansmith.application.screens import portal_packages as packages_q
from plansmith.application.screens import portal_plans as q
from plansmith.application.screens import portal_usage as usage_q
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.usage.packs import PackStatus
from plansmith.entrypoints.portal.plans_routes import _review_page, templates
from plansmith.entrypoints.portal.plans_views import day, flash, last_day
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit, FormVisit, Visit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.sessions import CSRF_FIELD

PACK_BOUGHT = N_("Your extra pack is active: its units are added to this period's allowance.")
PACK_DECLINED = N_("Your card was declined: %(reason)s Nothing was added or charged.")
PACK_DECLINED_NO_REASON = N_("Your card was declined. Nothing was added or charged.")
PACK_PENDING = N_("Your payment is being confirmed: the pack counts once it is paid.")
NOT_A_PACK = N_("Choose one of the packs listed")
BAD_QUANTITY = N_("Quantity is a whole number from 1 to %(most)s")
NO_CARD = N_("Your balance does not cover the pack and you have no card: add one first.")
NOT_NOW = N_("Your plan cannot take an extra pack now.")


def units_text(value: Fraction | int) -> str:
    """A count of units as the bars say it: 1,234 or 12.5 (exact, up to six decimals)."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return f"{exact.numerator:,}"
    whole, rest = divmod(exact.numerator, exact.denominator)
    # Meters keep micro-units, so six decimals are exact.
    decimals = str(rest * 10**6 // exact.denominator).rjust(6, "0").rstrip("0") or "0"
    return f"{whole:,}.{decimals}"


def units_raw(value: Fraction | int) -> str:
    """The same without grouping, for an attribute (a <meter>'s value)."""
    return units_text(value).replace(",", "")


templates.env.filters.update(
    units=units_text, units_raw=units_raw, period_day=day, period_last_day=last_day
)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/plans/{family_code}/packages")
def packages_page(
    request: Request, family_code: str, visit: CurrentVisit, app: Container, done: str = ""
) -> Response:
    page, panel = packages_q.packages_screen(
        app.uow(), app.clock, visit.organization_id, visit.account_id, family_code
    )
    return _page(request, app, visit, page, done=done, panel=panel)


@router.post("/plans/{family_code}/packages/review")
def review_package(
    request: Request,
    family_code: str,
    visit: FormVisit,
    app: Container,
    add_on: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
) -> Response:
    """Add (quantity ≥ 1) or remove (0) one package: the change's review, or the page again
    with the refusal beside that package's field, nothing changed."""
    org, account_id = visit.organization_id, visit.account_id
    page = packages_q.packages_page(app.uow(), app.clock, org, account_id, family_code)
    wish, errors = packages_q.package_wish(page, add_on, quantity)
    if wish is None:
        entered = {add_on: quantity}
        return _page(request, app, visit, page, errors=errors, entered=entered, status=422)
    shown = q.review_change(
        app.uow(), app.clock, org, account_id, family_code, wish, app.invoice_grace
    )
    if shown.review is None:
        refusals = shown.choice.errors
        message = refusals.get(f"add_ons.{add_on}") or next(iter(refusals.values()), "")
        status = shown.status or 422
        found = {add_on: message} if isinstance(message, Refusal) else {}
        entered = {add_on: quantity}
        return _page(request, app, visit, page, errors=found, entered=entered, status=status)
    return _review_page(request, visit, shown, app)


# -- extra packs: review, then pay ---------------------------------------------------------


@router.post("/plans/{family_code}/packs/review")
def review_pack(
    request: Request,
    family_code: str,
    visit: FormVisit,
    app: Container,
    pack: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
) -> Response:
    """The pack's review (charged now, how it is paid, the estimate before and after), or the
    page again with the refusal beside the field, nothing bought."""
    org, account_id = visit.organization_id, visit.account_id
    page = packages_q.packages_page(app.uow(), app.clock, org, account_id, family_code)
    if page.held is None:
        return _page(request, app, visit, page, status=409)
    clock = organization_clock(app, org)
    sub = page.held.subscription
    panel = usage_q.usage_panel(app.uow, clock, org, sub)
    try:
        offer, count = usage_q.pack_wish(panel, pack, quantity)
    except InvalidValue as error:
        entered = {"pack": pack, "quantity": quantity}
        said = _refusal(error, request_language(request, page.account.locale))
        field = error.field if error.field in ("pack", "quantity") else None
        return _page(
            request, app, visit, page, pack_error=(field, said), entered=entered, status=422
        )
    shown = usage_q.review_pack(app.uow, clock, org, sub, offer, count)
    context = {
        **_chrome(request, visit, page),
        "review": shown,
        "request_key": _key(request_key),
    }
    return templates.TemplateResponse(request, "portal/pack_review.html", context, headers=NO_STORE)


@router.post("/plans/{family_code}/packs/pay")
def pay_pack(
    request: Request,
    family_code: str,
    visit: FormVisit,
    app: Container,
    pack: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
) -> Response:
    """Buy the pack reviewed, paid now. The form's request key names the purchase: a second
    submit of the same form answers with the first purchase and charges nothing more."""
    org, account_id = visit.organization_id, visit.account_id
    page = packages_q.packages_page(app.uow(), app.clock, org, account_id, family_code)
    if page.held is None:
        return _page(request, app, visit, page, status=409)
    clock = organization_clock(app, org)
    sub = page.held.subscription
    panel = usage_q.usage_panel(app.uow, clock, org, sub)
    entered = {"pack": pack, "quantity": quantity}
    try:
        offer, count = usage_q.pack_wish(panel, pack, quantity)
        bought = buy_pack(
            app.uow(),
            app.gateway_for(org),
            clock,
            org,
            sub.id,
            offer.code,
            count,
            # Scoped to the account: a key is only ever this customer's form.
            request_key=f"portal:{account_id}:{_key(request_key)}",
        )
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        language = request_language(request, page.account.locale)
        said = _refusal(error, language)
        field = error.field if error.field in ("pack", "quantity") else None
        return _page(
            request,
            app,
            visit,
            page,
            pack_error=(field, said),
            entered=entered,
            status=error.status,
        )
    if bought.purchase.status is PackStatus.PAID:
        url = f"{PREFIX}/plans/{family_code}/packages?done=pack_bought"
        return RedirectResponse(url, status_code=303)
    language = request_language(request, page.account.locale)
    payment = bought.payment
    if bought.purchase.status is PackStatus.FAILED:
        if payment is not None and payment.message:
            notice = translate(language, PACK_DECLINED) % {"reason": payment.message}
        else:
            notice = translate(language, PACK_DECLINED_NO_REASON)
        status = 402
    else:  # the gateway has not answered: nothing counts until it does
        notice, status = translate(language, PACK_PENDING), 202
    return _page(
        request, app, visit, page, pack_error=(None, notice), entered=entered, status=status
    )


def _refusal(error: DomainError, language: str) -> str:
    """A refusal of the pack form in the page's language (fixed sentences by field or code)."""
    if error.field == "quantity":
        return translate(language, BAD_QUANTITY) % {"most": f"{MAX_QUANTITY:,}"}
    if error.field == "pack":
        return translate(language, NOT_A_PACK)
    if error.code == ec.NO_PAYMENT_METHOD:
        return translate(language, NO_CARD)
    return translate(language, NOT_NOW)


def _key(posted: str) -> str:
    """The form's request key as posted (a fresh one if the form carried none)."""
    text = posted.strip()
    if text and len(text) <= 80 and text.replace("_", "").replace("-", "").isalnum():
        return text
    return new_id("req")


def _chrome(request: Request, visit: Visit, page: packages_q.PackagesPage) -> dict[str, object]:
    account = page.account
    return {
        "account": account,
        "locale": account.locale,
        "family": page.plans.family,
        "page": page,
        "view": page.held,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }


def _page(
    request: Request,
    app: Container,
    visit: Visit,
    page: packages_q.PackagesPage,
    *,
    done: str = "",
    errors: Mapping[str, Refusal] | None = None,
    entered: Mapping[str, str] | None = None,
    pack_error: tuple[str | None, str] | None = None,
    status: int = 200,
    panel: usage_q.UsagePanel | None = None,
) -> Response:
    """``panel``: read with the page already (else read here, after what a form did)."""
    account = page.account
    language = request_language(request, account.locale)
    if panel is None and page.held is not None:
        clock = organization_clock(app, visit.organization_id)
        panel = usage_q.usage_panel(app.uow, clock, visit.organization_id, page.held.subscription)
    bought = translate(language, PACK_BOUGHT) if done == "pack_bought" else None
    context = {
        **_chrome(request, visit, page),
        "panel": panel,
        "pack_error": pack_error,
        "request_key": new_id("req"),  # a new form, a new purchase
        "prediction": panel.prediction if panel is not None else None,
        "flash": bought or flash(done, page.plans, account.locale, language),
        "errors": errors or {},
        "entered": entered or {},
    }
    return templates.TemplateResponse(
        request, "portal/plans_packages.html", context, status_code=status, headers=NO_STORE
    )
