"""`null` in a PATCH body, on every PATCH route of /v1 (walked from the app's route table, so a
new PATCH route is covered the day it is added): null clears a field that can be empty ("",
[], {} or none), and is refused, 422 `required` naming the field, for one that always holds a
value (a name, a price, a time zone, a flag, a rank); a refusal changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.api.schemas import Patch
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.integration.route_calls import PARAM, _objects, api_routes

PROBLEM = "application/problem+json"
PATCH_BODIES = {
    "/v1/accounts/{account_id}": "AccountUpdate",
    "/v1/accounts/{account_id}/invoice_addresses/{address_id}": "AddressUpdate",
    "/v1/plan_families/{family_id}": "FamilyUpdate",
    "/v1/plans/{plan_id}": "PlanUpdate",
    "/v1/plans/{plan_id}/draft": "DraftUpdate",
    "/v1/plans/{plan_id}/versions/{version_id}": "DraftUpdate",
    "/v1/add_ons/{add_on_id}": "AddOnUpdate",
    "/v1/extra_packs/{pack_id}": "ExtraPackUpdate",
    "/v1/webhook_endpoints/{endpoint_id}": "WebhookEndpointUpdate",
}
# A value other than the cleared one, set first so that clearing it shows.
SET_FIRST: dict[str, Any] = {
    "tax_id": "DE123456789",
    "external_id": "crm-42",
    "default_invoice_address_id": "<address_id>",
    "line2": "Floor 2",
    "region": "Berlin",
    "postal_code": "10115",
    "fits_families": ["service"],
    "fits_plans": ["bravo-basic"],
    "features": ["chat"],
    "allowances": {"scans": 5},
    "description": "Worth having",
    "event_types": ["invoice.finalized"],
}
# Cleared to "", these are shown as null: the account has none.
SHOWN_AS_NULL = {"tax_id", "external_id", "default_invoice_address_id"}


def patch_routes(container: Plansmith) -> list[tuple[str, type[Any]]]:
    found: list[tuple[str, type[Any]]] = []
    for path, methods, route in api_routes(create_app(container)):
        if "PATCH" in methods:
            assert isinstance(route, APIRoute) and route.body_field is not None, path
            annotation = route.body_field.field_info.annotation
            assert isinstance(annotation, type), path
            found.append((path, annotation))
    return found


def _snapshot(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    with container.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in t.metadata.sorted_tables
        ]


def _url(path: str, objects: dict[str, str]) -> str:
    return PARAM.sub(lambda m: objects[m.group(1)], path)


@pytest.fixture
def objects(client: TestClient, tenant: Tenant) -> dict[str, str]:
    found = _objects(client, tenant)
    plan = client.get(f"/v1/plans/{found['plan_id']}", headers=tenant.headers).json()
    assert plan["draft_version_id"]
    # An endpoint on an address of the Internet (never sent to: no delivery worker runs here).
    endpoint = client.post(
        "/v1/webhook_endpoints", json={"url": "https://93.184.215.14/hooks"}, headers=tenant.headers
    )
    assert endpoint.status_code == 201, endpoint.text
    # /versions/{version_id} takes the draft: a published version refuses a new name anyway.
    return {**found, "version_id": plan["draft_version_id"], "endpoint_id": endpoint.json()["id"]}


def test_every_patch_route_takes_a_patch_body(container: Plansmith) -> None:
    routes = patch_routes(container)

    assert {path: model.__name__ for path, model in routes} == PATCH_BODIES
    assert all(issubclass(model, Patch) for _, model in routes)


def test_null_clears_an_optional_field_and_is_refused_for_a_required_one_on_every_route(
    client: TestClient, container: Plansmith, tenant: Tenant, objects: dict[str, str]
) -> None:
    refused, cleared = [], []
    for path, model in patch_routes(container):
        url = _url(path, objects)
        for field in model.model_fields:
            if field in model.clears:
                value = SET_FIRST[field]
                value = objects["address_id"] if value == "<address_id>" else value
                set_first = client.patch(url, json={field: value}, headers=tenant.headers)
                assert set_first.status_code == 200, (path, field, set_first.text)
                assert set_first.json()[field] not in (model.clears[field], None), (path, field)
                answer = client.patch(url, json={field: None}, headers=tenant.headers)
                assert answer.status_code == 200, (path, field, answer.text)
                expected = None if field in SHOWN_AS_NULL else model.clears[field]
                assert answer.json()[field] == expected, (path, field)
                cleared.append((path, field))
            else:
                before = _snapshot(container)
                answer = client.patch(url, json={field: None}, headers=tenant.headers)
                assert answer.headers["content-type"] == PROBLEM, (path, field, answer.text)
                body = answer.json()
                refused.append((path, answer.status_code, body["code"], body["field"]))
                assert _snapshot(container) == before, (path, field)

    assert refused == [
        (path, 422, "required", field)
        for path, model in patch_routes(container)
        for field in model.model_fields
        if field not in model.clears
    ]
    assert (len(refused), len(cleared)) == (27, 14)


@pytest.mark.parametrize(
    ("field", "status", "code"),
    [("name", 422, "required"), ("prices", 422, "required"), ("description", 200, None)],
)
@pytest.mark.parametrize("kind", ["add_ons", "extra_packs"])
def test_null_name_prices_or_description_of_an_add_on_or_pack_is_never_a_500(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    objects: dict[str, str],
    kind: str,
    field: str,
    status: int,
    code: str | None,
) -> None:
    object_id = objects["add_on_id" if kind == "add_ons" else "pack_id"]
    url = f"/v1/{kind}/{object_id}"
    client.patch(url, json={"description": "Worth having"}, headers=tenant.headers)
    before = client.get(url, headers=tenant.headers).json()
    rows = _snapshot(container)

    answer = client.patch(url, json={field: None}, headers=tenant.headers)

    assert answer.status_code == status, answer.text
    if code is not None:
        assert (answer.json()["code"], answer.json()["field"]) == (code, field)
        assert _snapshot(container) == rows
    else:
        assert answer.json() == {**before, "description": ""}


def test_the_published_schema_allows_null_only_where_it_clears(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def nullable(model: str, field: str) -> bool:
        prop = schemas[model]["properties"][field]
        return any(kind.get("type") == "null" for kind in prop.get("anyOf", []))

    assert nullable("AddOnUpdate", "description") and not nullable("AddOnUpdate", "name")
    assert not nullable("ExtraPackUpdate", "prices")
    assert nullable("AccountUpdate", "tax_id") and not nullable("AccountUpdate", "email")
