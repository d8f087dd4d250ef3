"""The dunning policy: retries and stages at the first failure's local wall time (across DST,
in a spring-forward gap, on an ambiguous fall-back hour), the next wake-up, the overdue state,
and the policy read from and written to plain data, every refusal naming its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from plansmith.domain.payments.dunning import (
    DEFAULT_POLICY,
    AfterLast,
    DunningPolicy,
    InvoiceAfterLast,
    OverdueState,
    Spacing,
    Stage,
    StageAction,
    day_at,
    next_wakeup,
    overdue_state,
    retry_at,
    retry_schedule,
    stage_reached_at,
    stages_due,
)
from plansmith.domain.payments.dunning_data import policy_from_dict, policy_to_dict

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def retries(policy: DunningPolicy, first: datetime, zone: ZoneInfo) -> list[datetime | None]:
    return [retry_at(policy, first, zone, done) for done in range(len(policy.retry_days) + 1)]


# -- retries ------------------------------------------------------------------------------------


def test_default_retries_in_new_york_keep_the_wall_time_across_the_spring_dst_change() -> None:
    first = datetime(2026, 3, 5, 9, 30, tzinfo=NEW_YORK)  # EST, 14:30Z; DST starts 2026-03-08

    got = retries(DEFAULT_POLICY, first, NEW_YORK)

    assert got == [
        utc(2026, 3, 6, 14, 30),  # 09:30 EST
        utc(2026, 3, 8, 13, 30),  # 09:30 EDT, on the day of the change
        utc(2026, 3, 10, 13, 30),
        utc(2026, 3, 12, 13, 30),
        None,
    ]
    assert [r.tzinfo for r in got if r is not None] == [UTC] * 4
    assert [r.astimezone(NEW_YORK).strftime("%d %H:%M") for r in got if r is not None] == [
        "06 09:30",
        "08 09:30",
        "10 09:30",
        "12 09:30",
    ]


def test_the_first_failure_may_be_given_in_utc_the_local_date_counts() -> None:
    first = utc(2026, 3, 6, 3, 0)  # 2026-03-05 22:00 EST: the local date is the 5th

    got = retries(DEFAULT_POLICY, first, NEW_YORK)

    assert got == [
        utc(2026, 3, 7, 3, 0),  # 03-06 22:00 EST
        utc(2026, 3, 9, 2, 0),  # 03-08 22:00 EDT
        utc(2026, 3, 11, 2, 0),
        utc(2026, 3, 13, 2, 0),
        None,
    ]


def test_retries_in_london_keep_the_wall_time_across_the_october_fall_back() -> None:
    first = datetime(2026, 10, 23, 10, 0, tzinfo=LONDON)  # BST, 09:00Z; GMT from 2026-10-25

    got = retries(DEFAULT_POLICY, first, LONDON)

    assert got == [
        utc(2026, 10, 24, 9, 0),  # 10:00 BST
        utc(2026, 10, 26, 10, 0),  # 10:00 GMT
        utc(2026, 10, 28, 10, 0),
        utc(2026, 10, 30, 10, 0),
        None,
    ]


def test_an_ambiguous_wall_time_on_the_fall_back_day_is_its_first_occurrence() -> None:
    first = datetime(2026, 10, 24, 1, 30, tzinfo=LONDON)  # BST, 00:30Z

    got = retries(DunningPolicy(retry_days=(1, 3)), first, LONDON)

    # 2026-10-25 01:30 happens twice (BST then GMT): the first, 00:30Z, not 01:30Z
    assert got == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 27, 1, 30), None]


def test_a_first_failure_in_the_second_occurrence_of_an_hour_keeps_its_wall_time() -> None:
    first = datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON)  # GMT, 01:30Z

    got = retries(DunningPolicy(retry_days=(1,)), first, LONDON)

    assert first.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    assert got == [utc(2026, 10, 26, 1, 30), None]
    assert day_at(first, LONDON, 0) == utc(2026, 10, 25, 1, 30)  # day 0: the failure itself


def test_retries_in_tokyo_are_whole_days_apart_in_utc() -> None:
    first = datetime(2026, 3, 5, 9, 30, tzinfo=TOKYO)  # 00:30Z, no DST

    got = retries(DEFAULT_POLICY, first, TOKYO)

    assert got == [
        utc(2026, 3, 6, 0, 30),
        utc(2026, 3, 8, 0, 30),
        utc(2026, 3, 10, 0, 30),
        utc(2026, 3, 12, 0, 30),
        None,
    ]


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    first = datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK)  # EST, 07:30Z

    got = retries(DEFAULT_POLICY, first, NEW_YORK)

    # 2026-03-08 02:30 does not exist in New York: 03:30 EDT, the same 07:30Z
    assert got == [
        utc(2026, 3, 8, 7, 30),
        utc(2026, 3, 10, 6, 30),  # 02:30 EDT
        utc(2026, 3, 12, 6, 30),
        utc(2026, 3, 14, 6, 30),
        None,
    ]
    assert got[0] is not None and got[0].astimezone(NEW_YORK).strftime("%H:%M") == "03:30"


def test_gaps_count_each_retry_from_the_one_before() -> None:
    policy = DunningPolicy(retry_days=(2, 3, 5), spacing=Spacing.GAPS)
    first = datetime(2026, 3, 5, 9, 30, tzinfo=NEW_YORK)

    got = retries(policy, first, NEW_YORK)

    assert policy.retry_offsets() == (2, 5, 10)
    assert got == [
        utc(2026, 3, 7, 14, 30),  # day 2, EST
        utc(2026, 3, 10, 13, 30),  # day 5, EDT
        utc(2026, 3, 15, 13, 30),  # day 10
        None,
    ]
    assert list(retry_schedule(policy, first, NEW_YORK)) == got[:3]


def test_a_policy_without_retries_has_none_to_make() -> None:
    first = utc(2026, 3, 5, 14, 30)

    assert retry_at(DunningPolicy(retry_days=()), first, NEW_YORK, 0) is None
    assert retry_at(DEFAULT_POLICY, first, NEW_YORK, 9) is None


def test_a_naive_instant_or_a_negative_count_is_refused_naming_it() -> None:
    naive = datetime(2026, 3, 5, 9, 30)
    first = utc(2026, 3, 5, 14, 30)

    with pytest.raises(InvalidValue) as no_zone:
        retry_at(DEFAULT_POLICY, naive, NEW_YORK, 0)
    with pytest.raises(InvalidValue) as negative:
        retry_at(DEFAULT_POLICY, first, NEW_YORK, -1)
    with pytest.raises(InvalidValue) as naive_now:
        stages_due(DEFAULT_POLICY, first, NEW_YORK, naive, 0)
    with pytest.raises(InvalidValue) as negative_done:
        stages_due(DEFAULT_POLICY, first, NEW_YORK, first, -1)

    assert no_zone.value.field == "first_failure_at"
    assert "no time zone" in no_zone.value.message
    assert negative.value.field == "retries_done"
    assert naive_now.value.field == "now"
    assert negative_done.value.field == "done"


# -- stages -------------------------------------------------------------------------------------

ESCALATION = DunningPolicy(
    stages=(
        Stage(0, StageAction.NOTIFY),
        Stage(3, StageAction.RESTRICT),
        Stage(3, StageAction.NOTIFY),
        Stage(10, StageAction.CANCEL_AT_TERM_END),
    )
)
FIRST = datetime(2026, 3, 5, 9, 30, tzinfo=NEW_YORK)  # 14:30Z


def test_stages_are_reached_in_order_at_the_first_failures_wall_time() -> None:
    reached = [stage_reached_at(ESCALATION, FIRST, NEW_YORK, i) for i in range(5)]

    assert reached == [
        utc(2026, 3, 5, 14, 30),  # day 0: the first failure itself
        utc(2026, 3, 8, 13, 30),  # day 3, 09:30 EDT
        utc(2026, 3, 8, 13, 30),
        utc(2026, 3, 15, 13, 30),  # day 10
        None,
    ]


def test_stages_due_are_those_reached_by_now_beyond_the_ones_done() -> None:
    at_failure = stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 3, 5, 14, 30), 0)
    just_before_day_3 = stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 3, 8, 13, 29, 59), 1)
    on_day_3 = stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 3, 8, 13, 30), 1)
    late = stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 4, 1), 0)
    late_with_two_done = stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 4, 1), 2)
    all_done = stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 4, 1), 4)

    assert at_failure == (Stage(0, StageAction.NOTIFY),)
    assert just_before_day_3 == ()
    assert on_day_3 == (Stage(3, StageAction.RESTRICT), Stage(3, StageAction.NOTIFY))
    assert late == ESCALATION.stages
    assert late_with_two_done == (
        Stage(3, StageAction.NOTIFY),
        Stage(10, StageAction.CANCEL_AT_TERM_END),
    )
    assert all_done == ()


def test_before_the_first_failure_no_stage_is_due() -> None:
    assert stages_due(ESCALATION, FIRST, NEW_YORK, utc(2026, 3, 5, 14, 29), 0) == ()
    assert stages_due(DEFAULT_POLICY, FIRST, NEW_YORK, utc(2027, 1, 1), 0) == ()


def test_a_stage_on_a_gap_day_is_reached_the_gap_later() -> None:
    policy = DunningPolicy(stages=(Stage(1, StageAction.RESTRICT),))
    first = datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK)  # 07:30Z

    before = stages_due(policy, first, NEW_YORK, utc(2026, 3, 8, 7, 29), 0)
    reached = stages_due(policy, first, NEW_YORK, utc(2026, 3, 8, 7, 30), 0)

    assert before == ()
    assert reached == (Stage(1, StageAction.RESTRICT),)


# -- the next wake-up ---------------------------------------------------------------------------

WITH_STAGES = DunningPolicy(
    stages=(Stage(2, StageAction.NOTIFY), Stage(9, StageAction.RESTRICT)),
)


def test_next_wakeup_is_the_earlier_of_the_next_retry_and_the_next_stage() -> None:
    assert next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 0, 0) == utc(2026, 3, 6, 14, 30)  # retry 1
    assert next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 1, 0) == utc(2026, 3, 7, 14, 30)  # stage 1
    assert next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 1, 1) == utc(2026, 3, 8, 13, 30)  # retry 2
    assert next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 4, 1) == utc(2026, 3, 14, 13, 30)  # stage 2


def test_next_wakeup_of_a_stage_reached_but_not_applied_is_its_past_instant() -> None:
    assert next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 4, 0) == utc(2026, 3, 7, 14, 30)


def test_next_wakeup_is_none_when_nothing_is_left() -> None:
    assert next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 4, 2) is None
    assert next_wakeup(DEFAULT_POLICY, FIRST, NEW_YORK, 4, 0) is None


def test_next_wakeup_refuses_a_negative_count_naming_it() -> None:
    with pytest.raises(InvalidValue) as refused:
        next_wakeup(WITH_STAGES, FIRST, NEW_YORK, 0, -1)

    assert refused.value.field == "stages_done"


# -- the overdue state --------------------------------------------------------------------------


def test_overdue_state_is_warning_after_a_notify_and_blocked_after_a_restrict() -> None:
    policy = DunningPolicy(
        stages=(
            Stage(1, StageAction.NOTIFY),
            Stage(3, StageAction.RESTRICT),
            Stage(5, StageAction.NOTIFY),
            Stage(9, StageAction.CANCEL_NOW),
        )
    )

    states = [overdue_state(policy, done) for done in range(6)]

    assert states == ["", "warning", "blocked", "blocked", "blocked", "blocked"]
    assert states[:3] == [OverdueState.NONE, OverdueState.WARNING, OverdueState.BLOCKED]


def test_overdue_state_without_a_notify_or_restrict_is_none() -> None:
    cancel_only = DunningPolicy(stages=(Stage(7, StageAction.CANCEL_AT_TERM_END),))

    assert overdue_state(cancel_only, 1) == ""
    assert overdue_state(DEFAULT_POLICY, 0) == ""
    with pytest.raises(InvalidValue) as negative:
        overdue_state(DEFAULT_POLICY, -1)
    assert negative.value.field == "stages_done"


# -- plain data ---------------------------------------------------------------------------------

FULL = {
    "retry_days": [2, 3, 4],
    "spacing": "gaps",
    "stages": [
        {"after_days": 0, "action": "notify"},
        {"after_days": 4, "action": "restrict"},
        {"after_days": 9, "action": "cancel_at_term_end"},
    ],
    "after_last": "past_due",
    "invoice_after_last": "open",
}


def test_a_policy_reads_from_data_and_writes_back_the_same() -> None:
    policy = policy_from_dict(FULL)

    assert policy == DunningPolicy(
        retry_days=(2, 3, 4),
        spacing=Spacing.GAPS,
        stages=(
            Stage(0, StageAction.NOTIFY),
            Stage(4, StageAction.RESTRICT),
            Stage(9, StageAction.CANCEL_AT_TERM_END),
        ),
        after_last=AfterLast.PAST_DUE,
        invoice_after_last=InvoiceAfterLast.OPEN,
    )
    assert policy_to_dict(policy) == FULL


def test_fields_left_out_take_the_default_policy() -> None:
    assert policy_from_dict({}) == DEFAULT_POLICY
    assert policy_to_dict(DEFAULT_POLICY) == {
        "retry_days": [1, 3, 5, 7],
        "spacing": "offsets",
        "stages": [],
        "after_last": "canceled",
        "invoice_after_last": "uncollectible",
    }
    assert policy_from_dict({"retry_days": []}).retry_days == ()


def test_the_largest_policy_allowed_is_read() -> None:
    data: dict[str, Any] = {
        "retry_days": [9] * 10,
        "spacing": "gaps",  # 90 days in all: the longest span
        "stages": [{"after_days": d, "action": "notify"} for d in (0, 0, 1, 2, 3, 4, 5)]
        + [{"after_days": 90, "action": "cancel_now"}],
    }

    policy = policy_from_dict(data)

    assert policy.retry_offsets()[-1] == 90
    assert len(policy.stages) == 8
    assert policy_to_dict(policy)["stages"] == data["stages"]
    assert policy_from_dict({"retry_days": list(range(51, 61))}).retry_days[-1] == 60


REFUSALS: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "too many retries",
        {"retry_days": list(range(1, 12))},
        "retry_days",
        ec.TOO_LARGE,
        "at most 10",
    ),
    ("retry day 0", {"retry_days": [0, 3]}, "retry_days[0]", ec.INVALID_VALUE, "1 day or more"),
    ("retry day 61", {"retry_days": [1, 61]}, "retry_days[1]", ec.TOO_LARGE, "60 days or fewer"),
    ("offsets repeat", {"retry_days": [1, 3, 3]}, "retry_days[2]", ec.INVALID_VALUE, "not after"),
    ("offsets go back", {"retry_days": [5, 2]}, "retry_days[1]", ec.INVALID_VALUE, "must increase"),
    (
        "gap of 0",
        {"spacing": "gaps", "retry_days": [2, 0]},
        "retry_days[1]",
        ec.INVALID_VALUE,
        "after the attempt before",
    ),
    (
        "span over 90",
        {"spacing": "gaps", "retry_days": [60, 31]},
        "retry_days",
        ec.TOO_LARGE,
        "91 days",
    ),
    ("a boolean day", {"retry_days": [1, True]}, "retry_days[1]", ec.INVALID_VALUE, "whole number"),
    ("a fractional day", {"retry_days": [1.5]}, "retry_days[0]", ec.INVALID_VALUE, "whole number"),
    ("days as text", {"retry_days": "1,3"}, "retry_days", ec.INVALID_VALUE, "a list"),
    ("null days", {"retry_days": None}, "retry_days", ec.REQUIRED, "cannot be null"),
    ("unknown spacing", {"spacing": "weekly"}, "spacing", ec.INVALID_VALUE, "use offsets or gaps"),
    (
        "too many stages",
        {"stages": [{"after_days": 1, "action": "notify"}] * 9},
        "stages",
        ec.TOO_LARGE,
        "at most 8",
    ),
    (
        "stage day -1",
        {"stages": [{"after_days": -1, "action": "notify"}]},
        "stages[0].after_days",
        ec.INVALID_VALUE,
        "0 days or more",
    ),
    (
        "stage day 91",
        {"stages": [{"after_days": 91, "action": "notify"}]},
        "stages[0].after_days",
        ec.TOO_LARGE,
        "90 days or fewer",
    ),
    (
        "stages go back",
        {
            "stages": [
                {"after_days": 5, "action": "notify"},
                {"after_days": 3, "action": "restrict"},
            ]
        },
        "stages[1].after_days",
        ec.INVALID_VALUE,
        "order they are reached",
    ),
    (
        "a boolean stage day",
        {"stages": [{"after_days": False, "action": "notify"}]},
        "stages[0].after_days",
        ec.INVALID_VALUE,
        "whole number",
    ),
    (
        "unknown action",
        {"stages": [{"after_days": 1, "action": "email"}]},
        "stages[0].action",
        ec.INVALID_VALUE,
        "use notify, restrict, cancel_now or cancel_at_term_end",
    ),
    (
        "two cancels",
        {
            "stages": [
                {"after_days": 5, "action": "cancel_at_term_end"},
                {"after_days": 9, "action": "cancel_now"},
            ]
        },
        "stages[1].action",
        ec.INVALID_VALUE,
        "cancels once",
    ),
    (
        "no action",
        {"stages": [{"after_days": 1}]},
        "stages[0].action",
        ec.REQUIRED,
        "needs its action",
    ),
    (
        "no day",
        {"stages": [{"action": "notify"}]},
        "stages[0].after_days",
        ec.REQUIRED,
        "needs its after_days",
    ),
    (
        "unknown stage key",
        {"stages": [{"after_days": 1, "action": "notify", "email": "x"}]},
        "stages[0].email",
        ec.UNKNOWN_FIELD,
        "after_days and action",
    ),
    ("a stage not a mapping", {"stages": [3]}, "stages[0]", ec.INVALID_VALUE, "expected a stage"),
    (
        "unknown key",
        {"retries": [1, 2]},
        "retries",
        ec.UNKNOWN_FIELD,
        "retry_days, spacing, stages",
    ),
    (
        "unknown after_last",
        {"after_last": "deleted"},
        "after_last",
        ec.INVALID_VALUE,
        "use canceled, cancel_at_term_end or past_due",
    ),
    (
        "unknown invoice_after_last",
        {"invoice_after_last": "void"},
        "invoice_after_last",
        ec.INVALID_VALUE,
        "use uncollectible or open",
    ),
    ("null after_last", {"after_last": None}, "after_last", ec.REQUIRED, "cannot be null"),
]


@pytest.mark.parametrize(
    ("data", "field", "code", "said"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_wrong_policy_is_refused_naming_its_field(
    data: dict[str, Any], field: str, code: str, said: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        policy_from_dict(data)

    assert refused.value.field == field
    assert refused.value.code == code
    assert said in refused.value.message


def test_every_wrong_field_is_named_at_once() -> None:
    data = {
        "retry_days": [3, 2],
        "spacing": "offsets",
        "stages": [
            {"after_days": 1, "action": "notify"},
            {"after_days": 100, "action": "restrict"},
        ],
        "after_last": "gone",
        "colour": "red",
    }

    with pytest.raises(InvalidInput) as refused:
        policy_from_dict(data)

    assert sorted((e.field or "", e.code) for e in refused.value.errors) == [
        ("after_last", ec.INVALID_VALUE),
        ("colour", ec.UNKNOWN_FIELD),
        ("retry_days[1]", ec.INVALID_VALUE),
        ("stages[1].after_days", ec.TOO_LARGE),
    ]


def test_a_wrong_spacing_leaves_the_days_unjudged() -> None:
    with pytest.raises(InvalidValue) as refused:
        policy_from_dict({"spacing": "gap", "retry_days": [2, 2, 2]})

    assert refused.value.field == "spacing"  # not also "retry_days[1]": they may be gaps


def test_a_policy_built_in_code_is_checked_by_validated() -> None:
    wrong = DunningPolicy(
        retry_days=(3, 3),
        stages=(Stage(1, StageAction.CANCEL_NOW), Stage(2, StageAction.CANCEL_NOW)),
    )

    with pytest.raises(InvalidInput) as refused:
        wrong.validated()

    assert [e.field for e in refused.value.errors] == ["retry_days[1]", "stages[1].action"]
    assert DEFAULT_POLICY.validated() is DEFAULT_POLICY


# -- properties ---------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Europe/Dublin",  # negative DST in tzdata
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute shift
    "America/Sao_Paulo",
    "America/Havana",  # changes at midnight
    "America/Santiago",
    "Pacific/Chatham",
]


@st.composite
def policies(draw: st.DrawFn) -> DunningPolicy:
    if draw(st.booleans()):
        gaps = draw(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=10))
        return DunningPolicy(retry_days=tuple(gaps), spacing=Spacing.GAPS)
    offsets = draw(
        st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=10, unique=True)
    )
    return DunningPolicy(retry_days=tuple(sorted(offsets)))


@settings(max_examples=300, deadline=None)
@given(
    policies(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    st.sampled_from(ZONES),
)
def test_retries_increase_in_utc_at_the_first_failures_wall_time(
    policy: DunningPolicy, first_naive: datetime, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    first = first_naive.replace(tzinfo=UTC)
    local_first = first.astimezone(zone)

    schedule = [retry_at(policy, first, zone, k) for k in range(len(policy.retry_days))]

    assert policy.validated() is policy
    assert retry_at(policy, first, zone, len(policy.retry_days)) is None
    instants = [first, *(r for r in schedule if r is not None)]
    assert len(instants) == len(policy.retry_days) + 1
    assert all(a < b for a, b in pairwise(instants))
    for offset, instant in zip(policy.retry_offsets(), instants[1:], strict=True):
        assert instant.tzinfo is UTC
        day = local_first.date() + timedelta(days=offset)
        wall = datetime.combine(day, local_first.time(), tzinfo=zone).replace(fold=0)
        local = instant.astimezone(zone).replace(tzinfo=None)
        if _exists(wall):
            assert local == wall.replace(tzinfo=None)
        else:  # in a spring-forward gap: the gap later
            gap = _offset(wall.replace(fold=1)) - _offset(wall)
            assert local == wall.replace(tzinfo=None) + gap


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=90), max_size=8),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    st.integers(min_value=0, max_value=100 * 24),
    st.sampled_from(ZONES),
)
def test_stages_due_grow_in_order_as_time_passes(
    days: list[int], first_naive: datetime, hours: int, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    policy = DunningPolicy(stages=tuple(Stage(d, StageAction.NOTIFY) for d in sorted(days)))
    first = first_naive.replace(tzinfo=UTC)
    now = first + timedelta(hours=hours)

    due = stages_due(policy, first, zone, now, 0)
    later = stages_due(policy, first, zone, now + timedelta(days=1), 0)

    assert due == policy.stages[: len(due)]
    assert later[: len(due)] == due
    reached = [stage_reached_at(policy, first, zone, i) for i in range(len(policy.stages))]
    assert all(r is not None and r >= first for r in reached)
    assert [r is not None and r <= now for r in reached] == [
        i < len(due) for i in range(len(policy.stages))
    ]
    assert stages_due(policy, first, zone, now, len(due)) == ()


def _exists(wall: datetime) -> bool:
    return wall.astimezone(UTC).astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(
        tzinfo=None, fold=0
    )


def _offset(wall: datetime) -> timedelta:
    offset = wall.utcoffset()
    assert offset is not None
    return offset


def test_the_property_helpers_tell_a_gap_from_an_ordinary_hour() -> None:
    assert not _exists(datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK))
    assert _exists(datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK))
    assert _exists(datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK))  # ambiguous, but it exists
