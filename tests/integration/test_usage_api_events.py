"""Usage events through the /v1 API, on both databases: one at a time and in batches, each
answered on its own; the first and last second of a local period in Tokyo; a duplicate id with
another payload counted once; late events inside and outside the grace window; every refusal
naming its reason and field with nothing counted (see usage_api_support for the set-up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import _ok
from tests.integration.route_calls import _dump
from tests.integration.usage_api_support import UsageApi, call, rows, usage

__all__ = ["usage"]

FEB_1 = "2026-02-01T00:00:00+09:00"
PERIOD_END = datetime(2026, 2, 28, 15, tzinfo=UTC)  # Mar 1 00:00 in Tokyo


def _refused(response: Any, status: int, code: str, field: str) -> None:
    assert response.status_code == status, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field), response.json()


def test_an_event_counts_on_its_local_date_in_every_meter_that_reads_it(usage: UsageApi) -> None:
    account = usage.subscriber()
    sent = usage.event(account, "e-1", FEB_1, bytes=1500, region="eu")

    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "accepted" and sent.json()["local_date"] == "2026-02-01"
    assert usage.values(account) == {
        "bytes": "1500",
        "calls": 1,
        "eu_calls": 1,
        "peak": "1500",
        "users": 0,
    }


def test_the_first_and_last_second_of_a_local_period_count_in_it(usage: UsageApi) -> None:
    account = usage.subscriber()
    answers = _ok(
        usage.batch(
            [
                call(account, "first", "2026-01-31T15:00:00Z", bytes=1),
                call(account, "last", "2026-02-28T14:59:59Z", bytes=2),
                call(account, "next", "2026-02-28T15:00:00Z", bytes=4),
            ]
        )
    )
    assert [a["local_date"] for a in answers["data"]] == ["2026-02-01", "2026-02-28", "2026-03-01"]
    february = usage.usage(account)
    assert (february["period_start"], february["period_end"]) == ("2026-02-01", "2026-03-01")
    assert usage.values(account)["bytes"] == "3"
    march = usage.usage(account, at="2026-03-01")
    assert (march["period_start"], march["period_end"]) == ("2026-03-01", "2026-04-01")
    assert {m["meter"]: m["value"] for m in march["meters"]}["bytes"] == "4"


def test_a_duplicate_id_with_another_payload_is_counted_once(
    usage: UsageApi, container: Plansmith
) -> None:
    account = usage.subscriber()
    assert usage.event(account, "same", FEB_1, bytes=10).status_code == 201

    again = usage.event(account, "same", "2026-02-02T00:00:00+09:00", bytes=99)
    batch = _ok(
        usage.batch([call(account, "same", FEB_1, bytes=7), call(account, "new", FEB_1, bytes=0)])
    )

    _refused(again, 409, "duplicate", "id")
    assert [(a["status"], a["code"]) for a in batch["data"]] == [
        ("rejected", "duplicate"),
        ("accepted", None),
    ]
    assert batch["data"][0]["field"] == "events[0].id"
    assert usage.values(account)["bytes"] == "10" and usage.values(account)["calls"] == 2
    assert rows(container, "usage_events") == 2


def test_one_id_twice_in_a_batch_counts_the_first(usage: UsageApi) -> None:
    account = usage.subscriber()
    batch = _ok(
        usage.batch([call(account, "x", FEB_1, bytes=1), call(account, "x", FEB_1, bytes=5)])
    )
    assert [a["code"] for a in batch["data"]] == [None, "duplicate"]
    assert usage.values(account)["bytes"] == "1"


def test_ids_are_per_account(usage: UsageApi) -> None:
    one, two = usage.subscriber("One KK"), usage.subscriber("Two KK")
    batch = _ok(usage.batch([call(one, "x", FEB_1, bytes=1), call(two, "x", FEB_1, bytes=2)]))
    assert batch["accepted"] == 2
    assert (usage.values(one)["bytes"], usage.values(two)["bytes"]) == ("1", "2")


def test_the_account_may_be_named_by_its_external_id(usage: UsageApi) -> None:
    account = usage.subscriber()
    _ok(
        usage.client.patch(
            f"/v1/accounts/{account}", json={"external_id": "cust-42"}, headers=usage.headers
        )
    )
    event = {
        "id": "e",
        "external_id": "cust-42",
        "code": "api_call",
        "timestamp": FEB_1,
        "properties": {"bytes": 1},
    }
    sent = usage.post("/v1/events", event)
    assert sent.status_code == 201 and sent.json()["account_id"] == account
    unknown = usage.post("/v1/events", {**event, "external_id": "cust-43"})
    _refused(unknown, 404, "account_not_found", "external_id")


def test_late_events_count_inside_the_grace_window_and_not_after(
    usage: UsageApi, clock: TestClock, container: Plansmith
) -> None:
    account = usage.subscriber()
    last_day = "2026-02-28T23:00:00+09:00"
    clock.set(PERIOD_END + timedelta(minutes=59, seconds=59))
    assert usage.event(account, "in-grace", last_day, bytes=1).status_code == 201

    clock.set(PERIOD_END + timedelta(hours=1))
    before = _dump(container)
    late = usage.event(account, "too-late", last_day, bytes=1)

    _refused(late, 422, "period_closed", "timestamp")
    assert _dump(container) == before
    assert usage.values(account, at="2026-02-28")["calls"] == 1


def test_a_longer_grace_window_accepts_a_later_event(usage: UsageApi, clock: TestClock) -> None:
    account = usage.subscriber()
    _ok(usage.post("/v1/organization/usage_settings", {"event_grace_seconds": 86400}))
    clock.set(PERIOD_END + timedelta(hours=23))
    assert usage.event(account, "late", "2026-02-28T23:00:00+09:00", bytes=1).status_code == 201
    clock.set(PERIOD_END + timedelta(hours=24))
    _refused(
        usage.event(account, "later", "2026-02-28T23:00:00+09:00", bytes=1),
        422,
        "period_closed",
        "timestamp",
    )


def test_every_refusal_names_its_reason_and_nothing_is_counted(
    usage: UsageApi, container: Plansmith
) -> None:
    account = usage.subscriber()
    unsubscribed = usage.account("No Plan KK")
    before = _dump(container)

    _refused(
        usage.event(account, "a", "2026-01-31T14:59:59Z"), 422, "before_subscription", "timestamp"
    )
    _refused(usage.event(unsubscribed, "b", FEB_1), 422, "no_subscription", "account_id")
    _refused(usage.event("acct_nobody", "c", FEB_1), 404, "account_not_found", "account_id")
    _refused(
        usage.event(account, "d", "2026-02-01T09:00:00", bytes=1), 422, "invalid_value", "timestamp"
    )
    _refused(
        usage.event(account, "e", FEB_1, bytes=-1), 422, "property_negative", "properties.bytes"
    )
    _refused(usage.event(account, "f", FEB_1), 422, "property_missing", "properties.bytes")
    _refused(
        usage.event(account, "g", FEB_1, bytes="many"),
        422,
        "property_not_numeric",
        "properties.bytes",
    )
    login = {"id": "i", "account_id": account, "code": "login", "timestamp": FEB_1}
    _refused(usage.post("/v1/events", login), 422, "property_missing", "properties.user")
    unknown = {**login, "code": "download"}
    _refused(usage.post("/v1/events", unknown), 422, "unknown_code", "code")

    assert _dump(container) == before


def test_a_batch_answers_each_event_in_order_and_writes_only_the_accepted(
    usage: UsageApi, container: Plansmith
) -> None:
    account = usage.subscriber()
    answers = _ok(
        usage.batch(
            [
                call(account, "ok-1", FEB_1, bytes=2, region="eu"),
                call(account, "neg", FEB_1, bytes=-2),
                call(account, "naive", "2026-02-01T10:00:00", bytes=2),
                call("acct_nobody", "who", FEB_1, bytes=2),
                {"id": "login", "account_id": account, "code": "login", "timestamp": FEB_1},
                {"account_id": account, "code": "api_call", "timestamp": FEB_1},
                call(account, "ok-2", "2026-02-03T12:00:00+09:00", bytes=3),
            ]
        )
    )
    found = [(a["id"], a["status"], a["code"], a["field"]) for a in answers["data"]]
    assert found == [
        ("ok-1", "accepted", None, None),
        ("neg", "rejected", "property_negative", "events[1].properties.bytes"),
        ("naive", "rejected", "invalid_value", "events[2].timestamp"),
        ("who", "rejected", "account_not_found", "events[3].account_id"),
        ("login", "rejected", "property_missing", "events[4].properties.user"),
        (None, "rejected", "invalid_value", "events[5].id"),
        ("ok-2", "accepted", None, None),
    ]
    assert (answers["accepted"], answers["rejected"]) == (2, 5)
    assert rows(container, "usage_events") == 2
    assert usage.values(account) == {
        "bytes": "5",
        "calls": 2,
        "eu_calls": 1,
        "peak": "3",
        "users": 0,
    }


def test_a_batch_over_1000_is_refused_whole_and_nothing_is_counted(
    usage: UsageApi, container: Plansmith
) -> None:
    account = usage.subscriber()
    before = _dump(container)
    events = [call(account, f"e-{n}", FEB_1, bytes=1) for n in range(1001)]

    refused = usage.batch(events)

    _refused(refused, 422, "batch_too_large", "events")
    assert _dump(container) == before
    assert _ok(usage.batch(events[:1000]))["accepted"] == 1000
    assert usage.values(account)["calls"] == 1000


def test_a_malformed_batch_is_refused_whole(usage: UsageApi, container: Plansmith) -> None:
    usage.subscriber()
    before = _dump(container)
    bodies: list[object] = [
        {"events": "many"},
        {"events": [1, 2]},
        {},
        [],
        {"events": [], "more": 1},
    ]
    for body in bodies:
        refused = usage.post("/v1/events/batch", body)
        assert refused.status_code == 422, (body, refused.text)
    assert _dump(container) == before


def test_an_account_of_another_organization_is_not_found(
    usage: UsageApi, other_tenant: Tenant, container: Plansmith
) -> None:
    other = UsageApi(usage.client, other_tenant)
    other.catalog()
    theirs = other.subscriber()
    before = _dump(container)
    _refused(usage.event(theirs, "x", FEB_1, bytes=1), 404, "account_not_found", "account_id")
    assert _ok(usage.batch([call(theirs, "y", FEB_1, bytes=1)]))["data"][0]["code"] == (
        "account_not_found"
    )
    assert _dump(container) == before
