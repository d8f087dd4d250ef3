"""Issue 13, defect 5 (portal): "Cancel now" and "Reactivate" move money, so the first post
only shows what they do (the amount and the day) and saves nothing; a second post carrying
the fingerprint of what was shown does it. CSRF is checked on both; a confirm whose figures
moved shows the new ones (409) and saves nothing; a confirm sent twice does it once.

Chat Team × 2 monthly from Feb 1 (Tokyo, JPY); the customer acts on Feb 15: 14 of 28 days
left, worth ￥2,800."""

from __future__ import annotations

import re
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


def test_cancel_now_first_shows_the_credit_and_the_day_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)

    asked = client.post("/portal/plans/chat/cancel", data={"when": "now", "csrf_token": csrf})

    assert asked.status_code == 200
    text = _text(asked)
    assert "Cancel Chat Team now?" in text
    assert (
        "Chat Team ends today, 2026/02/15. The unused 14 days, until 2026/02/28, are credited: "
        "￥2,800 on your next invoice."
    ) in text
    assert "Confirm: cancel now" in text and "Back, change nothing" in text
    assert re.search(r'<a href="/portal/plans\?family=chat">Back, change nothing</a>', asked.text)
    assert _snapshot(container) == before
    (sub,) = _held(container, account)
    assert sub.status.value == "active"


def test_the_second_post_with_what_was_shown_cancels_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    form = {"when": "now", "csrf_token": csrf}
    shown = _expect(client.post("/portal/plans/chat/cancel", data=form))

    done = client.post(
        "/portal/plans/chat/cancel", data={**form, "expect": shown}, follow_redirects=False
    )
    after = _snapshot(container)
    again = client.post("/portal/plans/chat/cancel", data={**form, "expect": shown})

    assert done.status_code == 303
    assert done.headers["location"] == "/portal/plans?family=chat&done=canceled"
    (sub,) = _held(container, account)
    assert sub.status.value == "canceled" and _amounts(container, sub.id) == [-2800, 5600]
    # Sent twice (a double click, a reload): done once; the second is not found to cancel.
    assert again.status_code == 404
    assert _snapshot(container) == after


def test_a_confirm_whose_figures_moved_shows_the_new_ones_and_saves_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _customer(container, tenant)
    clock.advance(timedelta(hours=23, minutes=30))  # shown at 23:30 on Feb 15 in Tokyo...
    csrf = _enter(client, container, account)
    form = {"when": "now", "csrf_token": csrf}
    shown = _expect(client.post("/portal/plans/chat/cancel", data=form))
    clock.advance(timedelta(minutes=45))  # ... confirmed on Feb 16: 13 days left
    before = _snapshot(container)

    moved = client.post("/portal/plans/chat/cancel", data={**form, "expect": shown})

    assert moved.status_code == 409
    text = _text(moved)
    assert "The figures changed since you reviewed them" in text
    assert "The unused 13 days, until 2026/02/28, are credited: ￥2,600" in text  # 5,600 x 13/28
    assert _snapshot(container) == before


def test_both_steps_need_the_form_token(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    shown = _expect(
        client.post("/portal/plans/chat/cancel", data={"when": "now", "csrf_token": csrf})
    )
    before = _snapshot(container)

    pages = [
        client.post("/portal/plans/chat/cancel", data={"when": "now"}),
        client.post("/portal/plans/chat/cancel", data={"when": "now", "expect": shown}),
        client.post(
            "/portal/plans/chat/cancel",
            data={"when": "now", "expect": shown, "csrf_token": "forged"},
        ),
        client.post("/portal/plans/chat/reactivate", data={"expect": shown}),
    ]

    for page in pages:
        assert page.status_code == 403
    assert _snapshot(container) == before


def test_reactivate_first_shows_the_charge_then_charges_it(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    now = {"when": "now", "csrf_token": csrf}
    client.post(
        "/portal/plans/chat/cancel",
        data={**now, "expect": _expect(client.post("/portal/plans/chat/cancel", data=now))},
    )
    before = _snapshot(container)

    asked = client.post("/portal/plans/chat/reactivate", data={"csrf_token": csrf})
    unchanged = _snapshot(container)
    done = client.post(
        "/portal/plans/chat/reactivate",
        data={"csrf_token": csrf, "expect": _expect(asked)},
        follow_redirects=False,
    )

    text = _text(asked)
    assert asked.status_code == 200 and "Reactivate Chat Team?" in text
    assert (
        "Chat Team is active again from today, 2026/02/15. The rest of the current period, "
        "until 2026/02/28, is charged: ￥2,800."
    ) in text
    assert "Confirm: reactivate" in text
    assert unchanged == before
    assert done.status_code == 303 and done.headers["location"].endswith("done=reactivated")
    (sub,) = _held(container, account)
    assert sub.status.value == "active" and _amounts(container, sub.id) == [-2800, 2800, 5600]


def test_keeping_a_plan_set_to_cancel_at_term_end_stays_one_click(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    # It moves no money and only withdraws a cancellation: no confirmation step.
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    client.post("/portal/plans/chat/cancel", data={"when": "term_end", "csrf_token": csrf})

    kept = client.post(
        "/portal/plans/chat/reactivate", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert kept.status_code == 303 and kept.headers["location"].endswith("done=kept")
    (sub,) = _held(container, account)
    assert not sub.cancel_at_period_end


def test_ending_a_trial_now_is_confirmed_too_and_says_nothing_is_charged(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    basic = {"plan": "support-basic", "cycle": "month", "quantity": "1", "csrf_token": csrf}
    reviewed = client.post("/portal/plans/support/review", data=basic)
    client.post("/portal/plans/support/confirm", data={**basic, "expect": _expect(reviewed)})
    now = {"when": "now", "csrf_token": csrf}

    asked = client.post("/portal/plans/support/cancel", data=now)
    done = client.post("/portal/plans/support/cancel", data={**now, "expect": _expect(asked)})

    assert "End your trial of Support Basic now?" in _text(asked)
    assert "Your trial ends today, 2026/02/15. Nothing is charged." in _text(asked)
    assert "Your trial has ended. Nothing is charged." in _text(done)
