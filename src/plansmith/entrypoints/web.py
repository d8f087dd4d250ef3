"""The ASGI application factory: API, portal and console on one server. Built on demand.

`plansmith serve` hands uvicorn the import string of `app_from_environment`, so each worker
process builds its own app (engine, pool, signer) from the same environment.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from plansmith.bootstrap import Plansmith, Settings, bootstrap
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
from plansmith.entrypoints.api.organizations.notice_settings_routes import (
    router as notice_settings_router,
)
from plansmith.entrypoints.api.organizations.sandbox_routes import router as sandbox_router
from plansmith.entrypoints.api.organizations.settings_routes import router as settings_router
from plansmith.entrypoints.api.payments.history_routes import router as payment_history_router
from plansmith.entrypoints.api.payments.routes import router as payment_router
from plansmith.entrypoints.api.payments.settings_routes import router as payment_settings_router
from plansmith.entrypoints.api.payments.webhook_routes import router as stripe_webhook_router
from plansmith.entrypoints.api.subscriptions.routes import router as subscription_router
from plansmith.entrypoints.api.usage.pack_routes import router as pack_router
from plansmith.entrypoints.api.usage.routes import router as usage_router
from plansmith.entrypoints.api.webhooks.routes import router as webhook_router
from plansmith.entrypoints.console import routes as console
from plansmith.entrypoints.console.api_key_routes import router as console_api_key_router
from plansmith.entrypoints.console.billing_routes import router as console_billing_router
from plansmith.entrypoints.console.catalog_routes import router as console_catalog_router
from plansmith.entrypoints.console.charges_routes import router as console_charges_router
from plansmith.entrypoints.console.customer_mail_routes import (
    router as console_customer_mail_router,
)
from plansmith.entrypoints.console.customer_payment_routes import (
    router as console_customer_payments_router,
)
from plansmith.entrypoints.console.customer_plans_routes import router as console_plans_router
from plansmith.entrypoints.console.dashboard_routes import router as console_dashboard_router
from plansmith.entrypoints.console.dunning_routes import router as console_dunning_router
from plansmith.entrypoints.console.pack_sales_routes import router as console_pack_sales_router
from plansmith.entrypoints.console.payment_routes import router as console_payments_router
from plansmith.entrypoints.console.sandbox_routes import router as console_sandbox_router
from plansmith.entrypoints.console.settings_routes import router as console_settings_router
from plansmith.entrypoints.console.subscriptions_routes import router as console_subs_router
from plansmith.entrypoints.console.webhook_routes import router as console_webhook_router
from plansmith.entrypoints.portal import routes as portal
from plansmith.entrypoints.portal.invoices_routes import router as portal_invoices_router
from plansmith.entrypoints.portal.notices_routes import router as portal_notices_router
from plansmith.entrypoints.portal.packages_routes import router as portal_packages_router
from plansmith.entrypoints.portal.pay_routes import router as portal_pay_router
from plansmith.entrypoints.portal.payments_routes import router as portal_payments_router
from plansmith.entrypoints.portal.plans_routes import router as portal_plans_router
from plansmith.entrypoints.read_requests import ReadOnlyGets
from plansmith.entrypoints.routers import EVERY_ROUTE, add_routes, route_name
from plansmith.entrypoints.server_errors import CleanServerErrors
from plansmith.entrypoints.webui import errors as page_errors
from plansmith.entrypoints.webui.branding import router as branding_router
from plansmith.entrypoints.webui.language_routes import router as language_router
from plansmith.entrypoints.webui.templating import SHARED_TEMPLATES, STATIC, make_templates

DESCRIPTION = """Plan catalog, subscription billing and self-service billing portal.

Authenticate with an organization's API key: `Authorization: Bearer sk_...`.
Every POST and PATCH accepts an `Idempotency-Key` header; errors are
`application/problem+json` with a stable `code` and the offending `field`.
Lists are paginated with `?cursor=` and `next_cursor`."""

LANDING = make_templates(SHARED_TEMPLATES)


def app_from_environment() -> FastAPI:
    """The app of one server process, its settings read from the environment (PLANSMITH_*,
    DATABASE_URL). Every worker reads the same secret key: PLANSMITH_SECRET_KEY, else the
    var/secret_key file that `plansmith serve` makes before it starts any worker.

    The objects built so far (modules, routes, models: most of the process) are frozen out
    of the garbage collector's generations: a batch of 1,000 usage events makes tens of
    thousands of short-lived objects, and each collection they set off walked the whole app
    again (about a quarter of a batch's CPU)."""
    app = create_app(bootstrap(Settings()))
    gc.collect()
    gc.freeze()
    return app


def create_app(container: Plansmith) -> FastAPI:
    app = FastAPI(
        title="plansmith",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        # For the app's own routes (below); the routers' routes have them from app_router.
        generate_unique_id_function=route_name,
        dependencies=EVERY_ROUTE,
    )
    app.state.plansmith = container
    problems.install(app)
    openapi.install(app)
    add_routes(app, api_router)
    add_routes(app, catalog_router)
    add_routes(app, catalog_extras_router)
    add_routes(app, subscription_router)
    add_routes(app, tax_coupon_router)
    add_routes(app, invoice_router)
    add_routes(app, billing_run_router)
    add_routes(app, ledger_router)
    add_routes(app, payment_router)
    add_routes(app, payment_history_router)
    add_routes(app, payment_settings_router)
    add_routes(app, webhook_router)
    add_routes(app, stripe_webhook_router)
    add_routes(app, test_clock_router)
    add_routes(app, api_key_router)
    add_routes(app, notice_settings_router)
    add_routes(app, settings_router)
    add_routes(app, sandbox_router)
    add_routes(app, event_router)
    add_routes(app, usage_router)
    add_routes(app, pack_router)
    # Browser areas answer errors with HTML pages; /v1 keeps problem+json.
    page_errors.install(app, {portal.PREFIX: portal.error_page, console.PREFIX: console.error_page})
    add_routes(app, portal.router)
    add_routes(app, portal_plans_router)
    add_routes(app, console_charges_router)
    add_routes(app, portal_packages_router)
    add_routes(app, portal_invoices_router)
    add_routes(app, portal_payments_router)
    add_routes(app, portal_pay_router)
    add_routes(app, portal_notices_router)
    add_routes(app, console.router)
    add_routes(app, console_catalog_router)
    add_routes(app, console_pack_sales_router)
    add_routes(app, console_payments_router)  # before /invoices/{invoice_id}/{action}
    add_routes(app, console_customer_payments_router)
    add_routes(app, console_customer_mail_router)
    add_routes(app, console_dunning_router)
    add_routes(app, console_webhook_router)
    add_routes(app, console_billing_router)
    add_routes(app, console_api_key_router)
    add_routes(app, console_dashboard_router)
    add_routes(app, console_subs_router)
    add_routes(app, console_plans_router)
    add_routes(app, console_settings_router)
    add_routes(app, console_sandbox_router)
    add_routes(app, language_router)
    add_routes(app, branding_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Inside the idempotency middleware, so the 500 it keeps for a key is the real answer;
    # around it too, for its own failures (the database gone while it claims a key).
    app.add_middleware(CleanServerErrors, handlers=app.exception_handlers)
    app.add_middleware(IdempotencyMiddleware, container=container)
    app.add_middleware(CleanServerErrors, handlers=app.exception_handlers)
    app.add_middleware(ReadOnlyGets)  # outermost: every GET's units of work only read

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home(request: Request) -> Response:
        """Where a newcomer lands: the console, the API docs, how customers reach the portal."""
        return LANDING.TemplateResponse(request, "landing.html", {})

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
