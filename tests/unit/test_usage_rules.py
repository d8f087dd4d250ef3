"""The rules of usage events, pure: the local date and period an event counts in (first and
last second of a Tokyo period, a DST day in New York, a trial), the grace window's boundary,
the account's subscriptions, and the checks of events, properties, meters and settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.periods import Cycle, Period
from plansmith.domain.usage.events import (
    EventRefused,
    HeldSubscription,
    check_grace,
    governing,
    parse_event,
    place,
)
from plansmith.domain.usage.meters import micros, new_meter, unique_text

TOKYO, NEW_YORK = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
NOW = datetime(2026, 2, 10, tzinfo=UTC)


def held(
    start: date,
    tz: ZoneInfo = TOKYO,
    *,
    cycle: Cycle = Cycle.MONTHLY,
    anchor: date | None = None,
    current: tuple[date, date] | None = None,
    ended_on: date | None = None,
) -> HeldSubscription:
    anchor = anchor or start
    period = current or (anchor, anchor + timedelta(days=28))
    return HeldSubscription(start, anchor, cycle, period[0], period[1], ended_on, tz)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


TOKYO_FEB = [held(date(2026, 2, 1), current=(date(2026, 2, 1), date(2026, 3, 1)))]


def test_the_first_second_of_a_local_period_counts_in_it() -> None:
    day, period = place(at("2026-01-31T15:00:00+00:00"), TOKYO, TOKYO_FEB, NOW, HOUR)
    assert (day, period) == (date(2026, 2, 1), Period(date(2026, 2, 1), date(2026, 3, 1), TOKYO))


def test_the_last_second_of_a_local_period_counts_in_it_and_the_next_in_the_next() -> None:
    last, period = place(at("2026-02-28T23:59:59+09:00"), TOKYO, TOKYO_FEB, NOW, HOUR)
    first, after = place(at("2026-02-28T15:00:00Z"), TOKYO, TOKYO_FEB, NOW, HOUR)
    assert (last, period.end) == (date(2026, 2, 28), date(2026, 3, 1))
    assert (first, after) == (date(2026, 3, 1), Period(date(2026, 3, 1), date(2026, 4, 1), TOKYO))


def test_a_local_date_before_the_first_subscription_is_refused() -> None:
    with pytest.raises(EventRefused) as refused:
        place(at("2026-01-31T14:59:59Z"), TOKYO, TOKYO_FEB, NOW, HOUR)
    assert (refused.value.code, refused.value.field) == (ec.BEFORE_SUBSCRIPTION, "timestamp")


def test_an_account_without_subscription_is_refused_as_such() -> None:
    with pytest.raises(EventRefused) as refused:
        place(at("2026-02-01T00:00:00Z"), TOKYO, [], NOW, HOUR)
    assert refused.value.code == ec.NO_SUBSCRIPTION


def test_the_grace_window_closes_exactly_at_the_period_end_plus_grace() -> None:
    event = at("2026-02-28T23:59:59+09:00")  # the period ends 2026-02-28 15:00 UTC
    inside = at("2026-02-28T15:59:59Z")
    place(event, TOKYO, TOKYO_FEB, inside, HOUR)
    with pytest.raises(EventRefused) as refused:
        place(event, TOKYO, TOKYO_FEB, at("2026-02-28T16:00:00Z"), HOUR)
    assert (refused.value.code, refused.value.field) == (ec.PERIOD_CLOSED, "timestamp")
    with pytest.raises(EventRefused):  # no grace: closed the instant the period ends
        place(event, TOKYO, TOKYO_FEB, at("2026-02-28T15:00:00Z"), timedelta(0))


def test_a_dst_day_in_new_york_is_one_local_date_of_23_hours() -> None:
    """Clocks spring forward on 2026-03-08: that date runs 05:00 to 04:00 UTC the next day."""
    daily = [
        held(
            date(2026, 3, 1),
            NEW_YORK,
            cycle=Cycle.DAILY,
            current=(date(2026, 3, 8), date(2026, 3, 9)),
        )
    ]
    first, period = place(at("2026-03-08T05:00:00Z"), NEW_YORK, daily, NOW, timedelta(0))
    last, same = place(at("2026-03-09T03:59:59Z"), NEW_YORK, daily, NOW, timedelta(0))
    assert first == last == date(2026, 3, 8) and period == same
    assert period.end_at - period.start_at == timedelta(hours=23)
    before, _ = place(at("2026-03-08T04:59:59Z"), NEW_YORK, daily, NOW, timedelta(0))
    assert before == date(2026, 3, 7)
    received = at("2026-03-09T04:00:00Z")  # the period's end, 23 hours after its start
    with pytest.raises(EventRefused):
        place(at("2026-03-09T03:59:59Z"), NEW_YORK, daily, received, timedelta(0))
    place(
        at("2026-03-09T03:59:59Z"), NEW_YORK, daily, received - timedelta(seconds=1), timedelta(0)
    )


def test_a_trial_is_its_own_period_then_periods_repeat_from_its_end() -> None:
    trial = [
        held(
            date(2026, 2, 1),
            anchor=date(2026, 2, 15),
            current=(date(2026, 2, 1), date(2026, 2, 15)),
        )
    ]
    _, during = place(at("2026-02-10T12:00:00+09:00"), TOKYO, trial, NOW, HOUR)
    _, after = place(at("2026-02-20T12:00:00+09:00"), TOKYO, trial, NOW, HOUR)
    assert (during.start, during.end) == (date(2026, 2, 1), date(2026, 2, 15))
    assert (after.start, after.end) == (date(2026, 2, 15), date(2026, 3, 15))


def test_the_oldest_subscription_in_force_governs_and_an_ended_one_covers_a_gap() -> None:
    old = held(date(2026, 1, 5), ended_on=date(2026, 2, 5))
    new = held(date(2026, 2, 10))
    assert governing([old, new], date(2026, 1, 20)) is old
    assert governing([old, new], date(2026, 2, 7)) is old  # the gap: the one that ended last
    assert governing([old, new], date(2026, 2, 12)) is new
    both = held(date(2026, 1, 1))
    assert governing([new, both], date(2026, 2, 12)) is both


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            {"id": "e", "account_id": "a", "code": "c", "timestamp": "2026-02-01T09:00:00"},
            "timestamp",
        ),
        ({"id": "e", "account_id": "a", "code": "c", "timestamp": "yesterday"}, "timestamp"),
        ({"id": "e", "account_id": "a", "code": "c", "timestamp": 1767225600}, "timestamp"),
        ({"id": "", "account_id": "a", "code": "c", "timestamp": "2026-02-01T09:00:00Z"}, "id"),
        ({"id": "e" * 201, "account_id": "a", "code": "c", "timestamp": "2026-02-01T09:00Z"}, "id"),
        ({"id": "e", "code": "c", "timestamp": "2026-02-01T09:00:00Z"}, "account_id"),
        (
            {
                "id": "e",
                "account_id": "a",
                "external_id": "x",
                "code": "c",
                "timestamp": "2026-02-01T09:00:00Z",
            },
            "account_id",
        ),
        ({"id": "e", "account_id": "a", "timestamp": "2026-02-01T09:00:00Z"}, "code"),
        (
            {
                "id": "e",
                "account_id": "a",
                "code": "c",
                "timestamp": "2026-02-01T09:00:00Z",
                "properties": [1],
            },
            "properties",
        ),
        (
            {
                "id": "e",
                "account_id": "a",
                "code": "c",
                "timestamp": "2026-02-01T09:00Z",
                "properties": {"n": True},
            },
            "properties.n",
        ),
        (
            {"id": "e", "account_id": "a", "code": "c", "timestamp": "2026-02-01T09:00Z", "qty": 1},
            "qty",
        ),
    ],
)
def test_a_wrong_event_is_refused_naming_its_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_event(raw)
    assert refused.value.field == field


def test_an_event_keeps_its_offset_and_properties() -> None:
    event = parse_event(
        {
            "id": "e-1",
            "external_id": "cust-9",
            "code": "c",
            "timestamp": "2026-02-01T09:00:00+09:00",
            "properties": {"bytes": 10, "region": "eu"},
        }
    )
    assert event.timestamp == at("2026-02-01T00:00:00Z") and event.account_id is None
    assert (event.external_id, dict(event.properties)) == ("cust-9", {"bytes": 10, "region": "eu"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (1, 1_000_000),
        (0.1, 100_000),
        (2.5, 2_500_000),
        (0.000001, 1),
        (999_999_999_999, 999_999_999_999_000_000),
    ],
)
def test_numbers_are_exact_millionths(value: float, expected: int) -> None:
    assert micros(value, "properties.n", "m") == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, ec.PROPERTY_NEGATIVE),
        (-0.5, ec.PROPERTY_NEGATIVE),
        ("5", ec.PROPERTY_NOT_NUMERIC),
        (True, ec.PROPERTY_NOT_NUMERIC),
        (0.0000001, ec.PROPERTY_NOT_NUMERIC),
        (10**12, ec.PROPERTY_NOT_NUMERIC),
    ],
)
def test_an_unfit_number_is_refused_naming_the_property(value: object, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        micros(value, "properties.n", "m")  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.field) == (code, "properties.n")


def test_unique_values_are_compared_by_their_exact_text() -> None:
    assert unique_text(1) == unique_text(1.0) == "1"
    assert unique_text("1") == "1" and unique_text(0.5) == "0.5"


def _meter(**changes: object) -> object:
    data: dict[str, object] = {
        "code": "bytes",
        "name": "Bytes",
        "event_code": "api_call",
        "aggregation": "sum",
        "property": "bytes",
        "filters": None,
    }
    data.update(changes)
    return new_meter(id="mtr_1", organization_id="org_1", now=NOW, **data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"property": None}, "property"),
        ({"aggregation": "unique_count", "property": None}, "property"),
        ({"aggregation": "count"}, "property"),
        ({"aggregation": "average"}, "aggregation"),
        ({"code": "Bytes!"}, "code"),
        ({"event_code": ""}, "event_code"),
        ({"name": " "}, "name"),
        ({"filters": {"region": []}}, "filters.region"),
        ({"filters": {"region": [1]}}, "filters.region"),
        ({"filters": ["eu"]}, "filters"),
    ],
)
def test_a_wrong_meter_is_refused_naming_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        _meter(**changes)
    assert refused.value.field == field


def test_a_meter_reads_only_the_events_its_filters_pass() -> None:
    meter = new_meter(
        id="m",
        organization_id="o",
        code="eu",
        name="EU bytes",
        event_code="api_call",
        aggregation="sum",
        property="bytes",
        filters={"region": ["eu", "uk"]},
        now=NOW,
    )
    assert meter.matches({"region": "eu"}) and meter.matches({"region": "uk", "bytes": 1})
    assert not meter.matches({"region": "us"}) and not meter.matches({})
    assert meter.reading({"bytes": 1.25}).amount == 1_250_000
    with pytest.raises(InvalidValue) as refused:
        meter.reading({"region": "eu"})
    assert (refused.value.code, refused.value.field) == (ec.PROPERTY_MISSING, "properties.bytes")


@pytest.mark.parametrize("seconds", [0, 3600, 604800])
def test_a_grace_window_is_0_to_7_days(seconds: int) -> None:
    assert check_grace(seconds) == timedelta(seconds=seconds)


@pytest.mark.parametrize("seconds", [-1, 604801, True, 1.5, "60"])
def test_another_grace_window_is_refused_naming_the_field(seconds: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_grace(seconds)
    assert refused.value.field == "event_grace_seconds"


def test_sums_stay_exact_where_floats_would_not() -> None:
    assert 0.1 + 0.2 != 0.3
    assert micros(0.1, "n", "m") + micros(0.2, "n", "m") == micros(0.3, "n", "m")
    assert Decimal(micros(0.3, "n", "m")) / 10**6 == Decimal("0.3")


def test_the_date_is_read_in_the_zone_of_the_subscription_it_counts_in() -> None:
    """An account moved to New York keeps a subscription taken out in Tokyo: its periods and
    the dates they sum are Tokyo's."""
    instant = at("2026-02-01T20:00:00Z")  # Feb 1 15:00 in New York, Feb 2 05:00 in Tokyo
    day, period = place(instant, NEW_YORK, TOKYO_FEB, NOW, HOUR)
    assert (day, period.tz) == (date(2026, 2, 2), TOKYO)
