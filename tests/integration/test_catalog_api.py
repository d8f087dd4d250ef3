"""The /v1 catalog API on SQLite and PostgreSQL: plan families, plans and their versions,
quotes, the public price list, add-ons and extra packs (seeds 002, 003 and 004)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.application.api_keys import create_api_key
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.test_tenant_isolation import (
    _body,
    _dump,
    _objects,
    _query,
    _url,
    api_routes,
)

PROBLEM = "application/problem+json"
NOW = "2026-01-31T15:00:00Z"
NBSP = "\u00a0"
CATALOG = (t.plan_families, t.plans, t.plan_versions, t.add_ons, t.extra_packs)
PUBLIC = ["portal", "signup", "website"]
DEFAULT_POLICY = {
    "upgrade": "now",
    "downgrade": "term_end",
    "seats_down": "term_end",
    "cycle_change": True,
}
# Seed 002's "Contact Center" package: a price per account (seat) x a number of accounts, and
# the longer the cycle, the higher the discount. Two explicit prices: USD per week (a cycle the
# base price does not offer) and JPY per month (wins over the 2,990 base price).
SEATS_TERMS: dict[str, Any] = {
    "pricing": "per_seat",
    "base_prices": {"USD": 1999, "JPY": 2990, "KWD": 12345},
    "cycle_discounts": {"quarter": "5", "half_year": "7.5", "year": "20"},
    "prices": [
        {"currency": "USD", "cycle": "week", "amount": 550},
        {"currency": "JPY", "cycle": "month", "amount": 3000},
    ],
    "min_seats": 5,
    "max_seats": 200,
}
# Seed 003's service plan: a monthly rate and allowances for scans and incoming mail items.
BRONZE_TERMS: dict[str, Any] = {
    "base_prices": {"USD": 1000},
    "allowances": {"scans": 30, "mail_items": 50},
    "features": ["scan"],
}
BRONZE_DATA = {
    "pricing": "per_seat",
    "prices": [],
    "base_prices": {"USD": 1000},
    "cycle_discounts": {},
    "min_seats": 1,
    "max_seats": None,
    "trial_days": 0,
    "allowances": {"mail_items": 50, "scans": 30},
    "features": ["scan"],
    "description": "",
    "pay_per_day": False,
}
# The eight add-on packages of seed 004.
SEED_ADD_ONS = [
    ("ai-assistant", "Artificial Intelligence Assistant"),
    ("mail-integration", "Mail Integration"),
    ("team-chat", "Team Chat Integration"),
    ("ticket-system", "Ticket System"),
    ("telegram", "Telegram Integration"),
    ("visitor-chat-start", "Visitor Chat Start"),
    ("webhooks", "Webhook Integration"),
    ("task-management", "Task Management"),
]
ADD_ON = {
    "code": "ai-assistant",
    "name": "Artificial Intelligence Assistant",
    "prices": [
        {"currency": "USD", "cycle": "month", "amount": 900},
        {"currency": "USD", "cycle": "year", "amount": 9000},
    ],
    "features": ["ai_assistant"],
}
PACK = {
    "code": "chatbot-1000",
    "name": "1,000 chatbot extra sessions",
    "prices": {"USD": 4900, "JPY": 7000},
    "allowance": "chatbot_sessions",
    "amount": 1000,
}


def _counts(container: Plansmith) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in CATALOG
        }


def _assert_problem(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body.get("field")) == (status, code, field)
    assert body["type"] == f"https://plansmith.dev/problems/{code}"
    assert body["detail"]
    return body


def _problems(responses: list[Any]) -> list[tuple[int, str, str | None, list[tuple[str, str]]]]:
    """(status, code, field, [(field, code) of every error]) of each problem+json response."""
    found = []
    for response in responses:
        assert response.headers["content-type"] == PROBLEM, response.text
        body = response.json()
        assert body["status"] == response.status_code, response.text
        assert body["type"] == f"https://plansmith.dev/problems/{body['code']}"
        assert body["detail"] and all(e["message"] for e in body["errors"])
        errors = [(e["field"], e["code"]) for e in body["errors"]]
        found.append((response.status_code, body["code"], body.get("field"), errors))
    return found


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _family(client: TestClient, tenant: Tenant, code: str = "service") -> dict[str, Any]:
    body = {"code": code, "name": "Service plans"}
    return _ok(client.post("/v1/plan_families", json=body, headers=tenant.headers), 201)


def _plan(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    data = {
        "code": "bronze",
        "name": "Bronze",
        "family": "service",
        "terms": BRONZE_TERMS,
        "channels": PUBLIC,
        "publish": True,
        **fields,
    }
    return _ok(client.post("/v1/plans", json=data, headers=tenant.headers), 201)


def _edit(client: TestClient, tenant: Tenant, plan_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _ok(client.patch(f"/v1/plans/{plan_id}/draft", json=body, headers=tenant.headers))


def _publish(
    client: TestClient, tenant: Tenant, plan_id: str, apply: str, **fields: Any
) -> dict[str, Any]:
    body = {"apply_to_existing": apply, **fields}
    return _ok(client.post(f"/v1/plans/{plan_id}/publish", json=body, headers=tenant.headers))


def _get_plan(client: TestClient, tenant: Tenant, plan_id: str) -> dict[str, Any]:
    return _ok(client.get(f"/v1/plans/{plan_id}", headers=tenant.headers))


def _publishable_key(container: Plansmith, tenant: Tenant) -> str:
    issued = create_api_key(
        container.uow(), container.clock, tenant.organization_id, "web", kind="publishable"
    )
    assert issued.secret.startswith("pk_")
    return issued.secret


def _offered(client: TestClient, key: str, channel: str) -> list[tuple[str, str, int]]:
    response = client.get("/v1/pricing", params={"channel": channel, "key": key})
    return [
        (o["plan_code"], o["name"], o["quotes"][0]["unit_amount"]) for o in _ok(response)["data"]
    ]


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
        "policy": policy,
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
    cases = [
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
    cases = [
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


# -- editing: drafts and immutable versions -----------------------------------------------------


def test_editing_makes_draft_n_plus_1_and_leaves_the_current_version_untouched(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    current = plan["versions"][0]

    draft = _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})

    assert draft == {
        "object": "plan_version",
        "id": draft["id"],
        "number": 2,
        "status": "draft",
        "name": "Bronze",
        "terms": {**BRONZE_DATA, "base_prices": {"USD": 1200}},
        "channels": PUBLIC,
        "created_at": NOW,
        "published_at": None,
    }
    after = _get_plan(client, tenant, plan["id"])
    assert after["versions"] == [current, draft]
    assert (after["current_version_id"], after["draft_version_id"]) == (current["id"], draft["id"])


def test_a_second_edit_changes_the_same_draft(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    first = _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})

    second = _edit(
        client,
        tenant,
        plan["id"],
        {"terms": {"allowances": {"scans": 60}}, "channels": ["website"], "name": "Bronze 2026"},
    )

    assert second == {
        **first,
        "name": "Bronze 2026",
        "terms": {**BRONZE_DATA, "base_prices": {"USD": 1200}, "allowances": {"scans": 60}},
        "channels": ["website"],
    }
    assert [
        (v["number"], v["status"]) for v in _get_plan(client, tenant, plan["id"])["versions"]
    ] == [
        (1, "current"),
        (2, "draft"),
    ]
    assert _counts(container)["plan_versions"] == 2


def test_an_invalid_edit_is_422_and_makes_no_draft(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)

    response = client.patch(
        f"/v1/plans/{plan['id']}/draft",
        json={"terms": {"base_prices": {"USD": -5}}},
        headers=tenant.headers,
    )

    _assert_problem(response, 422, "negative", "terms.base_prices.USD")
    assert _get_plan(client, tenant, plan["id"]) == plan
    assert _counts(container)["plan_versions"] == 1


def _raw_version(container: Plansmith, version_id: str) -> dict[str, Any]:
    with container.engine.connect() as connection:
        row = connection.execute(
            select(t.plan_versions).where(t.plan_versions.c.id == version_id)
        ).one()
    return dict(row._mapping)


@pytest.mark.parametrize("status", ["current", "legacy"])
@pytest.mark.parametrize(
    "change",
    [{"terms": {"base_prices": {"USD": 1}}}, {"name": "Cheaper"}],
    ids=["terms", "name"],
)
def test_patching_a_published_version_is_409_version_immutable_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, status: str, change: dict[str, Any]
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})
    _publish(client, tenant, plan["id"], "never")
    before = _get_plan(client, tenant, plan["id"])
    version = next(v for v in before["versions"] if v["status"] == status)
    row = _raw_version(container, version["id"])

    response = client.patch(
        f"/v1/plans/{plan['id']}/versions/{version['id']}",
        json={**change, "channels": ["internal"]},
        headers=tenant.headers,
    )

    _assert_problem(response, 409, "version_immutable", "version")
    assert _get_plan(client, tenant, plan["id"]) == before
    assert _raw_version(container, version["id"]) == row


def test_a_published_versions_channels_can_change(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    version = plan["versions"][0]

    response = client.patch(
        f"/v1/plans/{plan['id']}/versions/{version['id']}",
        json={"channels": ["internal", "portal"]},
        headers=tenant.headers,
    )

    assert _ok(response) == {**version, "channels": ["internal", "portal"]}
    assert _get_plan(client, tenant, plan["id"])["versions"] == [response.json()]


def test_a_draft_version_takes_terms_through_the_versions_route(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant, publish=False)
    draft = plan["versions"][0]

    response = client.patch(
        f"/v1/plans/{plan['id']}/versions/{draft['id']}",
        json={"terms": {"trial_days": 14}},
        headers=tenant.headers,
    )

    assert _ok(response) == {**draft, "terms": {**BRONZE_DATA, "trial_days": 14}}


# -- publishing: "apply to existing customers?" -------------------------------------------------


def test_publish_never_keeps_a_legacy_version_that_no_public_channel_offers(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    key = _publishable_key(container, tenant)
    _family(client, tenant)
    plan = _plan(client, tenant)
    old = plan["versions"][0]
    draft = _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})
    offered_before = _offered(client, key, "website")

    result = _publish(client, tenant, plan["id"], "never")

    legacy = {**old, "status": "legacy", "name": "Bronze Legacy", "channels": ["internal"]}
    current = {**draft, "status": "current", "published_at": NOW}
    assert result == {
        "object": "publication",
        "version": current,
        "superseded": [legacy],
        "move": None,
    }
    after = _get_plan(client, tenant, plan["id"])
    assert after["versions"] == [legacy, current]
    assert (after["current_version_id"], after["draft_version_id"]) == (draft["id"], None)
    assert after["moves"] == []
    assert offered_before == [("bronze", "Bronze", 1000)]
    for channel in ("signup", "website", "portal"):
        assert _offered(client, key, channel) == [("bronze", "Bronze", 1200)], channel
    # legacy is not current: not even the internal channel offers it to new sign-ups
    assert _offered(client, key, "internal") == []
    bearer = client.get("/v1/pricing", headers={"Authorization": f"Bearer {key}"})
    assert [o["version_id"] for o in _ok(bearer)["data"]] == [draft["id"]]


def test_publish_never_takes_a_legacy_name(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})

    result = _publish(client, tenant, plan["id"], "never", legacy_name="Bronze (2025 price)")

    assert [(v["name"], v["status"]) for v in result["superseded"]] == [
        ("Bronze (2025 price)", "legacy")
    ]
    assert result["version"]["name"] == "Bronze"


@pytest.mark.parametrize(
    ("apply", "when"), [("at_renewal", "at your next renewal"), ("now", "now")]
)
def test_publish_to_existing_customers_records_a_move_with_a_notice_of_the_changes(
    client: TestClient, tenant: Tenant, apply: str, when: str
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    old = plan["versions"][0]
    draft = _edit(
        client,
        tenant,
        plan["id"],
        {
            "terms": {
                "base_prices": {"USD": 1200},
                "cycle_discounts": {"annual": "10"},
                "allowances": {"scans": 50, "mail_items": 50},
            }
        },
    )

    result = _publish(client, tenant, plan["id"], apply)

    # USD 12.00 x 12 months = 144.00, less 10 % = 129.60 per seat per year
    move = {
        "object": "plan_version_move",
        "id": result["move"]["id"],
        "from_version_ids": [old["id"]],
        "to_version_id": draft["id"],
        "apply_to_existing": apply,
        "notice": f"Your plan Bronze changes {when}:\n"
        "- price per seat per month: USD 10.00 -> USD 12.00\n"
        "- new price per seat per year: USD 129.60\n"
        "- allowance scans: 30 -> 50",
        "created_at": NOW,
    }
    assert result["move"] == move
    after = _get_plan(client, tenant, plan["id"])
    assert after["moves"] == [move]
    assert [(v["name"], v["status"], v["channels"]) for v in after["versions"]] == [
        ("Bronze Legacy", "legacy", ["internal"]),
        ("Bronze", "current", PUBLIC),
    ]


def test_publish_without_a_draft_is_409_no_draft(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    before = _counts(container)

    response = client.post(
        f"/v1/plans/{plan['id']}/publish", json={"apply_to_existing": "now"}, headers=tenant.headers
    )

    _assert_problem(response, 409, "no_draft", "plan_id")
    assert _get_plan(client, tenant, plan["id"]) == plan
    assert _counts(container) == before


def test_publish_with_an_unknown_answer_is_422_and_publishes_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})
    before = _get_plan(client, tenant, plan["id"])

    response = client.post(
        f"/v1/plans/{plan['id']}/publish",
        json={"apply_to_existing": "sometimes"},
        headers=tenant.headers,
    )

    _assert_problem(response, 422, "invalid_value", "apply_to_existing")
    assert _get_plan(client, tenant, plan["id"]) == before


# -- quotes (seed 002: Total = Price x Quantity) ------------------------------------------------


def _quotes(
    client: TestClient, tenant: Tenant, plan_id: str, currency: str, asked: list[tuple[str, int]]
) -> list[tuple[str, int, str, int, int, int, str]]:
    found = []
    for cycle, quantity in asked:
        response = client.get(
            f"/v1/plans/{plan_id}/quote",
            params={"cycle": cycle, "currency": currency, "quantity": quantity},
            headers=tenant.headers,
        )
        body = _ok(response)
        q = body["quote"]
        assert (body["object"], body["plan_id"], q["object"]) == ("plan_quote", plan_id, "quote")
        assert (q["currency"], q["quantity"], q["per_seat"]) == (currency, quantity, True)
        assert q["discount_amount"] == q["list_unit_amount"] - q["unit_amount"]
        found.append(
            (
                q["cycle"],
                q["list_unit_amount"],
                q["discount_percent"],
                q["unit_amount"],
                q["total"],
                body["version_id"],
                q["formula"],
            )
        )
    return found


def _seats_plan(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    _family(client, tenant)
    return _plan(client, tenant, code="cc2", name="Contact Center 2", terms=SEATS_TERMS)


def test_usd_quotes_are_price_per_seat_for_the_cycle_times_quantity(
    client: TestClient, tenant: Tenant
) -> None:
    plan = _seats_plan(client, tenant)
    v = plan["current_version_id"]

    quotes = _quotes(
        client,
        tenant,
        plan["id"],
        "USD",
        [("year", 100), ("annual", 5), ("half_year", 7), ("month", 5), ("week", 10)],
    )

    assert quotes == [
        # 1999 x 12 = 23988, less 20 % = 19190.4 -> 19190; x 100 = 1919000
        ("year", 23988, "20", 19190, 1919000, v, "$191.90 × 100 = $19,190.00"),
        # "annual" is the same cycle; 19190 x 5 = 95950
        ("year", 23988, "20", 19190, 95950, v, "$191.90 × 5 = $959.50"),
        # 1999 x 6 = 11994, less 7.5 % = 11094.45 -> 11094; x 7 = 77658
        ("half_year", 11994, "7.5", 11094, 77658, v, "$110.94 × 7 = $776.58"),
        # no discount on the month: 1999 x 5 = 9995
        ("month", 1999, "0", 1999, 9995, v, "$19.99 × 5 = $99.95"),
        # the explicit price per week: 550 x 10 = 5500
        ("week", 550, "0", 550, 5500, v, "$5.50 × 10 = $55.00"),
    ]


def test_jpy_quotes_have_no_decimals_and_round_half_up_once_per_seat(
    client: TestClient, tenant: Tenant
) -> None:
    plan = _seats_plan(client, tenant)
    v = plan["current_version_id"]

    quotes = _quotes(
        client,
        tenant,
        plan["id"],
        "JPY",
        [("quarter", 5), ("half_year", 5), ("year", 12), ("month", 5)],
    )

    assert quotes == [
        # 2990 x 3 = 8970, less 5 % = 8521.5 -> 8522 (half up); x 5 = 42610
        ("quarter", 8970, "5", 8522, 42610, v, "¥8,522 × 5 = ¥42,610"),
        # 2990 x 6 = 17940, less 7.5 % = 16594.5 -> 16595 (half up, not to even); x 5 = 82975
        ("half_year", 17940, "7.5", 16595, 82975, v, "¥16,595 × 5 = ¥82,975"),
        # 2990 x 12 = 35880, less 20 % = 28704; x 12 = 344448
        ("year", 35880, "20", 28704, 344448, v, "¥28,704 × 12 = ¥344,448"),
        # the explicit month price 3000 wins over the base price 2990; x 5 = 15000
        ("month", 3000, "0", 3000, 15000, v, "¥3,000 × 5 = ¥15,000"),
    ]


def test_kwd_quotes_have_three_decimals(client: TestClient, tenant: Tenant) -> None:
    plan = _seats_plan(client, tenant)
    v = plan["current_version_id"]

    quotes = _quotes(client, tenant, plan["id"], "KWD", [("half_year", 9), ("quarter", 200)])

    assert quotes == [
        # 12345 x 6 = 74070, less 7.5 % = 68514.75 -> 68515; x 9 = 616635
        ("half_year", 74070, "7.5", 68515, 616635, v, f"KWD{NBSP}68.515 × 9 = KWD{NBSP}616.635"),
        # 12345 x 3 = 37035, less 5 % = 35183.25 -> 35183; x 200 (the maximum) = 7036600
        (
            "quarter",
            37035,
            "5",
            35183,
            7036600,
            v,
            f"KWD{NBSP}35.183 × 200 = KWD{NBSP}7,036.600",
        ),
    ]


def test_quotes_that_cannot_be_made_name_the_field(client: TestClient, tenant: Tenant) -> None:
    plan = _seats_plan(client, tenant)
    year = {"cycle": "year", "currency": "USD", "quantity": 10}
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({**year, "quantity": 4}, 422, "seats_out_of_range", "quantity"),  # min_seats 5
        ({**year, "quantity": 201}, 422, "seats_out_of_range", "quantity"),  # max_seats 200
        ({**year, "quantity": 0}, 422, "seats_out_of_range", "quantity"),
        ({**year, "quantity": -1}, 422, "invalid_value", "quantity"),
        ({**year, "quantity": 2.5}, 422, "invalid_value", "quantity"),
        ({**year, "currency": "EUR"}, 422, "price_not_offered", "currency"),
        ({**year, "currency": "XYZ"}, 422, "unknown_currency", "currency"),
        ({**year, "cycle": "2_months"}, 422, "price_not_offered", "cycle"),
        ({**year, "cycle": "week", "currency": "KWD"}, 422, "price_not_offered", "cycle"),
        ({**year, "cycle": "fortnight"}, 422, "invalid_value", "cycle"),
        ({"currency": "USD", "quantity": 10}, 422, "required", "cycle"),
        ({"cycle": "year", "quantity": 10}, 422, "required", "currency"),
        ({**year, "quantity": 5, "version_id": "pver_nope"}, 404, "not_found", "version_id"),
    ]

    answers = [
        client.get(f"/v1/plans/{plan['id']}/quote", params=params, headers=tenant.headers)
        for params, _, _, _ in cases
    ]

    assert _problems(answers) == [
        (status, code, field, [(field, code)]) for _, status, code, field in cases
    ]


def test_quote_of_a_flat_plan_takes_quantity_1(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    terms = {"pricing": "flat", "prices": [{"currency": "USD", "cycle": "month", "amount": 4900}]}
    plan = _plan(client, tenant, code="site", name="Site licence", terms=terms)
    url = f"/v1/plans/{plan['id']}/quote"

    one = client.get(url, params={"cycle": "month", "currency": "USD"}, headers=tenant.headers)
    two = client.get(
        url, params={"cycle": "month", "currency": "USD", "quantity": 2}, headers=tenant.headers
    )

    quote = _ok(one)["quote"]
    assert (quote["per_seat"], quote["total"], quote["formula"]) == (
        False,
        4900,
        "$49.00 × 1 = $49.00",
    )
    _assert_problem(two, 422, "invalid_value", "quantity")


def test_quote_of_a_legacy_version_keeps_its_old_price(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})
    _publish(client, tenant, plan["id"], "never")
    url = f"/v1/plans/{plan['id']}/quote"
    params = {"cycle": "month", "currency": "USD", "quantity": 3}

    legacy = client.get(
        url, params={**params, "version_id": plan["versions"][0]["id"]}, headers=tenant.headers
    )
    current = client.get(url, params=params, headers=tenant.headers)

    # 1000 x 3 = 3000 for the grandfathered subscribers; 1200 x 3 = 3600 for new ones
    assert _ok(legacy)["quote"]["formula"] == "$10.00 × 3 = $30.00"
    assert _ok(current)["quote"]["formula"] == "$12.00 × 3 = $36.00"


def test_quote_of_a_plan_never_published_is_409(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant, publish=False)

    response = client.get(
        f"/v1/plans/{plan['id']}/quote",
        params={"cycle": "month", "currency": "USD"},
        headers=tenant.headers,
    )

    _assert_problem(response, 409, "not_published", "plan_id")


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
    walked = []

    for path, methods, route in api_routes(client.app):  # type: ignore[arg-type]
        if not path.startswith("/v1/") or path == "/v1/pricing":
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
        "/v1/extra_packs": [mine["pack_id"]],
    }
    assert [o["plan_id"] for o in offers] == [mine["plan_id"]]
    _assert_problem(theirs_quoted, 404, "not_found", "version_id")


# -- copy and archive -------------------------------------------------------------------------


def test_copy_makes_a_new_plan_with_a_draft_of_the_same_terms(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant, rank=1)
    url = f"/v1/plans/{plan['id']}/copy"

    first = client.post(url, json={}, headers=tenant.headers)
    second = client.post(url, json={}, headers=tenant.headers)

    copy = _ok(first, 201)
    draft = copy["versions"][0]
    assert copy == {
        **plan,
        "id": copy["id"],
        "code": "bronze-copy",
        "name": "Copy of Bronze",
        "current_version_id": None,
        "draft_version_id": draft["id"],
        "versions": [
            {
                **plan["versions"][0],
                "id": draft["id"],
                "status": "draft",
                "name": "Copy of Bronze",
                "published_at": None,
            }
        ],
    }
    assert draft["terms"] == BRONZE_DATA
    assert (_ok(second, 201)["code"], second.json()["name"]) == ("bronze-copy-2", "Copy of Bronze")
    assert _get_plan(client, tenant, plan["id"]) == plan


def test_copy_replays_under_the_same_idempotency_key(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "copy-bronze-1"}

    first = client.post(f"/v1/plans/{plan['id']}/copy", json={}, headers=headers)
    second = client.post(f"/v1/plans/{plan['id']}/copy", json={}, headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert first.json()["code"] == "bronze-copy"
    assert second.headers["idempotent-replayed"] == "true"
    assert _counts(container)["plans"] == 2


def test_copy_takes_a_code_and_name_and_refuses_a_taken_code(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    url = f"/v1/plans/{plan['id']}/copy"

    named = client.post(url, json={"code": "bronze-2026", "name": "Bronze"}, headers=tenant.headers)
    before = _counts(container)
    taken = client.post(url, json={"code": "bronze"}, headers=tenant.headers)

    assert (_ok(named, 201)["code"], named.json()["name"]) == ("bronze-2026", "Bronze")
    _assert_problem(taken, 409, "duplicate_code", "code")
    assert _counts(container) == before


def test_archived_plan_leaves_the_price_list_and_refuses_edits(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    key = _publishable_key(container, tenant)
    _family(client, tenant)
    plan = _plan(client, tenant)
    _plan(client, tenant, code="silver", name="Silver", rank=1)

    archived = client.post(f"/v1/plans/{plan['id']}/archive", headers=tenant.headers)
    edit = client.patch(
        f"/v1/plans/{plan['id']}/draft",
        json={"terms": {"base_prices": {"USD": 1}}},
        headers=tenant.headers,
    )

    assert _ok(archived) == {**plan, "archived_at": NOW}
    _assert_problem(edit, 409, "plan_archived", "plan_id")
    assert [code for code, _, _ in _offered(client, key, "website")] == ["silver"]
    assert _get_plan(client, tenant, plan["id"]) == archived.json()
    assert _counts(container)["plan_versions"] == 2


def test_publishing_an_archived_plan_is_409(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant, publish=False)
    client.post(f"/v1/plans/{plan['id']}/archive", headers=tenant.headers)

    response = client.post(
        f"/v1/plans/{plan['id']}/publish",
        json={"apply_to_existing": "never"},
        headers=tenant.headers,
    )

    _assert_problem(response, 409, "plan_archived", "plan_id")
    assert _get_plan(client, tenant, plan["id"])["current_version_id"] is None


# -- add-ons (seed 004) -------------------------------------------------------------------------


def test_the_eight_add_ons_of_seed_004_are_listed_by_code(
    client: TestClient, tenant: Tenant
) -> None:
    created = {}
    for code, name in SEED_ADD_ONS:
        body = {
            "code": code,
            "name": name,
            "prices": [{"currency": "USD", "cycle": "month", "amount": 500}],
        }
        created[code] = _ok(client.post("/v1/add_ons", json=body, headers=tenant.headers), 201)

    listed = _ok(client.get("/v1/add_ons", headers=tenant.headers))

    assert [a["code"] for a in listed["data"]] == sorted(code for code, _ in SEED_ADD_ONS)
    assert listed["data"] == [created[code] for code in sorted(created)]


def test_create_and_get_an_add_on(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/add_ons",
        json={
            **ADD_ON,
            "quantity_allowed": True,
            "fits_families": ["service"],
            "fits_plans": ["gold", "silver"],
            "allowances": {"ai_answers": 500},
            "description": "Answers visitors on its own",
        },
        headers=tenant.headers,
    )

    body = _ok(response, 201)
    assert body == {
        "object": "add_on",
        "id": body["id"],
        "code": "ai-assistant",
        "name": "Artificial Intelligence Assistant",
        "prices": [
            {"currency": "USD", "cycle": "month", "amount": 900},
            {"currency": "USD", "cycle": "year", "amount": 9000},
        ],
        "quantity_allowed": True,
        "fits_families": ["service"],
        "fits_plans": ["gold", "silver"],
        "features": ["ai_assistant"],
        "allowances": {"ai_answers": 500},
        "description": "Answers visitors on its own",
        "archived_at": None,
        "created_at": NOW,
    }
    assert client.get(f"/v1/add_ons/{body['id']}", headers=tenant.headers).json() == body


def test_patch_and_archive_an_add_on(client: TestClient, tenant: Tenant) -> None:
    add_on = _ok(client.post("/v1/add_ons", json=ADD_ON, headers=tenant.headers), 201)
    url = f"/v1/add_ons/{add_on['id']}"
    prices = [{"currency": "JPY", "cycle": "month", "amount": 1500}]

    patched = client.patch(
        url, json={"name": "AI Assistant", "prices": prices}, headers=tenant.headers
    )
    archived = client.post(f"{url}/archive", headers=tenant.headers)

    assert _ok(patched) == {**add_on, "name": "AI Assistant", "prices": prices}
    assert _ok(archived) == {**patched.json(), "archived_at": NOW}
    assert client.get(url, headers=tenant.headers).json() == archived.json()


def test_invalid_add_on_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    existing = _ok(
        client.post("/v1/add_ons", json={**ADD_ON, "code": "telegram"}, headers=tenant.headers),
        201,
    )
    before = _counts(container)
    month = {"currency": "USD", "cycle": "month"}
    cases = [
        ({"prices": [{**month, "amount": -900}]}, "prices[0].amount", "negative"),
        (
            {"prices": [{**month, "currency": "XYZ", "amount": 1}]},
            "prices[0].currency",
            "unknown_currency",
        ),
        ({"prices": [{**month, "amount": 9.5}]}, "prices[0].amount", "invalid_value"),
        ({"prices": [month]}, "prices[0].amount", "required"),
        ({"prices": []}, "prices", "required"),
        ({"prices": [{**month, "amount": 1}] * 2}, "prices[1]", "duplicate_price"),
        ({"name": ""}, "name", "required"),
        ({"fits_families": ["service", "Support Plans"]}, "fits_families[1]", "invalid_code"),
        ({"features": ["AI"]}, "features[0]", "invalid_code"),
        ({"allowances": {"ai_answers": -1}}, "allowances.ai_answers", "negative"),
        ({"allowances": {"ai_answers": 5.0}}, "allowances.ai_answers", "invalid_value"),
        ({"colour": "blue"}, "colour", "unknown_field"),
    ]

    created = [
        client.post("/v1/add_ons", json={**ADD_ON, **change}, headers=tenant.headers)
        for change, _, _ in cases
    ]
    patched = [
        client.patch(f"/v1/add_ons/{existing['id']}", json=change, headers=tenant.headers)
        for change, _, _ in cases
    ]
    bad_code = client.post("/v1/add_ons", json={**ADD_ON, "code": "AI"}, headers=tenant.headers)

    expected = [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _problems(created) == expected
    assert _problems(patched) == expected
    assert _problems([bad_code]) == [(422, "invalid_code", "code", [("code", "invalid_code")])]
    assert _counts(container) == before
    assert client.get(f"/v1/add_ons/{existing['id']}", headers=tenant.headers).json() == existing


def test_duplicate_add_on_code_is_409(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    client.post("/v1/add_ons", json=ADD_ON, headers=tenant.headers)

    response = client.post("/v1/add_ons", json={**ADD_ON, "name": "Again"}, headers=tenant.headers)

    _assert_problem(response, 409, "duplicate_code", "code")
    assert _counts(container)["add_ons"] == 1


# -- extra packs (seed 004: chatbot extra sessions) ---------------------------------------------


def test_create_list_patch_and_archive_an_extra_pack(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/extra_packs", json=PACK, headers=tenant.headers)
    pack = _ok(created, 201)
    url = f"/v1/extra_packs/{pack['id']}"

    patched = client.patch(
        url, json={"prices": {"USD": 3900}, "amount": 500}, headers=tenant.headers
    )
    archived = client.post(f"{url}/archive", headers=tenant.headers)

    assert pack == {
        "object": "extra_pack",
        "id": pack["id"],
        "code": "chatbot-1000",
        "name": "1,000 chatbot extra sessions",
        "prices": {"USD": 4900, "JPY": 7000},
        "allowance": "chatbot_sessions",
        "amount": 1000,
        "description": "",
        "archived_at": None,
        "created_at": NOW,
    }
    assert _ok(patched) == {**pack, "prices": {"USD": 3900}, "amount": 500}
    assert _ok(archived) == {**patched.json(), "archived_at": NOW}
    assert client.get(url, headers=tenant.headers).json() == archived.json()
    assert _ok(client.get("/v1/extra_packs", headers=tenant.headers))["data"] == [archived.json()]


def test_invalid_extra_pack_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    existing = _ok(
        client.post(
            "/v1/extra_packs", json={**PACK, "code": "chatbot-500"}, headers=tenant.headers
        ),
        201,
    )
    before = _counts(container)
    cases = [
        ({"prices": {"USD": -4900}}, "prices.USD", "negative"),
        ({"prices": {"XYZ": 4900}}, "prices.XYZ", "unknown_currency"),
        ({"prices": {"JPY": 10.5}}, "prices.JPY", "invalid_value"),
        ({"prices": {"JPY": 10.0}}, "prices.JPY", "invalid_value"),
        ({"prices": {"JPY": "7000"}}, "prices.JPY", "invalid_value"),
        ({"prices": {}}, "prices", "required"),
        ({"amount": 0}, "amount", "invalid_value"),
        ({"amount": 2.5}, "amount", "invalid_value"),
        ({"amount": "1000"}, "amount", "invalid_value"),
        ({"amount": True}, "amount", "invalid_value"),
        ({"allowance": "Chatbot Sessions"}, "allowance", "invalid_code"),
        ({"sessions": 1000}, "sessions", "unknown_field"),
    ]

    created = [
        client.post("/v1/extra_packs", json={**PACK, **change}, headers=tenant.headers)
        for change, _, _ in cases
    ]
    patched = [
        client.patch(f"/v1/extra_packs/{existing['id']}", json=change, headers=tenant.headers)
        for change, _, _ in cases
    ]
    bad_code = client.post("/v1/extra_packs", json={**PACK, "code": ""}, headers=tenant.headers)

    expected = [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _problems(created) == expected
    assert _problems(patched) == expected
    assert _problems([bad_code]) == [(422, "invalid_code", "code", [("code", "invalid_code")])]
    assert _counts(container) == before
    assert client.get(f"/v1/extra_packs/{existing['id']}", headers=tenant.headers).json() == (
        existing
    )


def test_several_bad_extra_pack_fields_are_all_listed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    response = client.post(
        "/v1/extra_packs",
        json={**PACK, "prices": {"USD": -1}, "allowance": "Chatbot Sessions", "amount": 0},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 422, "invalid_input", "prices.USD")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("prices.USD", "negative"),
        ("allowance", "invalid_code"),
        ("amount", "invalid_value"),
    ]
    assert _counts(container)["extra_packs"] == 0


def test_duplicate_extra_pack_code_is_409(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    client.post("/v1/extra_packs", json=PACK, headers=tenant.headers)

    response = client.post("/v1/extra_packs", json={**PACK, "amount": 5}, headers=tenant.headers)

    _assert_problem(response, 409, "duplicate_code", "code")
    assert _counts(container)["extra_packs"] == 1
