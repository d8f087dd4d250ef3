"""API keys name one organization: a missing, wrong or revoked key is 401 on every /v1 route
and writes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import (
    IGNORED_METHODS,
    KEYLESS,
    PROBLEM,
    _body,
    _dump,
    _objects,
    _query,
    _url,
    api_routes,
)


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
        if not path.startswith("/v1/") or path in KEYLESS:
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
