"""The console's API keys page: the organization's keys (name, prefix, kind, created, last
used, status), a form to create one, and Revoke and Roll behind a confirmation page each.

A secret is shown once, on the page that answers the POST that made it (never redirected to,
never stored, no-store). Revoke and Roll are links to a page that says what will happen; only
its form, with the session's CSRF token, does it. Keys guard real time, so these pages use the
wall clock also in a sandbox. Sessions, CSRF and error pages are routes.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.kernel.errors import NotFound
from plansmith.application.organizations import api_keys as uc
from plansmith.domain.kernel.errors import DomainError, InvalidInput
from plansmith.domain.organizations.organization import ApiKey, KeyStatus
from plansmith.entrypoints.console.catalog_views import bdi
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.messages import refusal
from plansmith.entrypoints.webui.templating import make_templates

PAGE = f"{PREFIX}/api-keys"
NO_STORE = {"Cache-Control": "no-store"}
SHOWN = 100  # keys listed; an organization has a handful
HOUR, DAY = 3600, 86400
OVERLAPS = (
    (0, N_("At once")),
    (HOUR, N_("After 1 hour")),
    (DAY, N_("After 24 hours")),
    (3 * DAY, N_("After 3 days")),
    (7 * DAY, N_("After 7 days")),
)
DEFAULT_OVERLAP = DAY
DONE = {"revoked": N_("Revoked: every request with this key now gets 401.")}
BADGES = {
    KeyStatus.ACTIVE: (N_("Active"), "status-active"),
    KeyStatus.EXPIRING: (N_("Rolled"), "status-draft"),
    KeyStatus.EXPIRED: (N_("Expired"), "status-legacy"),
    KeyStatus.REVOKED: (N_("Revoked"), "status-archived"),
}

templates = make_templates(Path(__file__).with_name("templates"))
templates.env.filters.update(bdi=bdi)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/api-keys")
def api_keys_page(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    flash = translate(request_language(request), DONE[done]) if done in DONE else None
    return _list_page(request, app, operator, flash=flash)


@router.post("/api-keys")
def create_key(
    request: Request,
    operator: FormOperator,
    app: Container,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = uc.SECRET,
) -> Response:
    try:
        issued = uc.create_api_key(app.uow(), app.clock, operator.organization_id, name, kind=kind)
    except DomainError as error:
        if error.status != 422:
            raise
        form = {"name": name, "kind": kind}
        return _list_page(request, app, operator, form=form, errors=_by_field(error))
    return _list_page(request, app, operator, issued=issued)


@router.get("/api-keys/{key_id}/{action}")
def confirm_page(
    request: Request, key_id: str, action: str, operator: CurrentOperator, app: Container
) -> Response:
    _check_action(action)
    key = uc.get_api_key(app.uow(), operator.organization_id, key_id)
    return _confirm_page(request, app, operator, key, action)


@router.post("/api-keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: str, operator: FormOperator, app: Container) -> Response:
    try:
        uc.revoke_api_key(app.uow(), app.clock, operator.organization_id, key_id)
    except DomainError as error:
        if error.status != 409:
            raise
        return _list_page(request, app, operator, error=error)
    return RedirectResponse(f"{PAGE}?done=revoked", status_code=303)


@router.post("/api-keys/{key_id}/roll")
def roll_key(
    request: Request,
    key_id: str,
    operator: FormOperator,
    app: Container,
    overlap: Annotated[str, Form()] = "",
) -> Response:
    org = operator.organization_id
    try:
        seconds = int(overlap) if overlap.strip().isdigit() else -1
        rolled = uc.roll_api_key(
            app.uow(), app.clock, org, key_id, overlap_seconds=seconds, field="overlap"
        )
    except DomainError as error:
        if error.status == 422:
            key = uc.get_api_key(app.uow(), org, key_id)
            errors = _by_field(error)
            return _confirm_page(request, app, operator, key, "roll", errors=errors)
        if error.status != 409:
            raise
        return _list_page(request, app, operator, error=error)
    return _list_page(request, app, operator, issued=rolled.new, rolled=rolled.old)


def _check_action(action: str) -> None:
    if action not in ("revoke", "roll"):
        raise NotFound(f"no API key action {action!r}", field="action")


def _list_page(
    request: Request,
    app: Container,
    operator: Operator,
    *,
    flash: str | None = None,
    issued: uc.IssuedKey | None = None,
    rolled: ApiKey | None = None,
    error: DomainError | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    page = uc.list_api_keys(app.uow(), operator.organization_id, limit=SHOWN)
    now = app.clock.now()
    context = {
        "keys": [(key, BADGES[key.status(now)], key.status(now)) for key in page.items],
        "more": page.next_cursor is not None,
        "issued": issued,
        "rolled": rolled,
        "flash": flash,
        "error": refusal(error) if error is not None else None,
        "form": form or {"name": "", "kind": uc.SECRET},
        "errors": errors or {},
        "KeyStatus": KeyStatus,
        **_chrome(operator, "api-keys"),
    }
    status = 200
    if error is not None:
        status = error.status
    elif errors:
        status = 422
    return templates.TemplateResponse(
        request, "console/api_keys.html", context, status_code=status, headers=NO_STORE
    )


def _confirm_page(
    request: Request,
    app: Container,
    operator: Operator,
    key: ApiKey,
    action: str,
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    status = key.status(app.clock.now())
    allowed = status is KeyStatus.ACTIVE or (action == "revoke" and status is KeyStatus.EXPIRING)
    context = {
        "key": key,
        "action": action,
        "badge": BADGES[status],
        "allowed": allowed,
        "overlaps": OVERLAPS,
        "chosen": DEFAULT_OVERLAP,
        "errors": errors or {},
        **_chrome(operator, "api-keys"),
    }
    return templates.TemplateResponse(
        request,
        "console/api_key_confirm.html",
        context,
        status_code=422 if errors else 200,
        headers=NO_STORE,
    )


def _by_field(error: DomainError) -> dict[str, str]:
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    return {part.field or "": refusal(part) for part in parts}
