"""The console's Webhooks page in Settings: the organization's endpoints, a form to add one
(its signing secret shown once, on the page answering the POST, no-store), and per endpoint
its event types, Enabled, the delivery log (state, attempts, each attempt's answer, duration
and first bytes), Replay for one delivery and Replay since an instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.webhooks import endpoints as uc
from plansmith.application.webhooks.ports import Endpoint
from plansmith.domain.events.registry import EVENT_TYPES
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
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

PAGE = f"{PREFIX}/settings/webhooks"
NO_STORE = {"Cache-Control": "no-store"}
SHOWN = 50  # deliveries on an endpoint's page, newest first
DONE = {
    "saved": N_("Saved."),
    "replayed": N_("The delivery is sent again now, with a new round of retries."),
}
STATES = {
    "pending": (N_("Retrying"), "status-draft"),
    "succeeded": (N_("Delivered"), "status-active"),
    "failed": (N_("Failed"), "status-archived"),
}

templates = make_templates(Path(__file__).with_name("templates"))
templates.env.filters.update(bdi=bdi)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/settings/webhooks")
def webhooks_page(request: Request, operator: CurrentOperator, app: Container) -> Response:
    return _list_page(request, app, operator)


@router.post("/settings/webhooks")
def add_endpoint(
    request: Request,
    operator: FormOperator,
    app: Container,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        made = uc.create_endpoint(
            app.uow(),
            app.clock,
            app.url_policy,
            operator.organization_id,
            url=url.strip(),
            event_types=event_types or None,
            description=description,
        )
    except DomainError as error:
        if error.status != 422:
            raise
        form: dict[str, object] = {
            "url": url,
            "description": description,
            "event_types": event_types or [],
        }
        return _list_page(request, app, operator, form=form, errors=_by_field(error))
    return _list_page(request, app, operator, made=made)


@router.get("/settings/webhooks/{endpoint_id}")
def endpoint_page(
    request: Request, endpoint_id: str, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    flash = translate(request_language(request), DONE[done]) if done in DONE else None
    return _endpoint_page(request, app, operator, endpoint_id, flash=flash)


@router.post("/settings/webhooks/{endpoint_id}")
def update_endpoint(
    request: Request,
    endpoint_id: str,
    operator: FormOperator,
    app: Container,
    enabled: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
) -> Response:
    changes = {"enabled": enabled == "on", "event_types": event_types or None}
    try:
        uc.update_endpoint(
            app.uow(), app.clock, app.url_policy, operator.organization_id, endpoint_id, changes
        )
    except DomainError as error:
        if error.status != 422:
            raise
        return _endpoint_page(request, app, operator, endpoint_id, errors=_by_field(error))
    return RedirectResponse(f"{PAGE}/{endpoint_id}?done=saved", status_code=303)


@router.post("/settings/webhooks/{endpoint_id}/replay/{event_id}")
def replay_delivery(
    endpoint_id: str, event_id: str, operator: FormOperator, app: Container
) -> Response:
    uc.replay_event(app.uow(), app.clock, operator.organization_id, endpoint_id, event_id)
    return RedirectResponse(f"{PAGE}/{endpoint_id}?done=replayed", status_code=303)


@router.post("/settings/webhooks/{endpoint_id}/replay-since")
def replay_since(
    request: Request,
    endpoint_id: str,
    operator: FormOperator,
    app: Container,
    since: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            instant = datetime.fromisoformat(since.strip()).replace(tzinfo=UTC)
        except ValueError as exc:
            raise InvalidValue("since is a date and time (UTC)", field="since") from exc
        count = uc.replay_since(
            app.uow(), app.clock, operator.organization_id, endpoint_id, instant
        )
    except DomainError as error:
        if error.status != 422:
            raise
        return _endpoint_page(request, app, operator, endpoint_id, errors=_by_field(error))
    language = request_language(request)
    flash = translate(language, N_("%(num)s deliveries are sent again now.")) % {"num": count}
    return _endpoint_page(request, app, operator, endpoint_id, flash=flash)


def _list_page(
    request: Request,
    app: Container,
    operator: Operator,
    *,
    made: Endpoint | None = None,
    form: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    context = {
        "endpoints": uc.list_endpoints(app.uow(), operator.organization_id),
        "made": made,
        "types": sorted(EVENT_TYPES),
        "form": form or {"url": "", "description": "", "event_types": []},
        "errors": errors or {},
        **_chrome(operator, "settings"),
    }
    return templates.TemplateResponse(
        request,
        "console/webhooks.html",
        context,
        status_code=422 if errors else 200,
        headers=NO_STORE,
    )


def _endpoint_page(
    request: Request,
    app: Container,
    operator: Operator,
    endpoint_id: str,
    *,
    flash: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    org = operator.organization_id
    endpoint = uc.get_endpoint(app.uow(), org, endpoint_id)
    page = uc.list_deliveries(app.uow(), org, endpoint_id, limit=SHOWN)
    context = {
        "endpoint": endpoint,
        "deliveries": page.items,
        "more": page.next_cursor is not None,
        "states": STATES,
        "types": sorted(EVENT_TYPES),
        "flash": flash,
        "errors": errors or {},
        **_chrome(operator, "settings"),
    }
    return templates.TemplateResponse(
        request,
        "console/webhook_endpoint.html",
        context,
        status_code=422 if errors else 200,
    )


def _by_field(error: DomainError) -> dict[str, str]:
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    found: dict[str, str] = {}
    for part in parts:
        field = (part.field or "").split("[")[0]
        found.setdefault(field, refusal(part))
    return found
