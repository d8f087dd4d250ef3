"""The /v1 catalog API on SQLite and PostgreSQL: the public price list and publishable keys."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    _assert_problem,
    _family,
    _ok,
    _plan,
    _publishable_key,
)
from tests.integration.route_calls import (
    KEYLESS,
    _body,
    _dump,
    _objects,
    _query,
    _url,
    api_routes,
)

# -- the public price list ----------------------------------------------------------------------


def test_pricing_lists_current_versions_of_a_channel_with_a_quote_per_cycle(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    key = _publishable_key(container, tenant)
    _family(client, tenant)
    seats = _plan(
        client,
        tenant,
        code="cc2",
        name="Contact Center 2",
        rank=2,
        channels=["website"],
        terms={
            "base_prices": {"USD": 1999},
            "cycle_discounts": {"year": "20"},
            "min_seats": 5,
            "allowances": {"representatives": 1},
            "features": ["ivr"],
            "description": "Per agent",
        },
    )
    _plan(client, tenant, code="draft-only", publish=False, channels=["website"])
    _plan(client, tenant, code="hidden", channels=["internal"])

    response = client.get("/v1/pricing", params={"key": key, "currency": "USD"})

    # 5 seats (the minimum): 1999 x 5 = 9995 a month; 23988 less 20 % = 19190, x 5 = 95950
    assert _ok(response)["data"] == [
        {
            "object": "offer",
            "plan_id": seats["id"],
            "plan_code": "cc2",
            "family": "service",
            "rank": 2,
            "version_id": seats["current_version_id"],
            "name": "Contact Center 2",
            "description": "Per agent",
            "pricing": "per_seat",
            "min_seats": 5,
            "max_seats": None,
            "trial_days": 0,
            "allowances": {"representatives": 1},
            "features": ["ivr"],
            "quotes": [
                {
                    "object": "quote",
                    "currency": "USD",
                    "cycle": "month",
                    "quantity": 5,
                    "per_seat": True,
                    "list_unit_amount": 1999,
                    "discount_percent": "0",
                    "discount_amount": 0,
                    "unit_amount": 1999,
                    "total": 9995,
                    "formula": "$19.99 × 5 = $99.95",
                },
                {
                    "object": "quote",
                    "currency": "USD",
                    "cycle": "year",
                    "quantity": 5,
                    "per_seat": True,
                    "list_unit_amount": 23988,
                    "discount_percent": "20",
                    "discount_amount": 4798,
                    "unit_amount": 19190,
                    "total": 95950,
                    "formula": "$191.90 × 5 = $959.50",
                },
            ],
        }
    ]


def test_pricing_with_an_unknown_channel_is_422(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    key = _publishable_key(container, tenant)

    response = client.get("/v1/pricing", params={"key": key, "channel": "billboard"})

    _assert_problem(response, 422, "invalid_value", "channel")


@pytest.mark.parametrize("key", [None, "pk_unknown"])
def test_pricing_without_a_valid_key_is_401(client: TestClient, key: str | None) -> None:
    response = client.get("/v1/pricing", params={"key": key} if key else {})

    _assert_problem(response, 401, "unauthorized", None)


def test_a_publishable_key_is_401_on_every_other_v1_route_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    ids = _objects(client, tenant)
    key = _publishable_key(container, tenant)
    before = _dump(container)
    walked: list[tuple[str, str]] = []

    for path, methods, route in api_routes(client.app):  # type: ignore[arg-type]
        if not path.startswith("/v1/") or path == "/v1/pricing" or path in KEYLESS:
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            response = client.request(
                method,
                _url(path, ids, method),
                params=_query(method, path, route),
                json=_body(method, path, route),
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"k-{len(walked)}"},
            )
            assert response.status_code == 401, f"{method} {path}: {response.text}"
            assert response.json()["code"] == "unauthorized"
            walked.append((method, path))

    assert {("GET", "/v1/plans"), ("POST", "/v1/accounts"), ("POST", "/v1/plans")} <= set(walked)
    assert _dump(container) == before


def test_each_organization_sees_only_its_own_catalog(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = {
        path: [o["id"] for o in _ok(client.get(path, headers=tenant.headers))["data"]]
        for path in ("/v1/plan_families", "/v1/plans", "/v1/add_ons", "/v1/extra_packs")
    }
    # The internal channel is read with the secret key: a publishable one sees public ones only.
    internal = {"channel": "internal"}
    offers = _ok(client.get("/v1/pricing", params=internal, headers=tenant.headers))["data"]
    theirs_quoted = client.get(
        f"/v1/plans/{mine['plan_id']}/quote",
        params={"cycle": "month", "currency": "EUR", "version_id": theirs["version_id"]},
        headers=tenant.headers,
    )

    assert listed == {
        "/v1/plan_families": [mine["family_id"]],
        "/v1/plans": [mine["plan_id"]],
        "/v1/add_ons": [mine["add_on_id"]],
        "/v1/extra_packs": [mine["pack_id"], mine["bought_pack_id"]],  # newest first
    }
    assert [o["plan_id"] for o in offers] == [mine["plan_id"]]
    _assert_problem(theirs_quoted, 404, "not_found", "version_id")
