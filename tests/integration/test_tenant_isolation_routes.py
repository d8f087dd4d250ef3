"""Organizations sharing a deployment never see or touch each other's objects: every route.

The central test walks the app's own route table, so a new /v1 route that takes an id is covered
the day it is added: it must answer 404 to another organization's API key, exactly as if the
object did not exist."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import (
    IGNORED_METHODS,
    PARAM,
    PROBLEM,
    _body,
    _dump,
    _objects,
    _query,
    _url,
    api_routes,
)


def _id_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every /v1 route with a path parameter."""
    found = []
    for path, methods, route in api_routes(app):
        if path.startswith("/v1/") and PARAM.search(path):
            found += [(m, path, route) for m in sorted(methods - IGNORED_METHODS)]
    return found


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
