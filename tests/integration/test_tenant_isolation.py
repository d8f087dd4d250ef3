"""Organizations sharing a deployment never see or touch each other's objects.

The central test walks the app's own route table, so a new /v1 route that takes an id is covered
the day it is added: it must answer 404 to another organization's API key, exactly as if the
object did not exist.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select, update

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.api.api_key_routes import ApiKeyCreate, ApiKeyRoll
from plansmith.entrypoints.api.billing_schemas import (
    AccountTaxRateSet,
    CouponCreate,
    CreditNoteCreate,
    RedeemRequest,
    TaxRateCreate,
)
from plansmith.entrypoints.api.catalog_schemas import (
    AddOnBody,
    ExtraPackBody,
    FamilyCreate,
    PlanCreate,
    PublishRequest,
)
from plansmith.entrypoints.api.schemas import (
    AccountCreate,
    AccountUpdate,
    AddressCreate,
    AddressUpdate,
    PortalSessionCreate,
)
from plansmith.entrypoints.api.subscription_schemas import (
    CancelRequest,
    ChangeRequest,
    SubscriptionCreate,
)
from plansmith.entrypoints.api.test_clock_routes import AdvanceRequest
from tests.conftest import Tenant
from tests.integration.table_rows import BOOKKEEPING

PROBLEM = "application/problem+json"
ACCOUNT = {"name": "Bravo Mail", "email": "billing@bravo.example", "currency": "EUR"}
ADDRESS = {"name": "Bravo GmbH", "line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"}
FAMILY = {"code": "service", "name": "Service plans"}
PLAN = {
    "code": "bravo-basic",
    "name": "Bravo Basic",
    "family": "service",
    "terms": {"base_prices": {"EUR": 1000}},
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
COUPON = {"code": "welcome", "name": "Welcome 10 %", "kind": "percent", "percent": "10"}
SECOND_ACCOUNT = {**ACCOUNT, "name": "Bravo Chat"}

# A minimal valid body per request model. A model whose fields are all optional needs no entry.
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
}
# Routes whose call ends an object's life for the ones after them take an object of their own:
# {(method, path): {path parameter: key in _objects()}}. Void and mark_paid both end an
# invoice's life, so void gets the second account's invoice.
OWN_OBJECTS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/invoices/{invoice_id}/void"): {"invoice_id": "second_invoice_id"},
    # A revoked key cannot be rolled: roll takes a key of its own.
    ("POST", "/v1/api_keys/{key_id}/roll"): {"key_id": "second_key_id"},
}
# A minimal valid query per route that has required query parameters.
QUERIES: dict[str, dict[str, str]] = {
    "/v1/plans/{plan_id}/quote": {"cycle": "month", "currency": "EUR"},
}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) of every APIRoute, included routers flattened."""
    try:  # FastAPI >= 0.16x keeps included routers as nodes; this flattens them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into app.routes
        return [(r.path, set(r.methods), r) for r in app.routes if isinstance(r, APIRoute)]
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
    _created(client, tenant, "/v1/coupons", COUPON)
    run_id = _created(client, tenant, "/v1/billing_runs", {})  # a draft per subscription
    return {
        "account_id": account_id,
        "address_id": address_id,
        "family_id": family_id,
        "plan_id": plan_id,
        "version_id": plan["current_version_id"],
        "add_on_id": _created(client, tenant, "/v1/add_ons", ADD_ON),
        "pack_id": _created(client, tenant, "/v1/extra_packs", PACK),
        "subscription_id": subscription_id,
        "invoice_id": _invoice_of(client, tenant, account_id),
        "second_account_id": second_account_id,
        "second_subscription_id": second_subscription_id,
        "second_invoice_id": _invoice_of(client, tenant, second_account_id),
        # Keys other than the one the requests are sent with (that one may not be revoked).
        "run_id": run_id,
        "key_id": _created(client, tenant, "/v1/api_keys", {"name": "backend"}),
        "second_key_id": _created(client, tenant, "/v1/api_keys", {"name": "reports"}),
    }


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


def _id_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every /v1 route with a path parameter."""
    found = []
    for path, methods, route in api_routes(app):
        if path.startswith("/v1/") and PARAM.search(path):
            found += [(m, path, route) for m in sorted(methods - IGNORED_METHODS)]
    return found


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


def _assert_not_found(response: Any, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM, what
    body = response.json()
    assert (body["status"], body["code"]) == (404, "not_found"), what


def test_every_id_route_answers_404_to_another_organizations_key(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)
    routes = _id_routes(client.app)  # type: ignore[arg-type]
    calls = []
    for method, path, route in routes:
        names = PARAM.findall(path)
        body = _body(method, path, route)
        query = _query(method, path, route)
        calls.append((method, _url(path, theirs, method), query, body))
        # Also each of their ids alone among mine: a route must check every id it takes.
        if len(names) > 1:
            for name in names:
                url = _url(path, {**mine, name: theirs[name]}, method)
                calls.append((method, url, query, body))
    before = _dump(container)

    answers = [
        (
            method,
            url,
            client.request(method, url, params=query, json=body, headers=tenant.headers),
        )
        for method, url, query, body in calls
    ]

    leaks = [
        f"{method} {url} -> {r.status_code} {r.headers.get('content-type')} {r.text[:200]}"
        for method, url, r in answers
        if (r.status_code, r.headers.get("content-type")) != (404, PROBLEM)
        or r.json()["code"] != "not_found"
    ]
    assert leaks == [], "another organization's key must get 404 problem+json"
    assert _dump(container) == before
    assert {(m, p) for m, p, _ in routes} >= {
        ("GET", "/v1/accounts/{account_id}"),
        ("PATCH", "/v1/accounts/{account_id}"),
        ("GET", "/v1/accounts/{account_id}/invoice_addresses"),
        ("POST", "/v1/accounts/{account_id}/invoice_addresses"),
        ("GET", "/v1/accounts/{account_id}/invoice_addresses/{address_id}"),
        ("PATCH", "/v1/accounts/{account_id}/invoice_addresses/{address_id}"),
        ("GET", "/v1/plan_families/{family_id}"),
        ("PATCH", "/v1/plan_families/{family_id}"),
        ("GET", "/v1/plans/{plan_id}"),
        ("PATCH", "/v1/plans/{plan_id}"),
        ("PATCH", "/v1/plans/{plan_id}/draft"),
        ("POST", "/v1/plans/{plan_id}/publish"),
        ("PATCH", "/v1/plans/{plan_id}/versions/{version_id}"),
        ("POST", "/v1/plans/{plan_id}/copy"),
        ("POST", "/v1/plans/{plan_id}/archive"),
        ("GET", "/v1/plans/{plan_id}/quote"),
        ("GET", "/v1/add_ons/{add_on_id}"),
        ("PATCH", "/v1/add_ons/{add_on_id}"),
        ("POST", "/v1/add_ons/{add_on_id}/archive"),
        ("GET", "/v1/extra_packs/{pack_id}"),
        ("PATCH", "/v1/extra_packs/{pack_id}"),
        ("POST", "/v1/extra_packs/{pack_id}/archive"),
        ("GET", "/v1/subscriptions/{subscription_id}"),
        ("GET", "/v1/subscriptions/{subscription_id}/items"),
        ("GET", "/v1/subscriptions/{subscription_id}/events"),
        ("GET", "/v1/subscriptions/{subscription_id}/notices"),
        ("POST", "/v1/subscriptions/{subscription_id}/changes/preview"),
        ("POST", "/v1/subscriptions/{subscription_id}/changes"),
        ("DELETE", "/v1/subscriptions/{subscription_id}/scheduled_change"),
        ("POST", "/v1/subscriptions/{subscription_id}/cancel/preview"),
        ("POST", "/v1/subscriptions/{subscription_id}/cancel"),
        ("POST", "/v1/subscriptions/{subscription_id}/reactivate"),
        ("POST", "/v1/subscriptions/{subscription_id}/pause"),
        ("POST", "/v1/subscriptions/{subscription_id}/resume"),
        ("GET", "/v1/accounts/{account_id}/plans"),
        ("POST", "/v1/accounts/{account_id}/tax_rate"),
        ("POST", "/v1/subscriptions/{subscription_id}/coupons"),
        ("GET", "/v1/subscriptions/{subscription_id}/coupons"),
        ("GET", "/v1/invoices/{invoice_id}"),
        ("POST", "/v1/invoices/{invoice_id}/finalize"),
        ("POST", "/v1/invoices/{invoice_id}/void"),
        ("POST", "/v1/invoices/{invoice_id}/mark_uncollectible"),
        ("POST", "/v1/invoices/{invoice_id}/mark_paid"),
        ("POST", "/v1/invoices/{invoice_id}/credit_notes"),
        ("GET", "/v1/invoices/{invoice_id}/credit_notes"),
        ("GET", "/v1/accounts/{account_id}/upcoming_invoices"),
        ("GET", "/v1/accounts/{account_id}/ledger"),
    }


def test_the_same_calls_succeed_with_the_owners_key(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)

    # In the app's route order: the draft is published before the plan is archived.
    for method, path, route in _id_routes(client.app):  # type: ignore[arg-type]
        url = _url(path, theirs, method)
        response = client.request(
            method,
            url,
            params=_query(method, path, route),
            json=_body(method, path, route),
            headers=other_tenant.headers,
        )
        assert response.status_code in (200, 201), f"{method} {url}: {response.text}"


def test_list_never_shows_another_organizations_accounts(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = client.get("/v1/accounts", headers=tenant.headers)
    by_name = client.get("/v1/accounts", params={"search": "bravo"}, headers=tenant.headers)
    by_id = client.get(
        "/v1/accounts", params={"search": theirs["account_id"]}, headers=tenant.headers
    )

    # Made at the same instant, they are listed by id.
    mine_only = sorted([mine["account_id"], mine["second_account_id"]])
    assert [a["id"] for a in listed.json()["data"]] == mine_only
    assert [a["id"] for a in by_name.json()["data"]] == mine_only
    assert by_id.json()["data"] == []


def test_subscription_list_never_shows_another_organizations_subscriptions(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = client.get("/v1/subscriptions", headers=tenant.headers)
    by_their_account = client.get(
        "/v1/subscriptions", params={"account_id": theirs["account_id"]}, headers=tenant.headers
    )

    mine_only = sorted([mine["subscription_id"], mine["second_subscription_id"]])
    assert [s["id"] for s in listed.json()["data"]] == mine_only
    assert by_their_account.json()["data"] == []


def test_subscribing_another_organizations_account_is_404_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    _objects(client, tenant)
    before = _dump(container)

    response = client.post(
        "/v1/subscriptions",
        json={"account_id": theirs["account_id"], "plan": PLAN["code"]},
        headers=tenant.headers,
    )

    _assert_not_found(response, "subscribing another organization's account")
    assert response.json()["field"] == "account_id"
    assert _dump(container) == before


def test_portal_session_for_another_organizations_account_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)

    response = client.post(
        "/v1/portal_sessions", json={"account_id": theirs["account_id"]}, headers=tenant.headers
    )

    _assert_not_found(response, "portal session")
    assert response.json()["field"] == "account_id"


def test_default_address_from_another_organization_is_404_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)
    before = _dump(container)

    response = client.patch(
        f"/v1/accounts/{mine['account_id']}",
        json={"default_invoice_address_id": theirs["address_id"]},
        headers=tenant.headers,
    )

    _assert_not_found(response, "default address of another organization")
    assert _dump(container) == before


def test_invoice_list_never_shows_another_organizations_invoices(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = client.get("/v1/invoices", headers=tenant.headers)
    by_their_account = client.get(
        "/v1/invoices", params={"account_id": theirs["account_id"]}, headers=tenant.headers
    )

    mine_only = sorted([mine["invoice_id"], mine["second_invoice_id"]])
    assert [i["id"] for i in listed.json()["data"]] == mine_only
    assert by_their_account.json()["data"] == []


def test_redeeming_another_organizations_coupon_is_404_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    _objects(client, other_tenant)
    mine = _objects(client, tenant)
    theirs_only = {**COUPON, "code": "theirs-only"}
    _created(client, other_tenant, "/v1/coupons", theirs_only)
    before = _dump(container)

    response = client.post(
        f"/v1/subscriptions/{mine['subscription_id']}/coupons",
        json={"code": "theirs-only"},
        headers=tenant.headers,
    )

    _assert_not_found(response, "redeeming another organization's coupon")
    assert response.json()["field"] == "code"
    assert _dump(container) == before


def test_a_billing_run_finalizes_only_its_own_organizations_invoices(
    client: TestClient, clock: TestClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)
    clock.advance(timedelta(minutes=60))  # both organizations' drafts are past their grace

    run = client.post("/v1/billing_runs", headers=tenant.headers)

    assert (run.status_code, run.json()["finalized"]) == (201, 2)
    statuses = {
        who: [
            client.get(f"/v1/invoices/{ids[key]}", headers=tenant_.headers).json()["status"]
            for key in ("invoice_id", "second_invoice_id")
        ]
        for who, ids, tenant_ in (("mine", mine, tenant), ("theirs", theirs, other_tenant))
    }
    assert statuses == {"mine": ["open", "open"], "theirs": ["draft", "draft"]}
    runs = client.get("/v1/billing_runs", headers=other_tenant.headers).json()["data"]
    assert len(runs) == 1  # theirs, made by _objects(); not mine


def test_organization_endpoint_names_the_keys_organization(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = client.get("/v1/organization", headers=tenant.headers)
    theirs = client.get("/v1/organization", headers=other_tenant.headers)

    assert (mine.json()["id"], mine.json()["name"]) == (tenant.organization_id, "Acme Operator")
    assert theirs.json()["id"] == other_tenant.organization_id


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer sk_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "sk_without_scheme"],
)
def test_missing_or_wrong_api_key_is_401_problem(
    client: TestClient, tenant: Tenant, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/v1/accounts", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"


def test_revoked_api_key_is_401(client: TestClient, container: Plansmith, tenant: Tenant) -> None:
    with container.engine.begin() as connection:
        connection.execute(update(t.api_keys).values(revoked_at=container.clock.now()))

    response = client.get("/v1/organization", headers=tenant.headers)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_every_v1_route_without_a_key_is_401_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    ids = _objects(client, tenant)
    before = _dump(container)
    walked = 0

    for path, methods, route in api_routes(client.app):  # type: ignore[arg-type]
        if not path.startswith("/v1/"):
            continue
        for method in sorted(methods - IGNORED_METHODS):
            url = _url(path, ids, method)
            body = _body(method, path, route)
            query = _query(method, path, route)
            for headers in ({}, {"Authorization": "Bearer sk_wrong", "Idempotency-Key": "k1"}):
                response = client.request(method, url, params=query, json=body, headers=headers)
                assert response.status_code == 401, f"{method} {url}: {response.text}"
                assert response.headers["content-type"] == PROBLEM
                walked += 1

    assert walked >= 2 * 10
    assert _dump(container) == before
