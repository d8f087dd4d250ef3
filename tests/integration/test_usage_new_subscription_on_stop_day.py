"""A new subscription taken out on the local date an earlier one of the account stopped
(ADR 0034), through the API in a sandbox, on SQLite and PostgreSQL: each local date of the
account's meter is billed in one line. The stop's date stays in the stopped window (which then
closes at that date's end + grace); the new subscription's usage window starts the next day,
its allowance prorated by the days of that window. A new subscription on a later date is
unaffected.

UTC, JPY, plan "basic" at JPY 1,000 a month charging `calls` at JPY 3 past 20 included (soft);
the sandbox starts at 2026-01-31 15:00 UTC (the first period is 31 January to 28 February, 28
days) and the grace window is 1 hour.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import _invoices, _monthly_plan
from tests.integration.usage_billing_support import Row, usage_lines
from tests.integration.usage_sandbox_support import CHARGE, SandboxApi, usage_sandbox
from tests.unit.subscription_builders import new_account

D, F = date, Fraction


@pytest.fixture
def sandbox(container: Plansmith) -> Tenant:
    basic = _monthly_plan({"JPY": 1000}, charges=[CHARGE])
    return usage_sandbox(container, "Usage Sandbox", basic)


def _usage(container: Plansmith, org: str) -> list[Row]:
    return [line for i in _invoices(container, org) for line in usage_lines(i)]


def _stopped(calls: int, billable: int) -> Row:
    """The first subscription's stopped window, 31 January to 5 February included: 20 x 5 /
    28 = 3.57 -> 4 included."""
    amount = billable * 3
    return (
        "usage",
        "Usage: calls",
        1,
        amount,
        amount,
        D(2026, 1, 31),
        D(2026, 2, 6),
        "calls",
        F(calls),
        4,
        F(billable),
    )


def _scenario(client: TestClient, container: Plansmith, sandbox: Tenant) -> tuple[SandboxApi, str]:
    """Subscribed on 31 January, 30 calls a minute before a cancel now on 5 February 15:00."""
    api = SandboxApi(client, sandbox, new_account(container, sandbox.organization_id, "JPY", "UTC"))
    first = api.subscribe()
    api.advance("2026-02-05T15:00:00Z")
    assert api.send("2026-02-05T14:59:00Z", 30) == ["accepted"] * 30
    api.cancel_now(first)
    return api, first


def test_a_new_subscription_on_the_stop_date_bills_that_dates_calls_once(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api, _first = _scenario(client, container, sandbox)
    api.subscribe()
    api.advance("2026-03-07T15:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        _stopped(30, 26),  # 26 at JPY 3
        # 6 February to 4 March, 27 of the period's 28 days: 20 x 27 / 28 = 19.29 -> 19.
        ("usage", "Usage: calls", 1, 0, 0, D(2026, 2, 6), D(2026, 3, 5), "calls", F(0), 19, F(0)),
    ]


def test_an_event_of_the_stop_date_sent_after_the_new_subscription_counts_once(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api, _first = _scenario(client, container, sandbox)
    api.subscribe()
    # Past the cancel + grace: the stopped window now closes at the day's end + grace.
    api.advance("2026-02-05T16:00:00Z")
    assert _usage(container, sandbox.organization_id) == []
    assert api.send("2026-02-05T15:30:00Z", 5) == ["accepted"] * 5  # after the cancel
    api.advance("2026-02-06T00:30:00Z")
    assert api.send("2026-02-05T23:30:00Z", 2) == ["accepted"] * 2  # late, inside the grace
    assert api.send("2026-02-06T00:10:00Z", 10) == ["accepted"] * 10  # the new window
    api.advance("2026-02-06T01:00:00Z")  # the day's end + grace: the window is billed
    assert _usage(container, sandbox.organization_id) == [_stopped(37, 33)]
    assert api.send("2026-02-05T23:59:00Z", 1) == ["period_closed"]
    assert api.send("2026-02-06T00:20:00Z", 1) == ["accepted"]
    api.advance("2026-03-07T15:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        _stopped(37, 33),  # 30 + 5 + 2 calls of 31 January to 5 February; 33 at JPY 3
        ("usage", "Usage: calls", 1, 0, 0, D(2026, 2, 6), D(2026, 3, 5), "calls", F(11), 19, F(0)),
    ]


def test_a_new_subscription_on_a_later_date_than_the_stop_is_unaffected(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api, _first = _scenario(client, container, sandbox)
    api.advance("2026-02-07T09:00:00Z")
    api.subscribe()
    api.advance("2026-02-07T11:00:00Z")
    assert api.send("2026-02-07T10:00:00Z", 25) == ["accepted"] * 25
    api.advance("2026-03-08T15:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        _stopped(30, 26),
        # Its whole first period, 7 February to 6 March: 20 included, 5 at JPY 3.
        (
            "usage",
            "Usage: calls",
            1,
            15,
            15,
            D(2026, 2, 7),
            D(2026, 3, 7),
            "calls",
            F(25),
            20,
            F(5),
        ),
    ]
