"""An immediate cancel in the middle of a period (ADR 0034), on SQLite and PostgreSQL, Asia/Tokyo,
JPY: late events dated before the stop count while the grace window lasts and are refused
after it; events at or after the stop never count; a sandbox's clock advance bills the line
at the stop + grace instant itself; a reactivation in the same period starts a new usage
window at its date, as a new subscription would."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.billing import test_clocks
from plansmith.application.kernel.ports import Clock
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.actions import (
    cancel_subscription,
    reactivate_subscription,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.application.usage.ingest import ingest
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _invoices, _rerun_creates_nothing
from tests.integration.stopped_usage_support import TZ, catalog, march_with_150_calls
from tests.integration.usage_billing_support import send, usage_lines
from tests.unit.subscription_builders import local_at, new_account

F = Fraction
MARCH_1_TO_16 = (D(2026, 3, 1), D(2026, 3, 17))


def test_late_events_count_inside_the_grace_and_are_refused_after_it(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    s = march_with_150_calls(container, tenant, clock)
    org, acct = s.org, s.account
    clock.set(local_at(D(2026, 3, 16), TZ, 12))
    cancel_subscription(container.uow(), container.clock, org, s.subscription, "now")
    clock.set(
        local_at(D(2026, 3, 16), TZ, 12, 59) + timedelta(seconds=59)
    )  # the grace's last second
    assert (
        send(container, org, acct, "api_call", "2026-03-16T11:59:59+09:00", 3) == ["accepted"] * 3
    )
    assert send(container, org, acct, "api_call", "2026-03-16T03:00:00Z") == ["period_closed"]
    assert send(container, org, acct, "api_call", "2026-04-02T10:00:00+09:00") == ["period_closed"]
    clock.set(local_at(D(2026, 3, 16), TZ, 13))  # closed: before the stop, but too late
    assert send(container, org, acct, "api_call", "2026-03-16T11:00:00+09:00") == ["period_closed"]
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    # The first invoice, then in one run the usage (alone) and the stop's credit, each its own.
    assert [len(usage_lines(i)) for i in invoices] == [0, 1, 0]
    assert [line.kind.value for line in invoices[1].lines] == ["usage"]
    assert [line.kind.value for line in invoices[2].lines] == ["credit"]
    assert usage_lines(invoices[1]) == [
        ("usage", "Usage: api_call", 1, 210, 210, *MARCH_1_TO_16, "api_call", F(153), 48, F(105))
    ]
    clock.set(local_at(D(2026, 4, 1), TZ, 2))  # nothing more: the period end is not billed
    _bill(container, org)
    assert len(_invoices(container, org)) == 3


def test_a_reactivation_in_the_same_period_starts_a_new_usage_window_at_its_date(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    s = march_with_150_calls(container, tenant, clock)
    org, acct = s.org, s.account
    clock.set(local_at(D(2026, 3, 16), TZ, 12))
    cancel_subscription(container.uow(), container.clock, org, s.subscription, "now")
    clock.set(local_at(D(2026, 3, 22), TZ, 9))
    assert send(container, org, acct, "api_call", "2026-03-21T09:00:00+09:00") == ["period_closed"]
    _bill(container, org)
    reactivate_subscription(container.uow(), container.clock, org, s.subscription)
    clock.set(local_at(D(2026, 3, 23), TZ, 9))
    assert set(send(container, org, acct, "api_call", "2026-03-23T09:00:00+09:00", 70)) == {
        "accepted"
    }
    assert send(container, org, acct, "api_call", "2026-03-21T09:00:00+09:00") == ["period_closed"]
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    lines = [line for i in _invoices(container, org) for line in usage_lines(i)]
    assert lines == [
        # 150 calls over 1-16 March; 48 included; 102 at JPY 2.
        ("usage", "Usage: api_call", 1, 204, 204, *MARCH_1_TO_16, "api_call", F(150), 48, F(102)),
        # 70 calls from 22 March; 100 x 10 / 31 = 32.26 -> 32 included; 38 at JPY 2.
        (
            "usage",
            "Usage: api_call",
            1,
            76,
            76,
            D(2026, 3, 22),
            D(2026, 4, 1),
            "api_call",
            F(70),
            32,
            F(38),
        ),
    ]


def test_a_sandbox_clock_advance_bills_the_stopped_usage_at_the_stop_plus_the_grace(
    container: Plansmith, clock: TestClock
) -> None:
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    org = create_organization(container.uow(), container.clock, "Usage Sandbox", sandbox=True).id
    catalog(container, org)
    acct = new_account(container, org, "JPY", TZ)

    def advance(to: datetime) -> test_clocks.ClockAdvance:
        return test_clocks.advance_clock(container.uow(), org, to, timedelta(0))

    def sandbox() -> Clock:
        return test_clocks.organization_clock(container.uow(), container.clock, org)

    advance(local_at(D(2026, 3, 1), TZ, 9))
    taken = subscribe(container.uow(), sandbox(), org, SubscribeInput(acct, "basic"))
    sub_id = taken.view.subscription.id
    advance(local_at(D(2026, 3, 10), TZ, 9))
    events = [
        {
            "id": f"e{i}",
            "account_id": acct,
            "code": "api_call",
            "timestamp": "2026-03-10T09:00+09:00",
        }
        for i in range(130)
    ]
    assert {a.status for a in ingest(container.uow(), sandbox(), org, events)} == {"accepted"}
    advance(local_at(D(2026, 3, 16), TZ, 12))
    cancel_subscription(container.uow(), sandbox(), org, sub_id, "now")
    done = advance(local_at(D(2026, 3, 20), TZ, 9))
    stop_plus_grace = local_at(D(2026, 3, 16), TZ, 13)
    assert stop_plus_grace in [step.at for step in done.steps]
    invoices = _invoices(container, org)
    assert [len(usage_lines(i)) for i in invoices] == [0, 0, 1]
    assert invoices[-1].created_at == stop_plus_grace
    # 130 calls, 48 included, 82 at JPY 2.
    assert usage_lines(invoices[-1]) == [
        ("usage", "Usage: api_call", 1, 164, 164, *MARCH_1_TO_16, "api_call", F(130), 48, F(82))
    ]
