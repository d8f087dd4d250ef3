"""Usage charges on plan versions, on SQLite and PostgreSQL: taken by plan and draft create and
update, shown by GET, checked with the field named (the meter exists in the organization, the
currency is one the version is priced in, one charge per meter and currency), fixed once
published, and carried through the catalog file both ways."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.application.catalog.document import dump_yaml, load_yaml, read_catalog
from plansmith.application.catalog.file import apply_catalog, diff_catalog, export_catalog
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import InvalidValue
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    _assert_problem,
    _counts,
    _edit,
    _family,
    _get_plan,
    _ok,
    _plan,
)

CALLS = {
    "meter": "api_calls",
    "currency": "USD",
    "included": 1000,
    "limit": "soft",
    "model": "per_unit",
    "unit_price": "0.0025",
}
STORAGE = {
    "meter": "storage_gb",
    "currency": "USD",
    "included": 0,
    "limit": "hard",
    "model": "graduated",
    "tiers": [
        {"up_to": "100", "unit_price": "1", "flat_fee": "0"},
        {"up_to": None, "unit_price": "0.5", "flat_fee": "10"},
    ],
}
TERMS = {"base_prices": {"USD": 1000}}


def _meters(client: TestClient, tenant: Tenant) -> None:
    for code, aggregation in (("api_calls", "count"), ("storage_gb", "max")):
        body: dict[str, Any] = {
            "code": code,
            "name": code,
            "event_code": code,
            "aggregation": aggregation,
        }
        if aggregation != "count":
            body["property"] = "gb"
        _ok(client.post("/v1/meters", json=body, headers=tenant.headers), 201)


def test_a_plan_takes_charges_and_shows_them(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    _meters(client, tenant)
    body = _plan(client, tenant, terms={**TERMS, "charges": [CALLS, STORAGE]})
    [version] = body["versions"]
    assert version["terms"]["charges"] == [CALLS, STORAGE]
    assert _get_plan(client, tenant, body["id"])["versions"][0]["terms"]["charges"] == [
        CALLS,
        STORAGE,
    ]


def test_a_plan_without_charges_shows_none(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    body = _plan(client, tenant, terms=TERMS)
    assert "charges" not in body["versions"][0]["terms"]


def test_wrong_charges_are_refused_by_field_and_nothing_is_written(
    container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    _meters(client, tenant)
    before = _counts(container)
    cases: list[tuple[list[Any], str, str]] = [
        ([{**CALLS, "meter": "nope"}], "terms.charges[0].meter", "unknown_reference"),
        ([CALLS, {**CALLS, "currency": "JPY"}], "terms.charges[1].currency", "invalid_value"),
        ([CALLS, {**CALLS, "included": 5}], "terms.charges[1].meter", "duplicate_charge"),
        ([{**CALLS, "unit_price": 0.1}], "terms.charges[0].unit_price", "invalid_value"),
        ([{**CALLS, "model": "per_kilo"}], "terms.charges[0].model", "invalid_value"),
        ([{**CALLS, "tiers": []}], "terms.charges[0].tiers", "unknown_field"),
    ]
    for charges, field, code in cases:
        data = {
            "code": "bronze",
            "name": "Bronze",
            "family": "service",
            "terms": {**TERMS, "charges": charges},
        }
        response = client.post("/v1/plans", json=data, headers=tenant.headers)
        _assert_problem(response, 422, code, field)
    assert _counts(container) == before


def test_a_published_versions_charges_never_change_a_draft_gets_the_new_ones(
    client: TestClient, tenant: Tenant
) -> None:
    _family(client, tenant)
    _meters(client, tenant)
    plan = _plan(client, tenant, terms={**TERMS, "charges": [CALLS]})
    cheaper = {**CALLS, "unit_price": "0.002"}
    draft = _edit(client, tenant, plan["id"], {"terms": {"charges": [cheaper, STORAGE]}})
    assert draft["number"] == 2 and draft["terms"]["charges"] == [cheaper, STORAGE]
    versions = _get_plan(client, tenant, plan["id"])["versions"]
    assert [v["terms"]["charges"] for v in versions] == [[CALLS], [cheaper, STORAGE]]
    response = client.patch(
        f"/v1/plans/{plan['id']}/draft",
        json={"terms": {"charges": [{**CALLS, "meter": "nope"}]}},
        headers=tenant.headers,
    )
    _assert_problem(response, 422, "unknown_reference", "terms.charges[0].meter")
    versions = _get_plan(client, tenant, plan["id"])["versions"]
    assert [v["terms"]["charges"] for v in versions] == [[CALLS], [cheaper, STORAGE]]


def test_the_catalog_file_round_trips_charges(
    container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    org = tenant.organization_id
    _family(client, tenant)
    _meters(client, tenant)
    _plan(client, tenant, terms={**TERMS, "charges": [CALLS, STORAGE]})
    exported = export_catalog(container.uow(), org)
    [plan] = exported["plans"]
    assert plan["terms"]["charges"] == [CALLS, STORAGE]
    doc = read_catalog(load_yaml(dump_yaml(exported)), "catalog.yaml")
    assert {c.kind.value for c in diff_catalog(container.uow(), org, doc)} == {"unchanged"}
    # A file naming a meter the organization lacks is refused by its path.
    plan["terms"]["charges"] = [{**CALLS, "meter": "nope"}]
    wrong = read_catalog(exported, "catalog.yaml")
    before = _counts(container)
    with pytest.raises(InvalidValue) as refused:
        apply_catalog(container.uow(), container.clock, org, wrong)
    assert refused.value.field == "plans[0].terms.charges[0].meter"
    assert _counts(container) == before
