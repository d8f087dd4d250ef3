"""Meters and the grace window through the /v1 API, on both databases: made once, listed, read
by code; a second meter of a code, a wrong field, an unknown code refused with nothing
written; an Idempotency-Key replayed makes one meter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import _ok
from tests.integration.route_calls import _dump
from tests.integration.usage_api_support import METERS, UsageApi, rows, usage

__all__ = ["usage"]


def test_meters_are_listed_oldest_first_and_read_by_code(usage: UsageApi) -> None:
    listed = _ok(usage.get("/v1/meters"))["data"]
    bytes_meter = _ok(usage.get("/v1/meters/bytes"))

    assert sorted(m["code"] for m in listed) == sorted(m["code"] for m in METERS)
    assert {k: bytes_meter[k] for k in ("code", "event_code", "aggregation", "property")} == {
        "code": "bytes",
        "event_code": "api_call",
        "aggregation": "sum",
        "property": "bytes",
    }
    eu = _ok(usage.get("/v1/meters/eu_calls"))
    assert (eu["filters"], eu["property"]) == ({"region": ["eu"]}, None)


def test_a_second_meter_of_a_code_is_refused_and_nothing_changes(
    usage: UsageApi, container: Plansmith
) -> None:
    before = _dump(container)
    again = usage.post("/v1/meters", {**METERS[0], "name": "Other"})
    assert again.status_code == 409 and again.json()["code"] == "duplicate_code"
    assert again.json()["field"] == "code"
    assert _dump(container) == before


def test_a_wrong_meter_is_refused_naming_the_field(usage: UsageApi, container: Plansmith) -> None:
    before = _dump(container)
    cases = [
        ({"code": "b2", "name": "B", "event_code": "x", "aggregation": "sum"}, "property"),
        ({"code": "b3", "name": "B", "event_code": "x", "aggregation": "avg"}, "aggregation"),
        ({"code": "B 4", "name": "B", "event_code": "x", "aggregation": "count"}, "code"),
        (
            {
                "code": "b5",
                "name": "B",
                "event_code": "x",
                "aggregation": "count",
                "filters": {"region": []},
            },
            "filters.region",
        ),
    ]
    for body, field in cases:
        refused = usage.post("/v1/meters", body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == field, refused.json()
    assert _dump(container) == before


def test_an_unknown_meter_is_not_found(usage: UsageApi) -> None:
    missing = usage.get("/v1/meters/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_replayed_idempotency_key_makes_one_meter(
    client: TestClient, tenant: Tenant, container: Plansmith
) -> None:
    body = {"code": "scans", "name": "Scans", "event_code": "scan", "aggregation": "count"}
    headers = {**tenant.headers, "Idempotency-Key": "meter-1"}
    first = client.post("/v1/meters", json=body, headers=headers)
    second = client.post("/v1/meters", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert rows(container, "usage_meters") == 1


def test_the_grace_window_defaults_to_an_hour_and_is_set_within_7_days(
    usage: UsageApi, container: Plansmith
) -> None:
    path = "/v1/organization/usage_settings"
    assert _ok(usage.get(path)) == {"object": "usage_settings", "event_grace_seconds": 3600}
    assert _ok(usage.post(path, {"event_grace_seconds": 600}))["event_grace_seconds"] == 600
    before = _dump(container)
    for wrong in (604801, -1, "60", None):
        refused = usage.post(path, {"event_grace_seconds": wrong})
        assert refused.status_code == 422 and refused.json()["field"] == "event_grace_seconds"
    assert _dump(container) == before
    assert _ok(usage.get(path))["event_grace_seconds"] == 600
