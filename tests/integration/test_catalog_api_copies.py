"""The /v1 catalog API on SQLite and PostgreSQL: copying and archiving plans."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    BRONZE_DATA,
    NOW,
    _assert_problem,
    _counts,
    _family,
    _get_plan,
    _offered,
    _ok,
    _plan,
    _publishable_key,
)

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
