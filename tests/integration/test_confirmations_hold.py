"""Review round 2: a confirmation holds to what was shown.

Portal "Keep my plan" is one click only when it just withdraws a cancellation: if the term
ended before the billing run caught up, the plan is canceled by the time it is brought up to
date, and bringing it back charges a period; that is shown for confirmation, nothing saved.

Chat Team × 2 monthly from Feb 1 (Tokyo, JPY), set to cancel at term end on Feb 15; the term
ends on Mar 1 (the last day is Feb 28)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.portal_plans_support import (
    _amounts,
    _customer,
    _enter,
    _expect,
    _held,
    _snapshot,
    _text,
)


def test_keep_my_plan_after_the_term_ended_shows_the_charge_and_asks_to_confirm(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    client.post("/portal/plans/chat/cancel", data={"when": "term_end", "csrf_token": csrf})
    clock.advance(timedelta(days=15))  # Mar 2 in Tokyo: the term ended, no billing run yet
    csrf = _enter(client, container, account)  # the session of Feb 15 has expired
    before = _snapshot(container)

    asked = client.post(
        "/portal/plans/chat/reactivate", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert asked.status_code == 200
    text = _text(asked)
    assert "Reactivate Chat Team?" in text
    assert (  # the 30 of 31 days left of the period it falls in
        "Chat Team is active again from today, 2026/03/02. The rest of the current period, "
        "until 2026/03/31, is charged: ￥5,419."
    ) in text
    assert "Confirm: reactivate" in text
    assert _snapshot(container) == before
    (sub,) = _held(container, account)
    assert sub.cancel_at_period_end and sub.status.value == "active"

    done = client.post(
        "/portal/plans/chat/reactivate",
        data={"csrf_token": csrf, "expect": _expect(asked)},
        follow_redirects=False,
    )

    assert done.status_code == 303 and done.headers["location"].endswith("done=reactivated")
    (sub,) = _held(container, account)
    assert sub.status.value == "active" and not sub.cancel_at_period_end
    assert 5419 in _amounts(container, sub.id)


def test_keep_my_plan_before_the_term_ends_is_still_one_click_and_charges_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    client.post("/portal/plans/chat/cancel", data={"when": "term_end", "csrf_token": csrf})
    clock.advance(timedelta(days=5))
    csrf = _enter(client, container, account)
    (sub,) = _held(container, account)
    charged = _amounts(container, sub.id)

    kept = client.post(
        "/portal/plans/chat/reactivate", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert kept.status_code == 303 and kept.headers["location"].endswith("done=kept")
    (sub,) = _held(container, account)
    assert not sub.cancel_at_period_end and _amounts(container, sub.id) == charged
