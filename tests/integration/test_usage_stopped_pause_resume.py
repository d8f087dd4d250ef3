"""A pause and a resume in one period (ADR 0034), on SQLite and PostgreSQL, Asia/Tokyo, JPY:
the pause bills its part [1 March, pause date] once its grace has passed, on an invoice of its
own; the resume starts a new usage window at its date, billed at the period's end with the
allowance prorated from the resume. Each local date is in exactly one line."""

from __future__ import annotations

from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions.actions import pause_subscription, resume_subscription
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _invoices, _rerun_creates_nothing
from tests.integration.stopped_usage_support import TZ, march_with_150_calls
from tests.integration.usage_billing_support import send, usage_lines
from tests.unit.subscription_builders import local_at

F = Fraction


def test_a_pause_and_a_resume_bill_two_windows_each_date_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    s = march_with_150_calls(container, tenant, clock)
    org, acct = s.org, s.account
    clock.set(local_at(D(2026, 3, 16), TZ, 12))
    pause_subscription(container.uow(), container.clock, org, s.subscription)

    clock.set(local_at(D(2026, 3, 16), TZ, 12, 30))
    assert send(container, org, acct, "api_call", "2026-03-16T11:00:00+09:00") == ["accepted"]
    assert send(container, org, acct, "api_call", "2026-03-16T12:00:00+09:00") == ["period_closed"]
    assert send(container, org, acct, "api_call", "2026-03-18T10:00:00+09:00") == ["period_closed"]
    _bill(container, org)  # the pause's credit; the usage waits for the grace
    assert all(usage_lines(i) == [] for i in _invoices(container, org))

    clock.set(local_at(D(2026, 3, 16), TZ, 13))
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    paused = _invoices(container, org)[-1]
    # 151 calls over 1-16 March; 100 x 15 / 31 = 48.39 -> 48 included; 103 at JPY 2.
    assert usage_lines(paused) == [
        (
            "usage",
            "Usage: api_call",
            1,
            206,
            206,
            D(2026, 3, 1),
            D(2026, 3, 17),
            "api_call",
            F(151),
            48,
            F(103),
        )
    ]
    assert [line.kind.value for line in paused.lines] == ["usage"]  # an invoice of its own

    clock.set(local_at(D(2026, 3, 20), TZ, 9))
    resume_subscription(container.uow(), container.clock, org, s.subscription)
    clock.set(local_at(D(2026, 3, 20), TZ, 10))
    assert set(send(container, org, acct, "api_call", "2026-03-20T09:30:00+09:00", 80)) == {
        "accepted"
    }
    # Dates of the paused part, or of the pause's billed window: nowhere to count.
    assert send(container, org, acct, "api_call", "2026-03-19T10:00:00+09:00") == ["period_closed"]
    assert send(container, org, acct, "api_call", "2026-03-16T10:00:00+09:00") == ["period_closed"]

    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    lines = [line for i in invoices for line in usage_lines(i)]
    # 80 calls from 20 March; 100 x 12 / 31 = 38.71 -> 39 included; 41 at JPY 2.
    assert lines[-1] == (
        (
            "usage",
            "Usage: api_call",
            1,
            82,
            82,
            D(2026, 3, 20),
            D(2026, 4, 1),
            "api_call",
            F(80),
            39,
            F(41),
        )
    )
    measured = [line[8] for line in lines]
    assert len(lines) == 2 and sum(F(str(m)) for m in measured) == 231  # every call, once


def test_a_resume_on_the_pause_day_keeps_that_day_in_the_pause_line_closed_at_its_end(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    s = march_with_150_calls(container, tenant, clock)
    org, acct = s.org, s.account
    clock.set(local_at(D(2026, 3, 16), TZ, 12))
    pause_subscription(container.uow(), container.clock, org, s.subscription)
    clock.set(local_at(D(2026, 3, 16), TZ, 12, 30))
    resume_subscription(container.uow(), container.clock, org, s.subscription)
    clock.set(local_at(D(2026, 3, 16), TZ, 15))
    assert (
        send(container, org, acct, "api_call", "2026-03-16T14:00:00+09:00", 5) == ["accepted"] * 5
    )
    _bill(container, org)
    assert all(usage_lines(i) == [] for i in _invoices(container, org))  # not at 13:00
    clock.set(local_at(D(2026, 3, 17), TZ, 0, 59))
    _bill(container, org)
    assert all(usage_lines(i) == [] for i in _invoices(container, org))
    clock.set(local_at(D(2026, 3, 17), TZ, 1))  # the day's end + the 1 hour grace
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    assert send(container, org, acct, "api_call", "2026-03-16T16:00:00+09:00") == ["period_closed"]
    assert (
        send(container, org, acct, "api_call", "2026-03-17T09:00:00+09:00", 60) == ["accepted"] * 60
    )
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    _bill(container, org)
    lines = [line for i in _invoices(container, org) for line in usage_lines(i)]
    assert lines == [
        (
            "usage",
            "Usage: api_call",
            1,
            214,
            214,
            D(2026, 3, 1),
            D(2026, 3, 17),
            "api_call",
            F(155),
            48,
            F(107),
        ),
        # 17-31 March: 100 x 15 / 31 = 48.39 -> 48 included; 12 past it.
        (
            "usage",
            "Usage: api_call",
            1,
            24,
            24,
            D(2026, 3, 17),
            D(2026, 4, 1),
            "api_call",
            F(60),
            48,
            F(12),
        ),
    ]
