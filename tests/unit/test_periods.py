"""Billing periods: local dates, month-end clamping from the anchor, DST and leap years."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import (
    BillingSchedule,
    Cycle,
    CycleUnit,
    InvalidTimeZone,
    Period,
    add_months_clamped,
    local_date,
    local_midnight,
    zone,
)

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "America/Havana",
]
CYCLES = [
    Cycle.DAILY,
    Cycle.WEEKLY,
    Cycle.MONTHLY,
    Cycle.QUARTERLY,
    Cycle.SEMIANNUAL,
    Cycle.ANNUAL,
]
SECOND = timedelta(seconds=1)


@st.composite
def month_end_anchors(draw: st.DrawFn) -> date:
    """Anchors on days 28-31 of any month, or on Feb 29 of a leap year."""
    if draw(st.booleans()):
        year = draw(st.sampled_from([y for y in range(2000, 2031) if calendar.isleap(y)]))
        return date(year, 2, 29)
    year = draw(st.integers(min_value=2000, max_value=2030))
    month = draw(st.integers(min_value=1, max_value=12))
    day = draw(st.integers(min_value=28, max_value=calendar.monthrange(year, month)[1]))
    return date(year, month, day)


def _starts_local_day(instant: datetime, day: date, tz: ZoneInfo) -> bool:
    """``instant`` is the first instant of local ``day``: midnight, or the end of a DST gap."""
    local = instant.astimezone(tz)
    first_of_day = local.date() == day and local_date(instant - SECOND, tz) < day
    midnight_exists = (
        datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC).astimezone(tz).hour == 0
    )
    at_midnight = (local.hour, local.minute, local.second) == (0, 0, 0)
    return first_of_day and (at_midnight or not midnight_exists)


# -- tiling property ----------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(month_end_anchors(), st.sampled_from(CYCLES), st.sampled_from(ZONES))
def test_periods_tile_five_years_without_gap_or_overlap(
    anchor: date, cycle: Cycle, tz_name: str
) -> None:
    tz = zone(tz_name)
    schedule = BillingSchedule(anchor, cycle, tz)
    horizon = add_months_clamped(anchor, 60)
    count = schedule.index_of(horizon) + 1

    periods = schedule.periods(0, count)
    stride = max(1, len(periods) // 60)

    assert periods[0].start == anchor
    assert periods[-1].end > horizon
    for k, period in enumerate(periods):
        assert period.start_at < period.end_at
        assert _starts_local_day(period.start_at, period.start, tz)
        # A period is whole local days; DST moves its length by at most an hour here.
        elapsed = period.end_at - period.start_at
        assert abs(elapsed - timedelta(days=period.days)) <= timedelta(hours=1)
        if k + 1 < len(periods):
            assert period.end == periods[k + 1].start
            assert period.end_at == periods[k + 1].start_at
        if cycle.unit is CycleUnit.MONTH:
            assert period.start == add_months_clamped(anchor, k * cycle.count)
        if k % stride and k != len(periods) - 1:
            continue  # lookups on a sample of the 1,800 daily periods keep this test fast
        assert schedule.period(k) == period
        assert schedule.index_of(period.start) == k
        assert schedule.index_of(period.end - timedelta(days=1)) == k
        assert schedule.period_containing(period.start) == period
        assert schedule.period_containing_instant(period.start_at) == period
        assert schedule.period_containing_instant(period.end_at - SECOND) == period


@settings(max_examples=60, deadline=None)
@given(
    month_end_anchors(),
    st.sampled_from([Cycle.DAILY, Cycle.WEEKLY, Cycle.MONTHLY]),
    st.sampled_from(ZONES),
)
def test_period_days_equals_the_local_dates_it_covers(
    anchor: date, cycle: Cycle, tz_name: str
) -> None:
    tz = zone(tz_name)
    period = BillingSchedule(anchor, cycle, tz).period(1)
    # Every local day lasts at least 23 hours, so hourly samples meet every one of them.
    hours = int((period.end_at - period.start_at).total_seconds() // 3600)

    seen = {local_date(period.start_at + timedelta(hours=h), tz) for h in range(hours + 1)}
    seen.discard(period.end)

    assert len(seen) == period.days
    assert min(seen) == period.start
    assert max(seen) == period.end - timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
    st.integers(min_value=-240, max_value=240),
)
def test_add_months_clamped_keeps_the_day_or_the_month_end(anchor: date, months: int) -> None:
    result = add_months_clamped(anchor, months)

    assert (result.year * 12 + result.month) - (anchor.year * 12 + anchor.month) == months
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(anchor.day, last_day)


# -- examples -----------------------------------------------------------------------------


def _starts(anchor: date, cycle: Cycle, count: int) -> list[date]:
    schedule = BillingSchedule(anchor, cycle, zone("UTC"))
    return [p.start for p in schedule.periods(0, count)]


def test_jan_31_2023_monthly_clamps_to_feb_28_then_returns_to_mar_31() -> None:
    assert _starts(date(2023, 1, 31), Cycle.MONTHLY, 3) == [
        date(2023, 1, 31),
        date(2023, 2, 28),
        date(2023, 3, 31),
    ]


def test_jan_31_2024_monthly_clamps_to_each_month_end() -> None:
    assert _starts(date(2024, 1, 31), Cycle.MONTHLY, 5) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_feb_29_annual_comes_back_to_feb_29_in_the_next_leap_year() -> None:
    assert _starts(date(2024, 2, 29), Cycle.ANNUAL, 5) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (1, date(2023, 2, 28)),
        (2, date(2023, 3, 31)),
        (3, date(2023, 4, 30)),
        (4, date(2023, 5, 31)),
        (-2, date(2022, 11, 30)),
        (13, date(2024, 2, 29)),
    ],
)
def test_add_months_clamped_examples(months: int, expected: date) -> None:
    assert add_months_clamped(date(2023, 1, 31), months) == expected


def test_sao_paulo_2018_period_begins_when_the_skipped_midnight_ends() -> None:
    tz = zone("America/Sao_Paulo")
    schedule = BillingSchedule(date(2018, 10, 4), Cycle.MONTHLY, tz)

    first, second = schedule.periods(0, 2)

    assert first.end_at == second.start_at == datetime(2018, 11, 4, 3, tzinfo=UTC)
    assert second.start_at.astimezone(tz).hour == 1  # 00:00-00:59 did not exist that day
    assert first.days == 31
    assert BillingSchedule(date(2018, 11, 3), Cycle.DAILY, tz).period(1).start_at == (
        datetime(2018, 11, 4, 3, tzinfo=UTC)
    )


def test_havana_ambiguous_midnight_begins_at_its_first_occurrence() -> None:
    tz = zone("America/Havana")
    day = BillingSchedule(date(2024, 11, 3), Cycle.DAILY, tz).period(0)

    assert day.start_at == datetime(2024, 11, 3, 4, tzinfo=UTC)  # 00:00 CDT, not 00:00 CST
    assert day.end_at - day.start_at == timedelta(hours=25)
    assert day.days == 1


def test_havana_skipped_midnight_day_is_23_hours() -> None:
    tz = zone("America/Havana")
    day = BillingSchedule(date(2024, 3, 10), Cycle.DAILY, tz).period(0)

    assert day.start_at.astimezone(tz).hour == 1
    assert day.end_at - day.start_at == timedelta(hours=23)


def test_new_york_month_with_dst_change_is_still_whole_local_days() -> None:
    tz = zone("America/New_York")
    march = BillingSchedule(date(2024, 3, 1), Cycle.MONTHLY, tz).period(0)

    assert march.days == 31
    assert march.start_at == datetime(2024, 3, 1, 5, tzinfo=UTC)
    assert march.end_at == datetime(2024, 4, 1, 4, tzinfo=UTC)


def test_starting_at_anchors_on_the_local_date_of_the_instant() -> None:
    tokyo = zone("Asia/Tokyo")
    instant = datetime(2024, 1, 31, 20, tzinfo=UTC)  # Feb 1, 05:00 in Tokyo

    schedule = BillingSchedule.starting_at(instant, Cycle.MONTHLY, tokyo)

    assert schedule.anchor == date(2024, 2, 1)
    assert schedule.period_containing_instant(instant).start == date(2024, 2, 1)


def test_period_membership_is_half_open() -> None:
    utc = zone("UTC")
    period = Period(date(2024, 1, 1), date(2024, 2, 1), utc)

    assert period.contains(date(2024, 1, 1))
    assert period.contains(date(2024, 1, 31))
    assert not period.contains(date(2024, 2, 1))
    assert period.contains_instant(datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC))
    assert not period.contains_instant(datetime(2024, 2, 1, tzinfo=UTC))
    assert period.overlaps(Period(date(2024, 1, 31), date(2024, 3, 1), utc))
    assert not period.overlaps(Period(date(2024, 2, 1), date(2024, 3, 1), utc))


def test_overlap_across_zones_compares_instants() -> None:
    january_utc = Period(date(2024, 1, 1), date(2024, 2, 1), zone("UTC"))
    # Feb 1 in Los Angeles begins at 08:00 UTC, so its January still runs into February UTC.
    january_la = Period(date(2024, 1, 1), date(2024, 2, 1), zone("America/Los_Angeles"))
    february_utc = Period(date(2024, 2, 1), date(2024, 3, 1), zone("UTC"))

    assert january_la.overlaps(february_utc)
    assert january_la.overlaps(january_utc)


# -- cycles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("day", Cycle.DAILY),
        ("week", Cycle.WEEKLY),
        ("month", Cycle.MONTHLY),
        ("monthly", Cycle.MONTHLY),
        ("quarter", Cycle.QUARTERLY),
        ("quarterly", Cycle.QUARTERLY),
        ("half_year", Cycle.SEMIANNUAL),
        ("semiannual", Cycle.SEMIANNUAL),
        ("year", Cycle.ANNUAL),
        ("annual", Cycle.ANNUAL),
        ("annually", Cycle.ANNUAL),
        ("2_months", Cycle.every_n_months(2)),
        ("every_18_months", Cycle.every_n_months(18)),
        ("12_months", Cycle.ANNUAL),
        (" Monthly ", Cycle.MONTHLY),
    ],
)
def test_cycle_parse(text: str, expected: Cycle) -> None:
    assert Cycle.parse(text) == expected


@pytest.mark.parametrize(
    ("cycle", "name"),
    [
        (Cycle.DAILY, "day"),
        (Cycle.WEEKLY, "week"),
        (Cycle.MONTHLY, "month"),
        (Cycle.QUARTERLY, "quarter"),
        (Cycle.SEMIANNUAL, "half_year"),
        (Cycle.ANNUAL, "year"),
        (Cycle.every_n_months(2), "2_months"),
        (Cycle(CycleUnit.WEEK, 2), "2_weeks"),
    ],
)
def test_cycle_canonical_names(cycle: Cycle, name: str) -> None:
    assert cycle.name == name


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(list(CycleUnit)), st.integers(min_value=1, max_value=9999))
def test_cycle_name_round_trips_through_parse(unit: CycleUnit, count: int) -> None:
    cycle = Cycle(unit, count)

    assert Cycle.parse(cycle.name) == cycle


@pytest.mark.parametrize(
    "text", ["", "fortnight", "0_months", "-1_months", "1.5_months", "month ly", "months", "3"]
)
def test_invalid_cycle_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Cycle.parse(text)

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "cycle"
    assert repr(text) in caught.value.message


@pytest.mark.parametrize("count", [0, -1])
def test_cycle_count_must_be_positive(count: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        Cycle(CycleUnit.MONTH, count)

    assert caught.value.field == "cycle"


# -- failure paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", "local", "localtime", "Factory", "Mars/Olympus", "/etc/localtime", "../etc/passwd",
     "america/new_york", "UTC "],
)  # fmt: skip
def test_invalid_time_zone_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidTimeZone) as caught:
        zone(name, field="account.time_zone")

    assert caught.value.code == "invalid_time_zone"
    assert caught.value.field == "account.time_zone"
    assert repr(name) in caught.value.message


def test_valid_time_zones_load() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    assert zone("UTC").key == "UTC"


def test_naive_datetime_is_refused() -> None:
    naive = datetime(2024, 1, 1, 12)

    with pytest.raises(InvalidValue) as caught:
        local_date(naive, zone("UTC"))

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "instant"
    with pytest.raises(InvalidValue):
        BillingSchedule.starting_at(naive, Cycle.MONTHLY, zone("UTC"))


def test_date_before_the_anchor_has_no_period() -> None:
    schedule = BillingSchedule(date(2024, 1, 31), Cycle.MONTHLY, zone("UTC"))

    with pytest.raises(InvalidValue) as caught:
        schedule.index_of(date(2024, 1, 30))

    assert caught.value.field == "date"


def test_period_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidValue) as caught:
        Period(date(2024, 1, 1), date(2024, 1, 1), zone("UTC"))

    assert caught.value.field == "end"


def test_a_datetime_is_not_accepted_as_a_local_date() -> None:
    with pytest.raises(InvalidValue) as caught:
        local_midnight(datetime(2024, 1, 1, tzinfo=UTC), zone("UTC"))

    assert caught.value.field == "date"
