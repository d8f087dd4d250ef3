"""Bad usage events through the /v1 API, on both databases, each alone in a batch and as a
single event: an event code no meter reads, an unknown account, a timestamp without its UTC
offset, a negative amount for a sum meter, a missing property a sum meter reads; and a batch
over 1,000 refused whole. Each answer names the field and the reason; nothing is counted
(no event row, no aggregate, no other row anywhere)."""

from __future__ import annotations

from typing import Any

import pytest

from plansmith.bootstrap import Plansmith
from tests.integration.route_calls import _dump
from tests.integration.usage_api_support import UsageApi, call, rows, usage

__all__ = ["usage"]

FEB_1 = "2026-02-01T09:00:00+09:00"
# (what is wrong, the event's fields over a good one, status alone, code, field, the message says)
BAD: list[tuple[str, dict[str, Any], int, str, str, str]] = [
    ("unknown meter", {"code": "download"}, 422, "unknown_code", "code", "no meter reads"),
    (
        "unknown account",
        {"account_id": "acct_nobody"},
        404,
        "account_not_found",
        "account_id",
        "acct_nobody",
    ),
    (
        "timestamp without offset",
        {"timestamp": "2026-02-01T09:00:00"},
        422,
        "invalid_value",
        "timestamp",
        "no UTC offset",
    ),
    (
        "negative sum property",
        {"properties": {"bytes": -0.5}},
        422,
        "property_negative",
        "properties.bytes",
        "bytes",
    ),
    (
        "missing sum property",
        {"properties": {"region": "eu"}},
        422,
        "property_missing",
        "properties.bytes",
        "'bytes'",
    ),
]


def _counted(container: Plansmith) -> tuple[int, int, int]:
    return tuple(rows(container, name) for name in ("usage_events", "usage_daily", "usage_unique"))  # type: ignore[return-value]


@pytest.mark.parametrize(("wrong", "change", "status", "code", "field", "says"), BAD)
def test_a_bad_event_in_a_batch_is_rejected_naming_its_field_and_nothing_is_counted(
    usage: UsageApi,
    container: Plansmith,
    wrong: str,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str,
    says: str,
) -> None:
    account = usage.subscriber()
    bad = {**call(account, "bad-1", FEB_1, bytes=3, region="eu"), **change}
    before = _dump(container)

    answered = usage.batch([bad])

    assert answered.status_code == 200, answered.text
    body = answered.json()
    [answer] = body["data"]
    assert (answer["id"], answer["status"], answer["code"]) == ("bad-1", "rejected", code), wrong
    assert answer["field"] == f"events[0].{field}"
    assert says in answer["message"], answer["message"]
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert _counted(container) == (0, 0, 0)
    assert _dump(container) == before


@pytest.mark.parametrize(("wrong", "change", "status", "code", "field", "says"), BAD)
def test_a_bad_single_event_is_refused_naming_its_field_and_nothing_is_counted(
    usage: UsageApi,
    container: Plansmith,
    wrong: str,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str,
    says: str,
) -> None:
    account = usage.subscriber()
    bad = {**call(account, "bad-1", FEB_1, bytes=3, region="eu"), **change}
    before = _dump(container)

    refused = usage.post("/v1/events", bad)

    assert refused.status_code == status, (wrong, refused.text)
    problem = refused.json()
    assert (problem["code"], problem["field"]) == (code, field), problem
    assert says in problem["detail"], problem
    assert _counted(container) == (0, 0, 0)
    assert _dump(container) == before


def test_bad_events_among_good_ones_leave_only_the_good_counted(
    usage: UsageApi, container: Plansmith
) -> None:
    account = usage.subscriber()
    events = [call(account, f"ok-{n}", FEB_1, bytes=2, region="eu") for n in range(3)]
    for n, (_wrong, change, *_rest) in enumerate(BAD):
        events.insert(1 + n, {**call(account, f"bad-{n}", FEB_1, bytes=3), **change})

    body = usage.batch(events).json()

    assert [a["status"] for a in body["data"]] == ["accepted"] + ["rejected"] * 5 + ["accepted"] * 2
    assert [a["field"] for a in body["data"][1:6]] == [
        f"events[{1 + n}].{field}" for n, (*_head, field, _says) in enumerate(BAD)
    ]
    assert rows(container, "usage_events") == 3
    assert usage.values(account) == {
        "bytes": "6",
        "calls": 3,
        "eu_calls": 3,
        "peak": "2",
        "users": 0,
    }


def test_a_batch_of_1001_is_refused_whole_naming_events_and_nothing_is_counted(
    usage: UsageApi, container: Plansmith
) -> None:
    account = usage.subscriber()
    before = _dump(container)

    refused = usage.batch([call(account, f"e-{n}", FEB_1, bytes=1) for n in range(1001)])

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["code"], problem["field"]) == ("batch_too_large", "events")
    assert "1,000" in problem["detail"] and "1,001" in problem["detail"]
    assert _counted(container) == (0, 0, 0)
    assert _dump(container) == before
