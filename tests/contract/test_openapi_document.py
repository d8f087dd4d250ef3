"""The OpenAPI document's shape: stable operation ids, capability tags, problem+json answers,
and request bodies that refuse what the server refuses.

operation_ids.txt beside this file is the checked-in list of ids: generated clients name their
functions after them, so changing one breaks integrators' code. A new route adds its line; an
id that changes or disappears fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant

IDS_FILE = Path(__file__).with_name("operation_ids.txt")
TAGS = {"organization", "accounts", "portal", "catalog", "subscriptions", "invoicing"}
TAGS |= {"test_clocks", "api_keys", "events", "payments", "usage"}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    container = bootstrap(
        Settings(database_url="sqlite://", secret_key="document", base_url="http://testserver")
    )
    try:
        return create_app(container).openapi()
    finally:
        container.dispose()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, operations in document["paths"].items()
        for method, op in operations.items()
    ]


def test_operation_ids_are_short_snake_case_unique_and_the_checked_in_ones(
    document: dict[str, Any],
) -> None:
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i)] == []
    assert [i for i in ids if len(i) > 32] == []
    listed = sorted(f"{op['operationId']} {m.upper()} {p}" for m, p, op in _operations(document))
    assert listed == IDS_FILE.read_text(encoding="utf-8").splitlines(), (
        "operation ids changed: a new route adds its line to operation_ids.txt; "
        "an existing id must not change"
    )


def test_every_operation_has_one_capability_tag(document: dict[str, Any]) -> None:
    tags = {f"{m} {p}": op.get("tags") for m, p, op in _operations(document)}
    assert {k: t for k, t in tags.items() if not t or len(t) != 1 or t[0] not in TAGS} == {}


def test_every_error_answer_is_a_problem_and_every_operation_lists_its_answers(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    problem = schemas["ProblemDetails"]
    assert problem["required"] == ["type", "title", "status", "code", "detail", "errors"]
    assert schemas["FieldError"]["required"] == ["field", "code", "message"]
    for method, path, op in _operations(document):
        answers = op["responses"]
        where = f"{method.upper()} {path}"
        errors = {s: a for s, a in answers.items() if s[0] in "45"}
        assert {s: a["content"] for s, a in errors.items() if a["content"] != PROBLEM} == {}
        expected = {"401", "500"}
        parameters = op.get("parameters", [])
        if parameters or "requestBody" in op:
            expected.add("422")
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if method in ("post", "patch"):
            expected |= {"400", "409", "422"}
            assert "Idempotency-Key" in [p["name"] for p in parameters if p["in"] == "header"]
        assert expected <= set(errors), where
        assert [s for s in answers if s.startswith("2")], where


def test_answers_name_the_codes_particular_to_them(document: dict[str, Any]) -> None:
    publish = document["paths"]["/v1/plans/{plan_id}/publish"]["post"]["responses"]
    assert "`no_draft`" in publish["409"]["description"]
    assert "`idempotency_key_in_use`" in publish["409"]["description"]
    quote = document["paths"]["/v1/plans/{plan_id}/quote"]["get"]["responses"]
    assert "`not_published`" in quote["409"]["description"]
    subscribe = document["paths"]["/v1/subscriptions"]["post"]["responses"]
    assert "`not_found`" in subscribe["404"]["description"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/plans", {"rank": False}, "rank"),
        ("/v1/plans", {"rank": "3"}, "rank"),
        ("/v1/plans", {"rank": 3.0}, "rank"),
        ("/v1/plans", {"publish": 1}, "publish"),
        ("/v1/add_ons", {"quantity_allowed": "yes"}, "quantity_allowed"),
        ("/v1/portal_sessions", {"expires_in": "900"}, "expires_in"),
        ("/v1/portal_sessions", {"expires_in": True}, "expires_in"),
        ("/v1/test_clock/advance", {"to": 1893456000}, "to"),
    ],
)
def test_a_json_value_of_another_type_than_the_document_says_is_refused(
    client: TestClient, tenant: Tenant, path: str, body: dict[str, Any], field: str
) -> None:
    """As the document says: no 0 for false, no "3" or 3.0 for 3, no number for an instant."""
    response = client.post(path, json=body, headers=tenant.headers)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_address_default_sent_as_a_number_is_refused_and_nothing_is_written(
    client: TestClient, tenant: Tenant
) -> None:
    account = client.post(
        "/v1/accounts",
        json={"name": "Tanaka KK", "email": "billing@tanaka.example", "currency": "JPY"},
        headers=tenant.headers,
    ).json()
    addresses = f"/v1/accounts/{account['id']}/invoice_addresses"
    body = {"name": "Tanaka KK", "line1": "1-2-3 Shibuya", "city": "Tokyo", "country": "JP"}
    refused = client.post(addresses, json={**body, "default": 0}, headers=tenant.headers)
    assert refused.status_code == 422
    assert refused.json()["field"] == "default"
    assert client.get(addresses, headers=tenant.headers).json()["data"] == []
    plan = client.patch("/v1/plans/plan_nope", json={"rank": False}, headers=tenant.headers)
    assert plan.status_code == 422


def _numbers(
    schema: dict[str, Any], schemas: dict[str, Any], where: str, seen: frozenset[str] = frozenset()
) -> list[tuple[str, dict[str, Any]]]:
    """(where, schema) of every integer or number a request schema holds, however nested."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else _numbers(schemas[name], schemas, where, seen | {name})
    found = []
    if schema.get("type") in ("integer", "number"):
        found.append((where, schema))
    for kind in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(kind, []):
            found += _numbers(branch, schemas, where, seen)
    for name, prop in schema.get("properties", {}).items():
        found += _numbers(prop, schemas, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _numbers(schema["additionalProperties"], schemas, f"{where}.*", seen)
    if "items" in schema:
        found += _numbers(schema["items"], schemas, f"{where}[]", seen)
    return found


def _request_numbers(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    schemas = document["components"]["schemas"]
    found = []
    for method, path, op in _operations(document):
        where = f"{method.upper()} {path}"
        for p in op.get("parameters", []):
            if p["in"] == "query":
                found += _numbers(p["schema"], schemas, f"{where} ?{p['name']}")
        for content in op.get("requestBody", {}).get("content", {}).values():
            found += _numbers(content["schema"], schemas, f"{where} body")
    return found


def test_every_number_a_request_sends_has_the_servers_bounds(document: dict[str, Any]) -> None:
    """A client generator can check a number before sending it: every integer of every request
    body and query has a maximum and a minimum (no number the server takes is unbounded: the
    limits of domain/limits.py, ranks, seconds, percentages, page sizes)."""
    numbers = _request_numbers(document)
    assert len(numbers) >= 27
    assert [w for w, s in numbers if s["type"] != "integer"] == []
    assert [w for w, s in numbers if "maximum" not in s] == []
    assert [w for w, s in numbers if "minimum" not in s] == []


def test_the_published_bounds_and_vocabularies_are_the_servers(document: dict[str, Any]) -> None:
    bounds = {w: (s.get("minimum"), s.get("maximum")) for w, s in _request_numbers(document)}
    assert bounds["POST /v1/plans body.rank"] == (0, 1000)
    assert bounds["PATCH /v1/plans/{plan_id} body.rank"] == (0, 1000)
    assert bounds["POST /v1/portal_sessions body.expires_in"] == (60, 604800)
    assert bounds["POST /v1/tax_rates body.percent"] == (0, 100)
    assert bounds["POST /v1/coupons body.percent"] == (1, 100)
    assert bounds["POST /v1/subscriptions body.quantity"] == (1, 1_000_000)
    assert bounds["POST /v1/subscriptions body.add_ons.*"] == (0, 1_000_000)
    schemas = document["components"]["schemas"]
    assert schemas["CouponCreate"]["properties"]["kind"]["enum"] == ["percent", "amount"]
    assert schemas["CancelRequest"]["properties"]["when"]["enum"] == ["now", "term_end"]
    assert schemas["PlanCreate"]["properties"]["channels"]["items"]["enum"] == [
        "internal",
        "signup",
        "website",
        "portal",
    ]
    rate = schemas["TaxRateCreate"]["properties"]["percent"]["anyOf"][0]["pattern"]
    taken = ["0", "8.875", "100", "100.0000", "12.5", "007"]
    refused = ["100.01", "101", "8.87501", "-1", " 10", "1e1", "10.", ".5"]
    assert [p for p in taken if not re.fullmatch(rate, p)] == []
    assert [p for p in refused if re.fullmatch(rate, p)] == []
    off = schemas["CouponCreate"]["properties"]["percent"]["anyOf"][0]["pattern"]
    assert [p for p in ["0.0001", "0.5", "1", "100"] if not re.fullmatch(off, p)] == []
    assert [p for p in ["0", "0.0000", "00", "100.5"] if re.fullmatch(off, p)] == []


@pytest.mark.parametrize(
    ("path", "body", "field", "code"),
    [
        ("/v1/plans", {"rank": -1}, "rank", "invalid_value"),
        ("/v1/plans", {"rank": 1001}, "rank", "invalid_value"),
        ("/v1/portal_sessions", {"account_id": "acc_x", "expires_in": 59}, "expires_in", None),
        ("/v1/portal_sessions", {"account_id": "acc_x", "expires_in": 604801}, "expires_in", None),
        ("/v1/tax_rates", {"name": "T", "percent": "100.5"}, "percent", "discount_range"),
        ("/v1/tax_rates", {"name": "T", "percent": 101}, "percent", "discount_range"),
        ("/v1/tax_rates", {"name": "T", "percent": "10.00000"}, "percent", "too_many_decimals"),
        ("/v1/tax_rates", {"name": "T", "percent": "1e1"}, "percent", "invalid_value"),
        ("/v1/tax_rates", {"name": "T", "percent": " 10"}, "percent", "invalid_value"),
        ("/v1/coupons", {"code": "c", "name": "C", "kind": "percent", "percent": 0}, "percent",
         "discount_range"),
        ("/v1/coupons", {"code": "c", "name": "C", "kind": "percent", "percent": "150"},
         "percent", "discount_range"),
        ("/v1/coupons", {"code": "c", "name": "C", "kind": "percent", "percent": "15",
                         "amounts": {"USD": -5}}, "amounts.USD", "invalid_value"),
        ("/v1/extra_packs", {"code": "p", "name": "P", "prices": {"USD": -1}, "allowance": "s",
                             "amount": 1}, "prices.USD", "negative"),
        ("/v1/api_keys/key_x/roll", {"expires_in": "60"}, "expires_in", "invalid_value"),
    ],
)  # fmt: skip
def test_a_number_outside_the_published_bounds_is_refused_naming_the_field(
    client: TestClient,
    tenant: Tenant,
    path: str,
    body: dict[str, Any],
    field: str,
    code: str | None,
) -> None:
    """What the document refuses, the server refuses, with the code the use cases give it."""
    response = client.post(path, json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    codes = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert field in codes
    assert code in (None, codes[field])
    assert client.get("/v1/tax_rates", headers=tenant.headers).json()["data"] == []
