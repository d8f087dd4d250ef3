"""The /v1 catalog API on SQLite and PostgreSQL: drafts, immutable published versions, and
publishing with "apply to existing customers?"."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    BRONZE_DATA,
    NOW,
    PUBLIC,
    _assert_problem,
    _counts,
    _edit,
    _family,
    _get_plan,
    _offered,
    _ok,
    _plan,
    _publish,
    _publishable_key,
)


def _raw_version(container: Plansmith, version_id: str) -> dict[str, Any]:
    with container.engine.connect() as connection:
        row = connection.execute(
            select(t.plan_versions).where(t.plan_versions.c.id == version_id)
        ).one()
    return dict(row._mapping)


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
