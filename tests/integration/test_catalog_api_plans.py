"""The /v1 catalog API on SQLite and PostgreSQL: creating and patching plans."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    BRONZE_DATA,
    BRONZE_TERMS,
    NOW,
    PUBLIC,
    _assert_problem,
    _counts,
    _family,
    _get_plan,
    _ok,
    _plan,
    _problems,
)

# -- plans: creating ----------------------------------------------------------------------------


def test_create_plan_makes_a_draft_version_1(client: TestClient, tenant: Tenant) -> None:
    family = _family(client, tenant)

    body = _plan(client, tenant, publish=False, rank=2)

    draft = body["versions"][0]
    assert body == {
        "object": "plan",
        "id": body["id"],
        "code": "bronze",
        "name": "Bronze",
        "family": "service",
        "family_id": family["id"],
        "rank": 2,
        "archived_at": None,
        "created_at": NOW,
        "current_version_id": None,
        "draft_version_id": draft["id"],
        "versions": [
            {
                "object": "plan_version",
                "id": draft["id"],
                "number": 1,
                "status": "draft",
                "name": "Bronze",
                "terms": BRONZE_DATA,
                "channels": PUBLIC,
                "created_at": NOW,
                "published_at": None,
            }
        ],
        "moves": [],
    }
    assert _get_plan(client, tenant, body["id"]) == body
    listed = _ok(client.get("/v1/plans", headers=tenant.headers))
    assert listed["data"] == [body]


def test_create_plan_with_publish_makes_version_1_current(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)

    body = _plan(client, tenant)

    version = body["versions"][0]
    assert (version["number"], version["status"], version["published_at"]) == (1, "current", NOW)
    assert (body["current_version_id"], body["draft_version_id"]) == (version["id"], None)


def test_create_plan_replays_under_the_same_idempotency_key(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "plan-bronze-1"}
    data = {"code": "bronze", "name": "Bronze", "family": "service", "terms": BRONZE_TERMS}

    first = client.post("/v1/plans", json=data, headers=headers)
    second = client.post("/v1/plans", json=data, headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _counts(container)["plans"] == 1
    assert _counts(container)["plan_versions"] == 1


def test_invalid_terms_are_422_naming_the_full_path_and_write_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    before = _counts(container)
    data = {"code": "bronze", "name": "Bronze", "family": "service"}
    month = {"currency": "USD", "cycle": "month"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"prices": [{**month, "amount": -1}]}, "terms.prices[0].amount", "negative"),
        (
            {"prices": [{**month, "currency": "XYZ", "amount": 1}]},
            "terms.prices[0].currency",
            "unknown_currency",
        ),
        ({"prices": [{**month, "amount": 10.5}]}, "terms.prices[0].amount", "invalid_value"),
        ({"prices": [{**month, "amount": 10.0}]}, "terms.prices[0].amount", "invalid_value"),
        (
            {"prices": [{**month, "cycle": "fortnight", "amount": 1}]},
            "terms.prices[0].cycle",
            "invalid_value",
        ),
        ({"prices": [{**month, "amount": 1}] * 2}, "terms.prices[1]", "duplicate_price"),
        ({"base_prices": {"USD": 19.99}}, "terms.base_prices.USD", "invalid_value"),
        ({"base_prices": {"usd": 1999}}, "terms.base_prices.usd", "unknown_currency"),
        ({"base_prices": {}}, "terms.prices", "required"),
        ({"min_seats": 10, "max_seats": 5}, "terms.min_seats", "seats_range"),
        ({"min_seats": 0}, "terms.min_seats", "invalid_value"),
        ({"cycle_discounts": {"year": "100.01"}}, "terms.cycle_discounts.year", "discount_range"),
        ({"cycle_discounts": {"year": "-1"}}, "terms.cycle_discounts.year", "discount_range"),
        ({"cycle_discounts": {"year": 12.5}}, "terms.cycle_discounts.year", "invalid_value"),
        ({"cycle_discounts": {"month": "5"}}, "terms.cycle_discounts.month", "invalid_value"),
        ({"trial_days": -1}, "terms.trial_days", "invalid_value"),
        ({"allowances": {"scans": -5}}, "terms.allowances.scans", "invalid_value"),
        ({"pricing": "tiered"}, "terms.pricing", "invalid_value"),
        ({"colour": "gold"}, "terms.colour", "unknown_field"),
    ]

    answers = [
        client.post(
            "/v1/plans", json={**data, "terms": {**BRONZE_TERMS, **change}}, headers=tenant.headers
        )
        for change, _, _ in cases
    ]

    assert _problems(answers) == [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _counts(container) == before
    assert (before["plans"], before["plan_versions"]) == (0, 0)


def test_invalid_plan_fields_are_422_naming_them_and_write_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    before = _counts(container)
    data = {"code": "bronze", "name": "Bronze", "family": "service", "terms": BRONZE_TERMS}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"channels": ["website", "billboard"]}, "channels", "invalid_value"),
        ({"code": "Bronze Plan"}, "code", "invalid_code"),
        ({"name": "  "}, "name", "required"),
        ({"rank": 1001}, "rank", "invalid_value"),
        ({"terms": None}, "terms", "invalid_value"),
        ({"price": 1000}, "price", "unknown_field"),
    ]

    answers = [
        client.post("/v1/plans", json={**data, **change}, headers=tenant.headers)
        for change, _, _ in cases
    ]

    assert _problems(answers) == [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _counts(container) == before


def test_several_bad_plan_fields_are_all_listed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    terms = {
        "prices": [
            {"currency": "USD", "cycle": "month", "amount": -1},
            {"currency": "XYZ", "cycle": "year", "amount": 100},
        ],
        "min_seats": 10,
        "max_seats": 2,
        "cycle_discounts": {"year": "101"},
        "colour": 1,
    }

    response = client.post(
        "/v1/plans",
        json={"code": "x", "name": "", "family": "service", "terms": terms, "channels": ["tv"]},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 422, "invalid_input", "name")
    assert sorted((e["field"], e["code"]) for e in body["errors"]) == [
        ("channels", "invalid_value"),
        ("name", "required"),
        ("terms.colour", "unknown_field"),
        ("terms.cycle_discounts.year", "discount_range"),
        ("terms.min_seats", "seats_range"),
        ("terms.prices[0].amount", "negative"),
        ("terms.prices[1].currency", "unknown_currency"),
    ]
    assert all(e["message"] for e in body["errors"])
    counts = _counts(container)
    assert (counts["plans"], counts["plan_versions"]) == (0, 0)


def test_duplicate_plan_code_is_409_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    first = _plan(client, tenant)
    before = _counts(container)

    response = client.post(
        "/v1/plans",
        json={"code": "bronze", "name": "Bronze 2", "family": "service", "terms": BRONZE_TERMS},
        headers=tenant.headers,
    )

    _assert_problem(response, 409, "duplicate_code", "code")
    assert _counts(container) == before
    assert _get_plan(client, tenant, first["id"]) == first


def test_plan_in_an_unknown_family_is_404_naming_family_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    # Like any other reference to a missing object (portal_sessions' account_id), 404.
    _family(client, other_tenant, "support")

    responses = [
        client.post(
            "/v1/plans",
            json={"code": "gold", "name": "Gold", "family": family, "terms": BRONZE_TERMS},
            headers=tenant.headers,
        )
        for family in ("nope", "support")  # "support" is another organization's
    ]

    for response in responses:
        _assert_problem(response, 404, "not_found", "family")
    counts = _counts(container)
    assert (counts["plans"], counts["plan_versions"]) == (0, 0)


def test_patch_plan_renames_and_reranks_without_a_new_version(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)

    response = client.patch(
        f"/v1/plans/{plan['id']}", json={"name": "Bronze Plus", "rank": 3}, headers=tenant.headers
    )

    assert _ok(response) == {**plan, "name": "Bronze Plus", "rank": 3}
