"""A change of billing cycle in the middle of a period (ADR 0034), through the API in a
sandbox, on SQLite and PostgreSQL: the cut period's dates before the change date are a stopped
usage window closed at the change instant, billed once on an invoice of its own after the
change + grace, the allowance prorated by the days held; the new period's usage starts on the
change date. (Found by the simulator: that usage was billed nowhere and late events dated in
it were refused at once.)

UTC, JPY, plan "basic" at JPY 2,990 a month (a year at 20% off: JPY 28,704) charging `calls`
at JPY 3 past 20 included (soft); taken out on 30 August 2027 05:00, changed to the year cycle
on 4 September 05:00; the grace window is 1 hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient

from plansmith.application.billing.run import run_billing
from plansmith.application.billing.test_clocks import organization_clock
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import _invoices
from tests.integration.usage_billing_support import Row, usage_lines
from tests.integration.usage_sandbox_support import CHARGE, SandboxApi, usage_sandbox
from tests.unit.subscription_builders import new_account

D, F = date, Fraction
CHANGE_PLUS_GRACE = datetime(2027, 9, 4, 6, tzinfo=UTC)


@pytest.fixture
def sandbox(container: Plansmith) -> Tenant:
    plan = {
        "pricing": "per_seat",
        "base_prices": {"JPY": 2990},
        "cycle_discounts": {"year": "20"},
        "charges": [CHARGE],
    }
    return usage_sandbox(container, "Cut Sandbox", plan)


def _cut(calls: int) -> Row:
    """30 August to 3 September, 5 of the period's 31 days: 20 x 5 / 31 = 3.23 -> 3 included."""
    billable = calls - 3
    return (
        "usage",
        "Usage: calls",
        1,
        billable * 3,
        billable * 3,
        D(2027, 8, 30),
        D(2027, 9, 4),
        "calls",
        F(calls),
        3,
        F(billable),
    )


def _with_usage(container: Plansmith, org: str) -> list[Invoice]:
    return [i for i in _invoices(container, org) if usage_lines(i)]


def _scenario(client: TestClient, container: Plansmith, sandbox: Tenant) -> tuple[SandboxApi, str]:
    """Subscribed monthly on 30 August 05:00, 30 calls a minute before now, changed to the
    year cycle on 4 September 05:00."""
    api = SandboxApi(client, sandbox, new_account(container, sandbox.organization_id, "JPY", "UTC"))
    api.advance("2027-08-30T05:00:00Z")
    sub_id = api.subscribe()
    assert api.send("2027-08-30T04:59:00Z", 30) == ["accepted"] * 30
    api.advance("2027-09-04T05:00:00Z")
    api.change_cycle(sub_id, "year")
    return api, sub_id


def test_the_cut_periods_usage_is_billed_once_on_its_own_invoice_after_the_change_and_grace(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    org = sandbox.organization_id
    api, _sub = _scenario(client, container, sandbox)
    assert _with_usage(container, org) == []  # not before the change + grace
    steps = api.advance("2027-09-06T05:00:00Z")
    assert CHANGE_PLUS_GRACE in steps  # the advance stops at the change + grace itself
    items = [
        (line.kind.value, line.amount, line.period_start, line.period_end)
        for i in _invoices(container, org)
        for line in i.lines
    ]
    assert items == [
        ("recurring", 2990, D(2027, 8, 30), D(2027, 9, 30)),
        ("credit", -2508, D(2027, 9, 4), D(2027, 9, 30)),
        ("recurring", 28704, D(2027, 9, 4), D(2028, 9, 4)),
        ("usage", 81, D(2027, 8, 30), D(2027, 9, 4)),  # 27 x JPY 3
    ]
    (billed,) = _with_usage(container, org)
    assert [line.kind.value for line in billed.lines] == ["usage"]  # an invoice of its own
    assert billed.created_at == CHANGE_PLUS_GRACE
    assert usage_lines(billed) == [_cut(30)]
    # Billing again (a run, another advance) bills nothing more.
    before = [(i.id, i.totals.total) for i in _invoices(container, org)]
    sandbox_clock = organization_clock(container.uow(), container.clock, org)
    run_billing(container.uow(), sandbox_clock, org, grace=timedelta(hours=1))
    api.advance("2027-09-20T05:00:00Z")
    assert [(i.id, i.totals.total) for i in _invoices(container, org)] == before


def test_a_late_event_before_the_change_counts_inside_the_grace_and_is_refused_after_it(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    org = sandbox.organization_id
    api, _sub = _scenario(client, container, sandbox)
    api.advance("2027-09-04T05:59:59Z")  # the grace's last second
    assert api.send("2027-09-04T04:59:59Z", 1) == ["accepted"]  # dated 4 Sept: the new period
    assert api.send("2027-09-03T23:00:00Z", 2) == ["accepted"] * 2  # dated 3 Sept: the cut
    api.advance("2027-09-04T06:00:00Z")
    assert api.send("2027-09-03T23:00:00Z", 1) == ["period_closed"]
    assert usage_lines(_with_usage(container, org)[0]) == [_cut(32)]


def test_an_event_after_the_change_counts_in_the_new_period_from_the_change_date(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    org = sandbox.organization_id
    api, _sub = _scenario(client, container, sandbox)
    assert api.send("2027-09-04T05:00:00Z", 4) == ["accepted"] * 4  # at the change instant
    api.advance("2028-09-04T06:00:00Z")  # the year's end + grace
    lines = [usage_lines(i) for i in _with_usage(container, org)]
    assert lines == [
        [_cut(30)],
        [
            # the change date starts the new period's window: no shift, the whole allowance
            (
                "usage",
                "Usage: calls",
                1,
                0,
                0,
                D(2027, 9, 4),
                D(2028, 9, 4),
                "calls",
                F(4),
                20,
                F(0),
            )
        ],
    ]


def test_a_change_on_the_periods_first_day_cuts_nothing(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    org = sandbox.organization_id
    api = SandboxApi(client, sandbox, new_account(container, org, "JPY", "UTC"))
    api.advance("2027-08-30T05:00:00Z")
    sub_id = api.subscribe()
    assert api.send("2027-08-30T04:00:00Z", 30) == ["accepted"] * 30
    api.advance("2027-08-30T07:00:00Z")
    api.change_cycle(sub_id, "year")
    api.advance("2027-09-06T05:00:00Z")
    assert _with_usage(container, org) == []
    api.advance("2028-08-30T06:00:00Z")
    (billed,) = _with_usage(container, org)
    # the 30 calls of the first day are in the new (year) period's line, 10 past 20 included
    assert usage_lines(billed) == [
        (
            "usage",
            "Usage: calls",
            1,
            30,
            30,
            D(2027, 8, 30),
            D(2028, 8, 30),
            "calls",
            F(30),
            20,
            F(10),
        )
    ]


def test_a_cancel_now_waits_for_the_cut_to_be_billed(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    """One stopped window waits per subscription: a cancel now inside the cut's grace window
    is refused (nothing changes), and works once the cut is billed."""
    org = sandbox.organization_id
    api, sub_id = _scenario(client, container, sandbox)
    api.advance("2027-09-04T05:30:00Z")
    path = f"/v1/subscriptions/{sub_id}/cancel"
    refused = client.post(path, json={"when": "now"}, headers=api.h)
    assert (refused.status_code, refused.json()["code"]) == (409, "subscription_conflict")
    api.advance("2027-09-04T06:00:00Z")
    done = client.post(path, json={"when": "now"}, headers=api.h)
    assert done.status_code == 200, done.text
    assert [usage_lines(i) for i in _with_usage(container, org)] == [[_cut(30)]]


def test_a_pause_and_resume_the_change_date_join_the_cut_in_one_line(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    """Paused and resumed on 4 September before the change that day: the pause's window (kept
    to the day's end, as after a same-day resume) and the cut make one line, 30 August to 4
    September; the new period's window starts the next day."""
    org = sandbox.organization_id
    api = SandboxApi(client, sandbox, new_account(container, org, "JPY", "UTC"))
    api.advance("2027-08-30T05:00:00Z")
    sub_id = api.subscribe()
    assert api.send("2027-08-30T04:59:00Z", 30) == ["accepted"] * 30
    api.advance("2027-09-04T03:00:00Z")
    for action, at in (("pause", "03:30"), ("resume", "04:30")):
        done = client.post(f"/v1/subscriptions/{sub_id}/{action}", json={}, headers=api.h)
        assert done.status_code == 200, done.text
        api.advance(f"2027-09-04T{at}:00Z")
    api.change_cycle(sub_id, "year")
    assert api.send("2027-09-04T20:00:00Z", 2) == ["accepted"] * 2  # in the joined window
    steps = api.advance("2027-09-06T05:00:00Z")
    assert datetime(2027, 9, 5, 1, tzinfo=UTC) in steps  # the day's end + grace
    (billed,) = _with_usage(container, org)
    # 5 days held monthly and 4 September on the year terms: 20 x 6 / 31 = 3.87 -> 4.
    assert usage_lines(billed) == [
        (
            "usage",
            "Usage: calls",
            1,
            84,
            84,
            D(2027, 8, 30),
            D(2027, 9, 5),
            "calls",
            F(32),
            4,
            F(28),
        )
    ]
