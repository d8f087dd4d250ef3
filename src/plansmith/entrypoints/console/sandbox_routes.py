"""The console's Sandboxes page: the sandboxes the operator's organization made (name, test
clock, created), and a form to make one whose test clock starts at a chosen instant.

A sandbox's key is shown once, on the page that answers the POST that made it (never
redirected to, never stored, no-store), like a new API key. Who may make one: a console user
of a live organization (application/organizations/sandboxes.py); a sandbox's own console
shows why it cannot. Sessions, CSRF and error pages are routes.py's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.organizations import organizations as orgs
from plansmith.application.organizations import sandboxes as uc
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.entrypoints.console.routes import PREFIX, CurrentOperator, FormOperator, Operator
from plansmith.entrypoints.console.routes import _chrome as chrome
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.templating import make_templates

NO_STORE = {"Cache-Control": "no-store"}
SHOWN = 100  # sandboxes listed; the rest are at GET /v1/sandboxes
START_FIELD = "start"
# What the form says, in the page's language, for each way a sandbox can be refused.
MESSAGES = {
    START_FIELD: N_("Give a date and time in UTC from 2000 to 2099, e.g. 2026-01-31T09:00."),
    "name": N_("A name has at most 100 characters."),
    "": N_(
        "This organization is a sandbox. Sandboxes are made by the live organization: sign "
        "in to its console, or use one of its API keys."
    ),
}

templates = make_templates(Path(__file__).with_name("templates"))
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/sandboxes")
def sandboxes_page(request: Request, operator: CurrentOperator, app: Container) -> Response:
    return _page(request, app, operator)


@router.post("/sandboxes")
def create_sandbox(
    request: Request,
    operator: FormOperator,
    app: Container,
    name: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "start": start}
    try:
        at = _start(start)
        made = uc.create_sandbox(
            app.uow(),
            app.clock,
            operator.organization_id,
            label=name,
            start=at,
            start_field=START_FIELD,
        )
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        return _page(request, app, operator, form=form, error=error)
    return _page(request, app, operator, made=made)


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


def _page(
    request: Request,
    app: Container,
    operator: Operator,
    *,
    made: uc.NewSandbox | None = None,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    own = orgs.find_organization(app.uow(), operator.organization_id)
    page = uc.list_sandboxes(app.uow(), own.id, limit=SHOWN) if not own.sandbox else None
    errors: dict[str, str] = {}
    if error is not None:
        language = request_language(request)
        parts = error.errors if isinstance(error, InvalidInput) else [error]
        for part in parts:
            field = part.field if part.field in MESSAGES else ""
            errors[field] = translate(language, MESSAGES[field])
    context = {
        "organization": own,
        "sandboxes": page.items if page is not None else [],
        "more": page is not None and page.next_cursor is not None,
        "made": made,
        "form": form or {"name": "", "start": ""},
        "errors": errors,
        **chrome(operator, "sandboxes"),
    }
    status = error.status if error is not None else 200
    return templates.TemplateResponse(
        request, "console/sandboxes.html", context, status_code=status, headers=NO_STORE
    )
