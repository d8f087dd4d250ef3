"""The customer portal: one account's admin, let in by a signed link from the operator.

Handlers stay thin: read the session, call one use case, render or redirect. Errors under
/portal are rendered by ``error_page`` (installed by the app factory), so a NotFound raised by a
use case becomes a 404 page and a rejected link or session the "Link expired" page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.application.accounts import accounts as uc
from plansmith.application.organizations.web_sessions import end_session, enter_portal
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.organizations.sessions import SessionKind
from plansmith.entrypoints.portal.forms import (
    LABELS,
    OPTIONAL,
    AddressFields,
    AddressForm,
    is_form_error,
    shown_error,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.errors import error_code, message_for, title_for
from plansmith.entrypoints.webui.i18n import N_, page_language, request_language, translate
from plansmith.entrypoints.webui.sessions import (
    CSRF_FIELD,
    BrowserSession,
    CookieSession,
    check_csrf,
    is_secure,
)
from plansmith.entrypoints.webui.templating import countries, make_templates

PREFIX = "/portal"
SESSION = CookieSession(cookie="plansmith_portal", kind=SessionKind.PORTAL, path=PREFIX)
FLASHES = {
    "address_added": N_("The address was added."),
    "address_updated": N_("The address was saved."),
    "default_changed": N_("Invoices now use the address you chose."),
}
AREA = N_("Billing portal")
BACK = N_("Back to your account")

# Pages show one customer's details and carry a CSRF token: keep them out of shared caches.
NO_STORE = {"Cache-Control": "no-store"}

templates = make_templates(Path(__file__).with_name("templates"))


@pass_context
def _address_error(context: Context, message: str, name: str) -> str:
    return shown_error(message, name, page_language(context))


templates.env.filters["address_error"] = _address_error
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True)
class Visit:
    """Who is signed in: the admin of one account of one organization, nothing wider."""

    organization_id: str
    account_id: str
    session: BrowserSession


def current_visit(request: Request, app: Container) -> Visit:
    session = SESSION.read(request, app.uow(), app.clock, app.signer)
    account_id = session.record.account_id
    assert account_id is not None  # every portal session is for one account
    # Whose page this is, for an error page raised later in the request (its language).
    request.state.portal_account = (session.record.organization_id, account_id)
    return Visit(session.record.organization_id, account_id, session)


def checked_visit(
    visit: Annotated[Visit, Depends(current_visit)],
    app: Container,
    csrf_token: Annotated[str, Form()] = "",
) -> Visit:
    check_csrf(app.signer, visit.session, csrf_token, app.clock.now())
    return visit


CurrentVisit = Annotated[Visit, Depends(current_visit)]
FormVisit = Annotated[Visit, Depends(checked_visit)]
Fields = Annotated[AddressFields, Form()]


@router.get("/enter")
def enter(app: Container, token: str = "") -> RedirectResponse:
    """Trade a portal link for a session cookie, so the token leaves the address bar. A link
    does this once: a second visit gets the "Link expired" page."""
    issued = enter_portal(
        app.uow(), app.clock, app.signer, token, seconds=app.settings.portal_session_seconds
    )
    response = RedirectResponse(f"{PREFIX}/", status_code=303)
    SESSION.issue(response, issued, app.clock.now(), secure=is_secure(app.settings.base_url))
    return response


@router.get("/")
def account_page(
    request: Request, visit: CurrentVisit, app: Container, saved: str = ""
) -> Response:
    return _account_page(request, app, visit, flash=saved)


@router.post("/addresses")
def add_address(request: Request, visit: FormVisit, app: Container, fields: Fields) -> Response:
    try:
        uc.add_invoice_address(
            app.uow(),
            organization_clock(app, visit.organization_id),
            visit.organization_id,
            visit.account_id,
            fields.to_input(),
        )
    except DomainError as error:
        if not is_form_error(error):
            raise
        return _account_page(request, app, visit, failed=AddressForm.blank().failed(fields, error))
    return _back("address_added")


@router.post("/addresses/{address_id}")
def update_address(
    request: Request, address_id: str, visit: FormVisit, app: Container, fields: Fields
) -> Response:
    try:
        address = uc.update_invoice_address(
            app.uow(),
            organization_clock(app, visit.organization_id),
            visit.organization_id,
            visit.account_id,
            address_id,
            fields.to_changes(),
        )
    except DomainError as error:
        if not is_form_error(error):
            raise
        form = AddressForm(address_id, f"{PREFIX}/addresses/{address_id}", {})
        return _account_page(request, app, visit, failed=form.failed(fields, error))
    return _back("address_updated", anchor=address.id)


@router.post("/addresses/{address_id}/default")
def use_for_invoices(address_id: str, visit: FormVisit, app: Container) -> Response:
    # Look the address up on this account first, so another account's address is a plain 404
    # (set_default_invoice_address alone answers 422 for one of the same organization).
    uc.get_invoice_address(app.uow(), visit.organization_id, visit.account_id, address_id)
    uc.set_default_invoice_address(
        app.uow(),
        organization_clock(app, visit.organization_id),
        visit.organization_id,
        visit.account_id,
        address_id,
    )
    return _back("default_changed", anchor=address_id)


@router.post("/sign-out")
def sign_out(visit: FormVisit, app: Container) -> Response:
    """Ends the session on the server: a copy of the cookie stops working too."""
    end_session(app.uow(), app.clock, visit.session.record)
    response = RedirectResponse(f"{PREFIX}/signed-out", status_code=303)
    SESSION.clear(response)
    return response


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    return templates.TemplateResponse(request, "portal/signed_out.html")


def _back(saved: str, *, anchor: str = "invoice-addresses") -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/?saved={saved}#{anchor}", status_code=303)


def _account_page(
    request: Request,
    app: Container,
    visit: Visit,
    *,
    flash: str | None = None,
    failed: AddressForm | None = None,
) -> Response:
    account, addresses = uc.account_with_addresses(
        app.uow(), visit.organization_id, visit.account_id
    )
    language = request_language(request, account.locale)
    notice = FLASHES.get(flash or "")
    forms = {address.id: AddressForm.of_address(address) for address in addresses}
    new_form = AddressForm.blank()
    if failed is not None and failed.key == new_form.key:
        new_form = failed
    elif failed is not None:
        forms[failed.key] = failed
    context = {
        "account": account,
        "locale": account.locale,
        "addresses": addresses,
        "forms": forms,
        "new_form": new_form,
        "failed_key": failed.key if failed else None,
        "labels": LABELS,
        "optional": OPTIONAL,
        "countries": countries(account.locale),
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        # shown in the address section, where the redirect's anchor lands
        "notice": translate(language, notice) if notice else None,
    }
    status = 422 if failed is not None else 200
    return templates.TemplateResponse(
        request, "portal/account.html", context, status_code=status, headers=NO_STORE
    )


def error_page(request: Request, status: int, message: str) -> Response:
    """Every error under /portal; a rejected link or session gets the "Link expired" page, a
    session that was signed out the "Signed out" one."""
    if status == 401 and error_code(request) == ec.SESSION_ENDED:
        return templates.TemplateResponse(request, "portal/signed_out.html", status_code=401)
    if status == 401:
        from_link = request.url.path == f"{PREFIX}/enter"
        return templates.TemplateResponse(
            request, "portal/link_expired.html", {"from_link": from_link}, status_code=401
        )
    language = request_language(request, _account_locale(request))
    context = {
        "ui_language": language,
        "title": title_for(status, language),
        "message": message_for(status, message, language),
        "back_url": f"{PREFIX}/",
        "back_label": translate(language, BACK),
        "area": translate(language, AREA),
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


def _account_locale(request: Request) -> str | None:
    """The locale of the signed-in customer's account, when the error came after the visit was
    read: the error page speaks the account's language like every other portal page."""
    visit: tuple[str, str] | None = getattr(request.state, "portal_account", None)
    if visit is None:
        return None
    app: Plansmith = request.app.state.plansmith
    try:
        return uc.get_account(app.uow(), *visit).locale
    except DomainError:
        return None
