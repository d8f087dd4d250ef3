"""Every /v1 route of the app with a minimal valid call: the body, the query and the objects
of an organization to point it at. Walking the app's own route table means a new /v1 route is
covered by the tests that use this the day it is added."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.api.billing.test_clock_routes import AdvanceRequest
from plansmith.entrypoints.api.catalog.schemas import (
    AddOnBody,
    ExtraPackBody,
    FamilyCreate,
    PlanCreate,
    PublishRequest,
)
from plansmith.entrypoints.api.invoicing.credit_note_schemas import CreditNoteCreate
from plansmith.entrypoints.api.invoicing.tax_coupon_schemas import (
    AccountTaxRateSet,
    CouponCreate,
    RedeemRequest,
    TaxRateCreate,
)
from plansmith.entrypoints.api.organizations.api_key_routes import ApiKeyCreate, ApiKeyRoll
from plansmith.entrypoints.api.payments.schemas import (
    CollectionMethodSet,
    PaymentMethodCreate,
    RefundCreate,
    TopUpCreate,
)
from plansmith.entrypoints.api.schemas import (
    AccountCreate,
    AccountUpdate,
    AddressCreate,
    AddressUpdate,
    PortalSessionCreate,
)
from plansmith.entrypoints.api.subscriptions.schemas import (
    CancelRequest,
    ChangeRequest,
    SubscriptionCreate,
)
from plansmith.entrypoints.api.usage.pack_schemas import PackBuy
from plansmith.entrypoints.api.usage.schemas import (
    MeterCreate,
    UsageBatchIn,
    UsageEventIn,
    UsageSettingsIn,
)
from plansmith.entrypoints.api.webhooks.schemas import (
    ReplaySince,
    SecretRotate,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)
from tests.conftest import Tenant
from tests.integration.table_rows import BOOKKEEPING

PROBLEM = "application/problem+json"


ACCOUNT = {
    "name": "Bravo Mail",
    "email": "billing@bravo.example",
    "currency": "EUR",
    "external_id": "bravo-mail",
}


ADDRESS = {"name": "Bravo GmbH", "line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"}


FAMILY = {"code": "service", "name": "Service plans"}


PLAN = {
    "code": "bravo-basic",
    "name": "Bravo Basic",
    "family": "service",
    "terms": {"base_prices": {"EUR": 1000}, "allowances": {"chatbot_sessions": 1000}},
    "publish": True,
}


ADD_ON = {
    "code": "telegram",
    "name": "Telegram integration",
    "prices": [{"currency": "EUR", "cycle": "month", "amount": 500}],
}


PACK = {
    "code": "chatbot-1000",
    "name": "1,000 chatbot extra sessions",
    "prices": {"EUR": 4900},
    "allowance": "chatbot_sessions",
    "amount": 1000,
}


METER = {"code": "calls", "name": "API calls", "event_code": "api_call", "aggregation": "count"}


COUPON = {"code": "welcome", "name": "Welcome 10 %", "kind": "percent", "percent": "10"}


SECOND_ACCOUNT = {**ACCOUNT, "name": "Bravo Chat", "external_id": "bravo-chat"}


PAYING_ACCOUNT = {**ACCOUNT, "name": "Bravo Pay", "external_id": "bravo-pay"}


# A minimal valid body per request model. A model whose fields are all optional needs no entry.
# An address on the Internet the route walks never send to (no delivery worker runs).
ENDPOINT = {"url": "https://93.184.215.14/hooks"}
BODIES: dict[type[BaseModel], dict[str, Any]] = {
    AccountCreate: ACCOUNT,
    PortalSessionCreate: {"account_id": "acct_unused"},
    AddressCreate: ADDRESS,
    AccountUpdate: {"name": "Hijacked"},
    AddressUpdate: {"city": "Hijacked"},
    FamilyCreate: {"code": "hijacked", "name": "Hijacked"},
    PlanCreate: {**PLAN, "code": "hijacked"},
    PublishRequest: {"apply_to_existing": "never"},
    AddOnBody: {**ADD_ON, "code": "hijacked"},
    ExtraPackBody: {**PACK, "code": "hijacked"},
    SubscriptionCreate: {"account_id": "acct_unused", "plan": PLAN["code"]},
    # Fewer seats waits for the term end (the default policy): the owner's walk schedules it,
    # then withdraws it with DELETE .../scheduled_change.
    ChangeRequest: {"quantity": 1},
    # term_end, so that the reactivate which follows in route order withdraws it.
    CancelRequest: {"when": "term_end"},
    TaxRateCreate: {"name": "Hijacked", "percent": "10", "country": "DE"},
    AccountTaxRateSet: {"tax_rate_id": None},
    CouponCreate: {"code": "hijacked", "name": "Hijacked", "kind": "percent", "percent": "10"},
    RedeemRequest: {"code": COUPON["code"]},
    # The owner's walk credits the invoice after finalizing and marking it paid.
    CreditNoteCreate: {"amount": 100, "reason": "Goodwill"},
    AdvanceRequest: {"to": "2026-02-01T00:00:00+00:00"},  # a live organization's: refused
    ApiKeyCreate: {"name": "Hijacked"},
    ApiKeyRoll: {"expires_in": 3600},
    PaymentMethodCreate: {"source": "tok_sandbox_success"},  # a sandbox test token
    TopUpCreate: {"amount": 100, "currency": ACCOUNT["currency"]},
    RefundCreate: {"amount": 100, "reason": "Goodwill"},
    CollectionMethodSet: {"method": "charge_automatically"},
    MeterCreate: {**METER, "code": "hijacked"},
    # An event of an account of the organization that sends it (acct_unused: refused 404).
    UsageEventIn: {
        "id": "evt-1",
        "account_id": "acct_unused",
        "code": "api_call",
        "timestamp": "2026-02-01T00:00:00+00:00",
    },
    UsageBatchIn: {"events": []},
    PackBuy: {"pack": "chatbot-bought"},  # a pack the walk does not archive (see _objects)
    UsageSettingsIn: {"event_grace_seconds": 600},
    WebhookEndpointCreate: {"url": "https://93.184.215.14/hijacked"},
    WebhookEndpointUpdate: {"description": "Hijacked"},
    SecretRotate: {"overlap_seconds": 0},
    ReplaySince: {"since": "2026-01-01T00:00:00+00:00"},
}


# Routes whose call ends an object's life for the ones after them take an object of their own:
# {(method, path): {path parameter: key in _objects()}}. Void and mark_paid both end an
# invoice's life, so void gets the second account's invoice.
OWN_OBJECTS: dict[tuple[str, str], dict[str, str]] = {
    # Deleting an endpoint ends it for the webhook routes after it: delete takes its own.
    ("DELETE", "/v1/webhook_endpoints/{endpoint_id}"): {"endpoint_id": "second_endpoint_id"},
    ("POST", "/v1/invoices/{invoice_id}/void"): {"invoice_id": "second_invoice_id"},
    # A revoked key cannot be rolled: roll takes a key of its own.
    ("POST", "/v1/api_keys/{key_id}/roll"): {"key_id": "second_key_id"},
    # An open invoice whose card declines once: "retry now" fails, then paying it succeeds.
    ("POST", "/v1/invoices/{invoice_id}/retry"): {"invoice_id": "payable_invoice_id"},
    ("POST", "/v1/invoices/{invoice_id}/pay"): {"invoice_id": "payable_invoice_id"},
}


# A minimal valid query per route that has required query parameters.
QUERIES: dict[str, dict[str, str]] = {
    "/v1/plans/{plan_id}/quote": {"cycle": "month", "currency": "EUR"},
    # an organization's own external id: each organization has an account "bravo-mail"
    "/v1/entitlements": {"external_id": "bravo-mail"},
}


# /v1 routes called without an API key: Stripe's webhook is checked by its signature instead
# (tests/integration/test_payments_api_stripe_webhook.py).
KEYLESS = frozenset({"/v1/payments/stripe/webhook"})


PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) of every APIRoute, included routers flattened."""
    try:  # FastAPI >= 0.16x keeps included routers as nodes; this flattens them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into app.routes
        return [(r.path, set(r.methods or ()), r) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (str(c.path), set(c.methods or ()), c.original_route)
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    ]


def _created(client: TestClient, tenant: Tenant, path: str, body: dict[str, Any]) -> str:
    response = client.post(path, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    object_id: str = response.json()["id"]
    return object_id


def _objects(client: TestClient, tenant: Tenant) -> dict[str, str]:
    """One object of every kind a /v1 path can name, keyed by the path parameter's name."""
    account_id = _created(client, tenant, "/v1/accounts", ACCOUNT)
    address_id = _created(client, tenant, f"/v1/accounts/{account_id}/invoice_addresses", ADDRESS)
    family_id = _created(client, tenant, "/v1/plan_families", FAMILY)
    plan_id = _created(client, tenant, "/v1/plans", PLAN)  # version 1, published
    # ...and a draft, so that publishing it is a call that can succeed.
    draft = client.patch(
        f"/v1/plans/{plan_id}/draft",
        json={"terms": {"base_prices": {"EUR": 1200}}},
        headers=tenant.headers,
    )
    assert draft.status_code == 200, draft.text
    plan = client.get(f"/v1/plans/{plan_id}", headers=tenant.headers).json()
    subscription = {"account_id": account_id, "plan": PLAN["code"], "quantity": 2}
    subscription_id = _created(client, tenant, "/v1/subscriptions", subscription)
    # A second account, so that there are two invoices (see OWN_OBJECTS).
    second_account_id = _created(client, tenant, "/v1/accounts", SECOND_ACCOUNT)
    second = {"account_id": second_account_id, "plan": PLAN["code"]}
    second_subscription_id = _created(client, tenant, "/v1/subscriptions", second)
    # A third account with a card that declines its first charge (see OWN_OBJECTS).
    paying_account_id = _created(client, tenant, "/v1/accounts", PAYING_ACCOUNT)
    paying = {"account_id": paying_account_id, "plan": PLAN["code"]}
    paying_subscription_id = _created(client, tenant, "/v1/subscriptions", paying)
    once = {"source": "tok_sandbox_declines_1"}
    _created(client, tenant, f"/v1/accounts/{paying_account_id}/payment_methods", once)
    _created(client, tenant, "/v1/coupons", COUPON)
    run_id = _created(client, tenant, "/v1/billing_runs", {})  # a draft per subscription
    methods = f"/v1/accounts/{account_id}/payment_methods"
    card_id = _created(client, tenant, methods, {"source": "tok_sandbox_success"})
    top_up = {"amount": 500, "currency": ACCOUNT["currency"]}
    payment_id = _created(client, tenant, f"/v1/accounts/{account_id}/top_ups", top_up)
    payable_invoice_id = _invoice_of(client, tenant, paying_account_id)
    # a pack the walk buys (POST .../packs) and does not archive, as it does pack_id
    bought_pack_id = _created(client, tenant, "/v1/extra_packs", {**PACK, "code": "chatbot-bought"})
    finalized = client.post(f"/v1/invoices/{payable_invoice_id}/finalize", headers=tenant.headers)
    assert finalized.status_code == 200, finalized.text
    return {
        "account_id": account_id,
        "address_id": address_id,
        "family_id": family_id,
        "plan_id": plan_id,
        "version_id": plan["current_version_id"],
        "add_on_id": _created(client, tenant, "/v1/add_ons", ADD_ON),
        "pack_id": _created(client, tenant, "/v1/extra_packs", PACK),
        "bought_pack_id": bought_pack_id,
        "subscription_id": subscription_id,
        "invoice_id": _invoice_of(client, tenant, account_id),
        "second_account_id": second_account_id,
        "second_subscription_id": second_subscription_id,
        "second_invoice_id": _invoice_of(client, tenant, second_account_id),
        # Keys other than the one the requests are sent with (that one may not be revoked).
        "run_id": run_id,
        "key_id": _created(client, tenant, "/v1/api_keys", {"name": "backend"}),
        "second_key_id": _created(client, tenant, "/v1/api_keys", {"name": "reports"}),
        "event_id": _event_of(client, tenant, subscription_id),
        "sandbox_id": _created(client, tenant, "/v1/sandboxes", {"name": "Route walk"}),
        "payment_method_id": card_id,
        "payment_id": payment_id,
        "paying_account_id": paying_account_id,
        "paying_subscription_id": paying_subscription_id,
        "payable_invoice_id": payable_invoice_id,
        "meter_code": _meter(client, tenant),
        # An address on the Internet the route walks never send to (no delivery worker runs).
        "endpoint_id": _created(client, tenant, "/v1/webhook_endpoints", ENDPOINT),
        "second_endpoint_id": _created(client, tenant, "/v1/webhook_endpoints", ENDPOINT),
    }


def _meter(client: TestClient, tenant: Tenant) -> str:
    """A meter whose code no other organization has: a code is a meter's name in its own
    organization only, and another's key must find nothing by it."""
    body = {**METER, "code": f"calls-{tenant.organization_id.lower().replace('_', '-')}"}
    response = client.post("/v1/meters", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


def _event_of(client: TestClient, tenant: Tenant, object_id: str) -> str:
    params = {"object_id": object_id, "limit": 1}
    response = client.get("/v1/events", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    event_id: str = response.json()["data"][0]["id"]
    return event_id


def _invoice_of(client: TestClient, tenant: Tenant, account_id: str) -> str:
    response = client.get("/v1/invoices", params={"account_id": account_id}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    [invoice] = response.json()["data"]
    invoice_id: str = invoice["id"]
    return invoice_id


def _body(method: str, path: str, route: APIRoute) -> dict[str, Any] | None:
    if route.body_field is None:
        return None
    annotation = route.body_field.field_info.annotation
    if annotation in BODIES:
        return BODIES[annotation]
    assert annotation is not None, path
    try:
        TypeAdapter(annotation).validate_python({})
    except ValidationError:
        pytest.fail(
            f"{method} {path} needs a body of {getattr(annotation, '__name__', annotation)}: "
            f"add a minimal valid one to BODIES in {__name__}"
        )
    return {}


def _required_query(route: APIRoute) -> set[str]:
    """Names of the required query parameters of a route and of its dependencies."""
    found, pending = set(), [route.dependant]
    while pending:
        dependant = pending.pop()
        found |= {p.alias for p in dependant.query_params if p.field_info.is_required()}
        pending += dependant.dependencies
    return found


def _query(method: str, path: str, route: APIRoute) -> dict[str, str]:
    query = QUERIES.get(path, {})
    missing = _required_query(route) - set(query)
    if missing:
        pytest.fail(
            f"{method} {path} requires query parameters {sorted(missing)}: add minimal valid "
            f"values to QUERIES in {__name__}"
        )
    return query


def _url(path: str, ids: dict[str, str], method: str) -> str:
    own = OWN_OBJECTS.get((method, path), {})
    ids = {**ids, **{name: ids[key] for name, key in own.items()}}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            pytest.fail(
                f"{method} {path} takes {{{name}}}, but the tenant isolation test has no object "
                f"for it: create one in _objects() in {__name__} (for both organizations) and "
                f"map {name!r} to its id"
            )
        return ids[name]

    return PARAM.sub(fill, path)


def _dump(container: Plansmith) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused request wrote nothing anywhere."""
    with container.engine.connect() as connection:
        return {
            table.name: sorted(
                tuple(row)
                for row in connection.execute(
                    select(*(c for c in table.columns if c not in BOOKKEEPING))
                ).all()
            )
            for table in t.metadata.sorted_tables
        }
