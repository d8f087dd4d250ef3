"""The ASGI application factory: API, portal and console on one server. Built on demand."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.api import openapi, problems
from plansmith.entrypoints.api.accounts.routes import router as api_router
from plansmith.entrypoints.api.billing.run_routes import router as billing_run_router
from plansmith.entrypoints.api.billing.test_clock_routes import router as test_clock_router
from plansmith.entrypoints.api.catalog.extras_routes import router as catalog_extras_router
from plansmith.entrypoints.api.catalog.routes import router as catalog_router
from plansmith.entrypoints.api.events.routes import router as event_router
from plansmith.entrypoints.api.idempotency import IdempotencyMiddleware
from plansmith.entrypoints.api.invoicing.ledger_routes import router as ledger_router
from plansmith.entrypoints.api.invoicing.routes import router as invoice_router
from plansmith.entrypoints.api.invoicing.tax_coupon_routes import router as tax_coupon_router
from plansmith.entrypoints.api.organizations.api_key_routes import router as api_key_router
from plansmith.entrypoints.api.subscriptions.routes import router as subscription_router
from plansmith.entrypoints.console import routes as console
from plansmith.entrypoints.console.api_key_routes import router as console_api_key_router
from plansmith.entrypoints.console.billing_routes import router as console_billing_router
from plansmith.entrypoints.console.catalog_routes import router as console_catalog_router
from plansmith.entrypoints.portal import routes as portal
from plansmith.entrypoints.portal.invoices_routes import router as portal_invoices_router
from plansmith.entrypoints.portal.plans_routes import router as portal_plans_router
from plansmith.entrypoints.read_requests import ReadOnlyGets
from plansmith.entrypoints.request_text import refuse_unstorable_text
from plansmith.entrypoints.server_errors import CleanServerErrors
from plansmith.entrypoints.webui import errors as page_errors
from plansmith.entrypoints.webui.templating import STATIC

DESCRIPTION = """Plan catalog, subscription billing and self-service billing portal.

Authenticate with an organization's API key: `Authorization: Bearer sk_...`.
Every POST and PATCH accepts an `Idempotency-Key` header; errors are
`application/problem+json` with a stable `code` and the offending `field`.
Lists are paginated with `?cursor=` and `next_cursor`."""


def create_app(container: Plansmith) -> FastAPI:
    app = FastAPI(
        title="plansmith",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        # A route's operation id is its operation_id, else its function's name: never the
        # long path-derived default, since generated clients name their functions after it.
        generate_unique_id_function=lambda route: route.name,
        # Before every route: no NUL or lone surrogate in a path, query or JSON string.
        dependencies=[Depends(refuse_unstorable_text)],
    )
    app.state.plansmith = container
    problems.install(app)
    openapi.install(app)
    app.include_router(api_router)
    app.include_router(catalog_router)
    app.include_router(catalog_extras_router)
    app.include_router(subscription_router)
    app.include_router(tax_coupon_router)
    app.include_router(invoice_router)
    app.include_router(billing_run_router)
    app.include_router(ledger_router)
    app.include_router(test_clock_router)
    app.include_router(api_key_router)
    app.include_router(event_router)
    # Browser areas answer errors with HTML pages; /v1 keeps problem+json.
    page_errors.install(app, {portal.PREFIX: portal.error_page, console.PREFIX: console.error_page})
    app.include_router(portal.router)
    app.include_router(portal_plans_router)
    app.include_router(portal_invoices_router)
    app.include_router(console.router)
    app.include_router(console_catalog_router)
    app.include_router(console_billing_router)
    app.include_router(console_api_key_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Inside the idempotency middleware, so the 500 it keeps for a key is the real answer;
    # around it too, for its own failures (the database gone while it claims a key).
    app.add_middleware(CleanServerErrors, handlers=app.exception_handlers)
    app.add_middleware(IdempotencyMiddleware, container=container)
    app.add_middleware(CleanServerErrors, handlers=app.exception_handlers)
    app.add_middleware(ReadOnlyGets)  # outermost: every GET's units of work only read

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
