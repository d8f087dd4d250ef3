"""The console's list of every subscription: filtered by status, plan family, plan and
customer (name, email, external id or id), a page at a time, with each one's price per period
and monthly value. A filter that names nothing known is answered beside the filters (422)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.screens.subscription_list import SubscriptionList, subscription_list
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.entrypoints.console.routes import (
    PAGE_SIZE,
    PREFIX,
    CurrentOperator,
    _chrome,
    templates,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import request_language
from plansmith.entrypoints.webui.words import cycle_label, subscription_states

NO_STORE = {"Cache-Control": "no-store"}
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/subscriptions")
def subscriptions(
    request: Request,
    operator: CurrentOperator,
    app: Container,
    status: str = "",
    family: str = "",
    plan: str = "",
    search: str = "",
    cursor: str = "",
) -> Response:
    language = request_language(request)
    filters = {"status": status, "family": family, "plan": plan, "search": search.strip()}
    error: InvalidValue | None = None
    try:
        found: SubscriptionList | None = subscription_list(
            app.uow(),
            operator.organization_id,
            status=status,
            family_id=family,
            plan_id=plan,
            search=search,
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
    except InvalidValue as refused:
        found, error = None, refused
    context = {
        "found": found,
        "filters": filters,
        "error": error,
        "statuses": subscription_states(language),
        "status_name": dict(subscription_states(language)),
        "cycle_name": lambda cycle: cycle_label(cycle, language),
        "ui_language": language,
        **_chrome(operator, "subscriptions"),
    }
    return templates.TemplateResponse(
        request,
        "console/subscriptions.html",
        context,
        status_code=422 if error is not None else 200,
        headers=NO_STORE,
    )
