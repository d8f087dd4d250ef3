"""The console's Sandboxes page: the sandboxes the operator's organization made (name, test
clock, created), a form to make one whose test clock starts at a chosen instant, and Delete
behind a confirmation page.

A sandbox's key is shown once, on the page that answers the POST that made it (never
redirected to, never stored, no-store), like a new API key. The form carries a one-time token
(made with the page, recorded with the sandbox it makes): the same form sent again, by a reload
or a second click, shows "already created" and makes nothing, and the key is not shown again.
A refused form keeps its token (nothing was made with it). Who may make one: a console user of
a live organization, up to application/organizations/sandboxes.py's MAX_SANDBOXES live ones; a
sandbox's own console shows why it cannot. Sessions, CSRF and error pages are routes.py's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.organizations import organizations as orgs
from plansmith.application.organizations import sandboxes as uc
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.console.routes import PREFIX, CurrentOperator, FormOperator, Operator
from plansmith.entrypoints.console.routes import _chrome as chrome
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.templating import make_templates

PAGE = f"{PREFIX}/sandboxes"
NO_STORE = {"Cache-Control": "no-store"}
SHOWN = 100  # sandboxes listed; the rest are at GET /v1/sandboxes
START_FIELD = "start"
TOKEN_FIELD = "form_token"  # noqa: S105 - a form field name, not a secret
# What the form says, in the page's language, next to the field a refusal names...
MESSAGES = {
    START_FIELD: N_("Give a date and time in UTC from 2000 to 2099, e.g. 2026-01-31T09:00."),
    "name": N_("A name has at most 100 characters."),
}
# ...and above the form for the others, by the refusal's code.
SANDBOX_ORGANIZATION = N_(
    "This organization is a sandbox. Sandboxes are made by the live organization: sign "
    "in to its console, or use one of its API keys."
)
BY_CODE = {
    ec.SANDBOX_LIMIT_REACHED: N_(
        "This organization has %(num)s sandboxes, the most it may have. Delete one it no "
        "longer needs, then create another."
    ),
    ec.CONCURRENT_CHANGE: N_(
        "Another change was saved at the same moment. Check the list, then send the form again."
    ),
}
OUT_OF_DATE = N_("This form was out of date, so nothing was created. Check it and send it again.")
NOT_CREATED = N_("The sandbox could not be created. Check the form and send it again.")
DONE = {"deleted": N_("Sandbox deleted: its API keys no longer work.")}

templates = make_templates(Path(__file__).with_name("templates"))
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/sandboxes")
def sandboxes_page(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    flash = translate(request_language(request), DONE[done]) if done in DONE else None
    return _page(request, app, operator, flash=flash)


@router.post("/sandboxes")
def create_sandbox(
    request: Request,
    operator: FormOperator,
    app: Container,
    name: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "start": start}
    try:
        at = _start(start)
        made = uc.create_sandbox_from_form(
            app.uow(),
            app.clock,
            operator.organization_id,
            form_token,
            label=name,
            start=at,
            start_field=START_FIELD,
            token_field=TOKEN_FIELD,
        )
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        keep = form_token if uc.FORM_TOKEN.fullmatch(form_token) else None
        return _page(request, app, operator, form=form, error=error, token=keep)
    if isinstance(made, uc.MadeBefore):
        return _page(request, app, operator, before=made.organization)
    return _page(request, app, operator, made=made)


@router.get("/sandboxes/{sandbox_id}/delete")
def confirm_delete(
    request: Request, sandbox_id: str, operator: CurrentOperator, app: Container
) -> Response:
    sandbox = uc.get_sandbox(app.uow(), operator.organization_id, sandbox_id)
    context = {"sandbox": sandbox, **chrome(operator, "sandboxes")}
    return templates.TemplateResponse(
        request, "console/sandbox_delete.html", context, headers=NO_STORE
    )


@router.post("/sandboxes/{sandbox_id}/delete")
def delete_sandbox(sandbox_id: str, operator: FormOperator, app: Container) -> Response:
    uc.delete_sandbox(app.uow(), app.clock, operator.organization_id, sandbox_id)
    return RedirectResponse(f"{PAGE}?done=deleted", status_code=303)


def _start(text: str) -> datetime | None:
    """The form's date and time (a datetime-local field, so without a zone: UTC), or an ISO
    instant with its offset; blank is now."""
    if not text.strip():
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue("not a date and time", field=START_FIELD) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _errors(language: str, error: DomainError, own: Organization) -> dict[str, str]:
    """The refusal's messages in the page's language: by field for the form's own fields,
    else one above the form, chosen by the refusal's code (never a guess from its field)."""
    errors: dict[str, str] = {}
    for part in error.errors if isinstance(error, InvalidInput) else [error]:
        if part.field in MESSAGES:
            errors[part.field] = translate(language, MESSAGES[part.field])
        elif part.field == TOKEN_FIELD:
            errors[""] = translate(language, OUT_OF_DATE)
        elif part.code == ec.CONFLICT and own.sandbox:
            errors[""] = translate(language, SANDBOX_ORGANIZATION)
        elif part.code in BY_CODE:
            errors[""] = translate(language, BY_CODE[part.code]) % {"num": uc.MAX_SANDBOXES}
        else:
            errors.setdefault("", translate(language, NOT_CREATED))
    return errors


def _page(
    request: Request,
    app: Container,
    operator: Operator,
    *,
    made: uc.NewSandbox | None = None,
    before: Organization | None = None,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
    token: str | None = None,
    flash: str | None = None,
) -> Response:
    own = orgs.find_organization(app.uow(), operator.organization_id)
    page = uc.list_sandboxes(app.uow(), own.id, limit=SHOWN) if not own.sandbox else None
    errors = _errors(request_language(request), error, own) if error is not None else {}
    context = {
        "organization": own,
        "sandboxes": page.items if page is not None else [],
        "more": page is not None and page.next_cursor is not None,
        "limit": uc.MAX_SANDBOXES,
        "made": made,
        "before": before,
        "flash": flash,
        "form": form or {"name": "", "start": ""},
        # A new form gets a new one-time token; a refused one keeps its own.
        "form_token": token or secrets.token_urlsafe(24),
        "token_field": TOKEN_FIELD,
        "errors": errors,
        **chrome(operator, "sandboxes"),
    }
    status = error.status if error is not None else 200
    return templates.TemplateResponse(
        request, "console/sandboxes.html", context, status_code=status, headers=NO_STORE
    )
