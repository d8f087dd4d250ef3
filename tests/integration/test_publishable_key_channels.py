"""A publishable key (pk_) sits in web pages: it reads the public channels and nothing else.

Reproduces the leak: `GET /v1/pricing?channel=internal&key=pk_...` listed internal-only plans
and their prices.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant


def _publishable_key(container: Plansmith, tenant: Tenant) -> str:
    issued = create_api_key(
        container.uow(), container.clock, tenant.organization_id, "web", kind="publishable"
    )
    return issued.secret


def _plan(client: TestClient, tenant: Tenant, code: str, channels: list[str]) -> None:
    body = {
        "code": code,
        "name": code.title(),
        "family": "service",
        "terms": {"base_prices": {"USD": 4900}},
        "channels": channels,
        "publish": True,
    }
    created = client.post("/v1/plans", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text


@pytest.fixture
def catalog(client: TestClient, tenant: Tenant) -> None:
    family = {"code": "service", "name": "Service plans"}
    assert client.post("/v1/plan_families", json=family, headers=tenant.headers).status_code == 201
    _plan(client, tenant, "partner", ["internal"])  # negotiated: for the operator's eyes only
    _plan(client, tenant, "gold", ["website", "internal"])


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [offer["plan_code"] for offer in response.json()["data"]]


@pytest.mark.usefixtures("catalog")
def test_a_publishable_key_lists_nothing_of_the_internal_channel(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    key = _publishable_key(container, tenant)

    in_url = client.get("/v1/pricing", params={"channel": "internal", "key": key})
    as_bearer = client.get(
        "/v1/pricing", params={"channel": "internal"}, headers={"Authorization": f"Bearer {key}"}
    )
    in_usd = client.get(
        "/v1/pricing", params={"channel": "internal", "currency": "USD", "key": key}
    )
    website = client.get("/v1/pricing", params={"channel": "website", "key": key})
    with_secret = client.get("/v1/pricing", params={"channel": "internal"}, headers=tenant.headers)

    assert _codes(in_url) == _codes(as_bearer) == _codes(in_usd) == []
    assert "partner" not in in_url.text and "4900" not in in_url.text
    assert _codes(website) == ["gold"]
    assert _codes(with_secret) == ["gold", "partner"]
    # what it may not read is checked like any other request first
    bad_channel = client.get("/v1/pricing", params={"channel": "deals", "key": key})
    bad_currency = client.get(
        "/v1/pricing", params={"channel": "internal", "currency": "XX", "key": key}
    )
    assert (bad_channel.status_code, bad_channel.json()["field"]) == (422, "channel")
    assert (bad_currency.status_code, bad_currency.json()["field"]) == (422, "currency")
