"""Which plan rates a stopped window's usage line (ADR 0034), through the API in a sandbox, on
SQLite and PostgreSQL: the plan version held at the stop, not the one held when the billing
run bills the line. A reactivation and a plan change before the stop + grace has passed rate
only the new window. (Found by the simulator, seed 30197: canceled now, reactivated and
upgraded the same day, the stop day's usage was rated by the new plan.)

UTC, JPY: "basic" at JPY 1,000 a month charging `calls` at JPY 3 past 20 included, "team" at
JPY 2,000 charging JPY 1 past 60 (soft); the sandbox starts at 2026-01-31 15:00 UTC (the
first period is 31 January to 28 February, 28 days); the grace window is 1 hour.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import _invoices, _monthly_plan
from tests.integration.usage_billing_support import Row, usage_lines
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_sandbox_support import CHARGE, SandboxApi
from tests.unit.subscription_builders import new_account, seed_catalog

D, F = date, Fraction
TEAM_CHARGE = {**CHARGE, "included": 60, "unit_price": "1"}


@pytest.fixture
def sandbox(container: Plansmith) -> Tenant:
    plans = {
        "basic": _monthly_plan({"JPY": 1000}, charges=[CHARGE]),
        "team": _monthly_plan({"JPY": 2000}, charges=[TEAM_CHARGE]),
    }
    org = create_organization(container.uow(), container.clock, "Stopped Rate", sandbox=True)
    issued = create_api_key(container.uow(), container.clock, org.id, "test")
    new_meter(container, org.id, "calls")
    seed_catalog(container, org.id, plans=plans, add_ons=False)
    return Tenant(org.id, issued.secret)


def _api(client: TestClient, container: Plansmith, sandbox: Tenant) -> SandboxApi:
    return SandboxApi(
        client, sandbox, new_account(container, sandbox.organization_id, "JPY", "UTC")
    )


def _post(api: SandboxApi, path: str, body: object = None) -> None:
    done = api.client.post(path, json=body, headers=api.h)
    assert done.status_code in (200, 201), done.text


def _restart_on_team(api: SandboxApi, sub_id: str) -> None:
    _post(api, f"/v1/subscriptions/{sub_id}/reactivate")
    _post(api, f"/v1/subscriptions/{sub_id}/changes", {"plan": "team", "when": "now"})


def _usage(container: Plansmith, org: str) -> list[Row]:
    return [line for i in _invoices(container, org) for line in usage_lines(i)]


# 31 January to 5 February, canceled on the 5th: 20 x 5 / 28 = 3.57 -> 4 included; 10 calls,
# 6 past the allowance at basic's JPY 3.
STOPPED_ON_BASIC = (
    "usage",
    "Usage: calls",
    1,
    18,
    18,
    D(2026, 1, 31),
    D(2026, 2, 6),
    "calls",
    F(10),
    4,
    F(6),
)


def test_a_same_day_reactivation_and_upgrade_leave_the_stop_day_rated_by_the_stopped_plan(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api = _api(client, container, sandbox)
    sub_id = api.subscribe()
    api.advance("2026-02-05T10:00:00Z")
    assert api.send("2026-02-05T09:00:00Z", 6) == ["accepted"] * 6
    api.cancel_now(sub_id)
    _restart_on_team(api, sub_id)
    # the stop's date stays in its window (closed at the day's end + grace), on team or not
    assert api.send("2026-02-05T12:00:00Z", 4) == ["accepted"] * 4
    api.advance("2026-02-06T01:00:00Z")
    assert _usage(container, sandbox.organization_id) == [STOPPED_ON_BASIC]


def test_an_upgrade_after_a_reactivation_the_next_day_does_not_rate_the_stopped_window(
    client: TestClient, container: Plansmith, sandbox: Tenant
) -> None:
    api = _api(client, container, sandbox)
    sub_id = api.subscribe()
    api.advance("2026-02-05T23:00:00Z")
    assert api.send("2026-02-05T22:00:00Z", 10) == ["accepted"] * 10
    api.advance("2026-02-05T23:30:00Z")
    api.cancel_now(sub_id)
    api.advance("2026-02-06T00:10:00Z")  # inside the stop's grace window, the next date
    _restart_on_team(api, sub_id)
    api.advance("2026-02-06T00:30:00Z")  # the stop + grace: its line is billed
    assert _usage(container, sandbox.organization_id) == [STOPPED_ON_BASIC]
