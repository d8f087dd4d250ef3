"""The /v1 catalog API on SQLite and PostgreSQL: plan families and their change policy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    NOW,
    _assert_problem,
    _counts,
    _family,
    _ok,
    _problems,
)

DEFAULT_POLICY = {
    "upgrade": "now",
    "downgrade": "term_end",
    "seats_down": "term_end",
    "cycle_change": True,
    "change_invoicing": "next_invoice",
}


# -- plan families ------------------------------------------------------------------------------


def test_create_family_with_a_change_policy_returns_every_field(
    client: TestClient, tenant: Tenant
) -> None:
    policy = {"upgrade": "now", "downgrade": "now", "seats_down": "term_end", "cycle_change": False}

    response = client.post(
        "/v1/plan_families",
        json={"code": "support", "name": "Support plans", "policy": policy},
        headers=tenant.headers,
    )

    body = _ok(response, 201)
    assert body == {
        "object": "plan_family",
        "id": body["id"],
        "code": "support",
        "name": "Support plans",
        "policy": {**policy, "change_invoicing": "next_invoice"},
        "created_at": NOW,
    }
    assert body["id"].startswith("fam_")
    assert client.get(f"/v1/plan_families/{body['id']}", headers=tenant.headers).json() == body


def test_list_families_by_code_with_the_default_policy(client: TestClient, tenant: Tenant) -> None:
    support = _family(client, tenant, "support")
    partner = _family(client, tenant, "partner")

    listed = _ok(client.get("/v1/plan_families", headers=tenant.headers))

    assert listed["object"] == "list"
    assert [f["id"] for f in listed["data"]] == [partner["id"], support["id"]]
    assert [f["policy"] for f in listed["data"]] == [DEFAULT_POLICY, DEFAULT_POLICY]


def test_patch_family_changes_the_name_and_only_the_policy_rules_sent(
    client: TestClient, tenant: Tenant
) -> None:
    created = _ok(
        client.post(
            "/v1/plan_families",
            json={
                "code": "service",
                "name": "Service plans",
                "policy": {"upgrade": "term_end", "cycle_change": False},
            },
            headers=tenant.headers,
        ),
        201,
    )

    response = client.patch(
        f"/v1/plan_families/{created['id']}",
        json={"name": "Mailbox plans", "policy": {"downgrade": "now"}},
        headers=tenant.headers,
    )

    expected = {
        **created,
        "name": "Mailbox plans",
        "policy": {
            "upgrade": "term_end",
            "downgrade": "now",
            "seats_down": "term_end",
            "cycle_change": False,
            "change_invoicing": "next_invoice",
        },
    }
    assert _ok(response) == expected
    assert client.get(f"/v1/plan_families/{created['id']}", headers=tenant.headers).json() == (
        expected
    )


def test_invalid_family_policy_is_422_naming_the_rule_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    family = _family(client, tenant)
    before = _counts(container)
    cases = [
        ({"downgrade": "later"}, "policy.downgrade", "invalid_value"),
        ({"upgrade": 1}, "policy.upgrade", "invalid_value"),
        ({"seats_down": "never"}, "policy.seats_down", "invalid_value"),
        ({"cycle_change": "yes"}, "policy.cycle_change", "invalid_value"),
        ({"renewal": "now"}, "policy.renewal", "unknown_field"),
    ]

    created = [
        client.post(
            "/v1/plan_families",
            json={"code": "support", "name": "Support", "policy": policy},
            headers=tenant.headers,
        )
        for policy, _, _ in cases
    ]
    patched = [
        client.patch(
            f"/v1/plan_families/{family['id']}",
            json={"name": "Renamed", "policy": policy},
            headers=tenant.headers,
        )
        for policy, _, _ in cases
    ]

    expected = [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _problems(created) == expected
    assert _problems(patched) == expected
    assert _counts(container) == before
    assert client.get(f"/v1/plan_families/{family['id']}", headers=tenant.headers).json() == family


def test_duplicate_family_code_is_409_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    _family(client, tenant)
    _family(client, other_tenant)  # codes are per organization

    response = client.post(
        "/v1/plan_families", json={"code": "service", "name": "Again"}, headers=tenant.headers
    )

    _assert_problem(response, 409, "duplicate_code", "code")
    assert _counts(container)["plan_families"] == 2


def test_unknown_family_is_404(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/v1/plan_families/fam_nope", headers=tenant.headers)

    _assert_problem(response, 404, "not_found", "family_id")
