"""The portal's Packages page (seed 004), linked from a family's tab on the Plans page: the
plan held with its packages, allowances and renewal date, and the additional packages to add
or remove. Add and Remove post the one package asked for; it becomes the subscription change
with that package set, shown on the Plans screens' Review and then confirmed (or paid) by
their own Confirm and Pay (plans_routes.py), which carry the whole set of packages along.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.kernel.errors import Refusal
from plansmith.application.screens import portal_packages as packages_q
from plansmith.application.screens import portal_plans as q
from plansmith.entrypoints.portal.plans_routes import _review_page, templates
from plansmith.entrypoints.portal.plans_views import flash
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit, FormVisit, Visit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import request_language
from plansmith.entrypoints.webui.sessions import CSRF_FIELD

router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/plans/{family_code}/packages")
def packages_page(
    request: Request, family_code: str, visit: CurrentVisit, app: Container, done: str = ""
) -> Response:
    page = packages_q.packages_page(
        app.uow(), app.clock, visit.organization_id, visit.account_id, family_code
    )
    return _page(request, visit, page, done=done)


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
        return _page(request, visit, page, errors=errors, entered={add_on: quantity}, status=422)
    shown = q.review_change(
        app.uow(), app.clock, org, account_id, family_code, wish, app.invoice_grace
    )
    if shown.review is None:
        refusals = shown.choice.errors
        message = refusals.get(f"add_ons.{add_on}") or next(iter(refusals.values()), "")
        status = shown.status or 422
        found = {add_on: message} if isinstance(message, Refusal) else {}
        return _page(request, visit, page, errors=found, entered={add_on: quantity}, status=status)
    return _review_page(request, visit, shown)


def _page(
    request: Request,
    visit: Visit,
    page: packages_q.PackagesPage,
    *,
    done: str = "",
    errors: Mapping[str, Refusal] | None = None,
    entered: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    account = page.account
    language = request_language(request, account.locale)
    context = {
        "account": account,
        "locale": account.locale,
        "family": page.plans.family,
        "page": page,
        "view": page.held,
        "flash": flash(done, page.plans, account.locale, language),
        "errors": errors or {},
        "entered": entered or {},
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "plans",
    }
    return templates.TemplateResponse(
        request, "portal/plans_packages.html", context, status_code=status, headers=NO_STORE
    )
