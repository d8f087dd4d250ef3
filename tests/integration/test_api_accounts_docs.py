"""The /v1 API's documentation and its answer to an unexpected failure."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.integration.route_calls import api_routes

# -- documentation ------------------------------------------------------------------------------


def test_openapi_lists_every_v1_route(client: TestClient, container: Plansmith) -> None:
    routes = {
        (path, method.lower())
        for path, methods, _route in api_routes(create_app(container))
        if path.startswith("/v1/")
        for method in methods
    }

    response = client.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {
        (path, method) for path, ops in paths.items() if path.startswith("/v1/") for method in ops
    }
    assert documented == routes
    assert {
        ("/v1/accounts", "post"),
        ("/v1/accounts", "get"),
        ("/v1/accounts/{account_id}", "get"),
        ("/v1/accounts/{account_id}", "patch"),
        ("/v1/accounts/{account_id}/invoice_addresses", "post"),
        ("/v1/accounts/{account_id}/invoice_addresses", "get"),
        ("/v1/accounts/{account_id}/invoice_addresses/{address_id}", "get"),
        ("/v1/accounts/{account_id}/invoice_addresses/{address_id}", "patch"),
        ("/v1/portal_sessions", "post"),
    } <= routes


def test_docs_page_serves_html(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_an_unexpected_failure_is_a_problem_not_a_stack_trace(
    container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("plansmith.application.accounts.accounts.get_account", explode)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        response = client.get("/v1/accounts/acct_x", headers=tenant.headers)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "fire" not in response.text
