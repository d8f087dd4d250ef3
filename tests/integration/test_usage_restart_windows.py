"""Usage windows around a stop and a restart (ADRs 0029 and 0034), through the API in a
sandbox, on SQLite and PostgreSQL: an event is accepted only when a usage line will bill its
date, and each date is billed once. (Found by the simulator, seeds 20494, 20538 and 20790.)

- A subscription reactivated in a later period starts a new usage window on the reactivation
  date, whatever ended it (a cancel now, or a cancel at the term end); the dates before count
  nowhere, even those of the earlier period still inside its end + grace.
- A cancel inside the grace window after a period's end is dated on the period's last day: the
  date of its instant is in none of its windows, and a new subscription taken out that date
  starts its window that date (it is not the stop's own date).

UTC, JPY, plan "basic" at JPY 1,000 a month charging `calls` at JPY 3 past 20 included (soft);
the sandbox starts at 2026-01-31 15:00 UTC (periods from 31 January: 28 February, 31 March,
30 April); the grace window is 1 hour.
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
    return usage_sandbox(container, "Restart Sandbox", basic)


def _api(client: TestClient, container: Plansmith, sandbox: Tenant) -> SandboxApi:
    return SandboxApi(
        client, sandbox, new_account(container, sandbox.organization_id, "JPY", "UTC")
    )


def _post(api: SandboxApi, path: str, body: object = None) -> None:
    done = api.client.post(path, json=body, headers=api.h)
    assert done.status_code == 200, done.text


def _usage(container: Plansmith, org: str) -> list[Row]:
    lines = [line for i in _invoices(container, org) for line in usage_lines(i)]
    return sorted(lines, key=lambda row: (row[5], row[6]))  # by the window's dates


def _line(start: date, end: date, calls: int, included: int) -> Row:
    billable = max(0, calls - included)
    amount = billable * 3
    return (
        "usage",
        "Usage: calls",
        1,
        amount,
        amount,
        start,
        end,
        "calls",
        F(calls),
        included,
        F(billable),
    )


# 31 January to 5 February, canceled now on the 5th: 20 x 5 / 28 = 3.57 -> 4 included.
FIRST_STOPPED = _line(D(2026, 1, 31), D(2026, 2, 6), 0, 4)


def test_a_reactivation_just_after_a_period_end_refuses_the_gap_dates_of_that_period(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api = _api(client, container, sandbox)
    sub_id = api.subscribe()
    api.advance("2026-02-05T15:00:00Z")
    api.cancel_now(sub_id)
    # 31 March 00:30: the period 28 February to 31 March is inside its end + grace
    api.advance("2026-03-31T00:30:00Z")
    _post(api, f"/v1/subscriptions/{sub_id}/reactivate")
    assert api.send("2026-03-30T12:00:00Z", 1) == ["period_closed"]  # canceled that day
    assert api.send("2026-02-10T12:00:00Z", 1) == ["period_closed"]
    assert api.send("2026-03-31T00:10:00Z", 25) == ["accepted"] * 25
    api.advance("2026-04-30T01:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        FIRST_STOPPED,
        _line(D(2026, 3, 31), D(2026, 4, 30), 25, 20),  # the whole period: 5 at JPY 3
    ]


def test_a_reactivation_after_a_cancel_at_the_term_end_starts_its_window_that_day(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api = _api(client, container, sandbox)
    sub_id = api.subscribe()
    _post(api, f"/v1/subscriptions/{sub_id}/cancel", {"when": "term_end"})
    api.advance("2026-03-15T09:00:00Z")  # ended on 28 February
    _post(api, f"/v1/subscriptions/{sub_id}/reactivate")
    api.advance("2026-03-15T10:00:00Z")
    assert api.send("2026-03-10T12:00:00Z", 1) == ["period_closed"]  # not in service then
    assert api.send("2026-03-01T12:00:00Z", 1) == ["period_closed"]
    assert api.send("2026-03-15T09:30:00Z", 25) == ["accepted"] * 25
    api.advance("2026-03-31T01:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        _line(D(2026, 1, 31), D(2026, 2, 28), 0, 20),  # the last period, billed at its end
        # 15 to 30 March, 16 of the period's 31 days: 20 x 16 / 31 = 10.32 -> 10 included
        _line(D(2026, 3, 15), D(2026, 3, 31), 25, 10),
    ]


def _canceled_inside_the_grace_window(api: SandboxApi) -> None:
    """Canceled now on 28 February 00:30, inside the grace window after the first period's
    end: dated 27 February, its stopped window is 31 January to 27 February."""
    first = api.subscribe()
    api.advance("2026-02-28T00:30:00Z")
    api.cancel_now(first)
    assert api.send("2026-02-28T00:10:00Z", 1) == ["period_closed"]  # after the stop's date


# 31 January to 27 February: 20 x 27 / 28 = 19.29 -> 19 included.
LAST_DAY_STOPPED = _line(D(2026, 1, 31), D(2026, 2, 28), 0, 19)


def test_a_new_subscription_after_a_stop_dated_the_day_before_starts_its_window_that_day(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api = _api(client, container, sandbox)
    _canceled_inside_the_grace_window(api)
    api.subscribe()
    assert api.send("2026-02-28T00:20:00Z", 25) == ["accepted"] * 25
    api.advance("2026-03-28T01:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        LAST_DAY_STOPPED,
        _line(D(2026, 2, 28), D(2026, 3, 28), 25, 20),  # its whole first period
    ]


def test_that_new_subscription_canceled_at_once_bills_its_one_date(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api = _api(client, container, sandbox)
    _canceled_inside_the_grace_window(api)
    second = api.subscribe()
    assert api.send("2026-02-28T00:20:00Z", 3) == ["accepted"] * 3
    api.cancel_now(second)
    api.advance("2026-02-28T02:00:00Z")
    assert _usage(container, sandbox.organization_id) == [
        LAST_DAY_STOPPED,
        _line(D(2026, 2, 28), D(2026, 3, 1), 3, 0),  # no day held before the stop's date
    ]
