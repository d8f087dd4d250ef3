"""The portal's Plans screens over HTTP (seeds 000-002): cancel, keep, reactivate, a new
family's trial, conflicts and pages that are not there.

The account is billed in JPY from Tokyo (ja_JP): the operator subscribes it to Chat Team × 2
monthly on 2026-02-01 (local), so its period is Feb 1 - Mar 1 (28 days); the clock then moves
14 days, to Feb 15, the middle of the period: 14 of 28 days remain."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.portal_plans_support import (
    BUSINESS_X5,
    TO,
    _amounts,
    _customer,
    _enter,
    _error_of,
    _expect,
    _held,
    _snapshot,
    _text,
)


def test_cancel_at_term_end_then_keep_my_plan(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)

    canceled = client.post(
        "/portal/plans/chat/cancel", data={"when": "term_end", "csrf_token": csrf}
    )
    kept = client.post("/portal/plans/chat/reactivate", data={"csrf_token": csrf})

    text = _text(canceled)
    assert "Your plan will end on 2026/03/01; nothing more is charged." in text
    assert "Next payment None: your plan ends on 2026/03/01" in text
    assert "it ends on 2026/03/01 and nothing more is charged. Keep my plan" in text
    assert "Your plan continues: the cancellation was withdrawn." in _text(kept)
    assert "Next payment 2026/03/01" in _text(kept)
    (sub,) = _held(container, account)
    assert not sub.cancel_at_period_end and _amounts(container, sub.id) == [5600]


def test_cancel_now_credits_the_rest_and_reactivate_charges_it_again(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    # Both move money, so each shows what it does first and is done by a second post.
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    now = {"when": "now", "csrf_token": csrf}

    asked = client.post("/portal/plans/chat/cancel", data=now)
    canceled = client.post("/portal/plans/chat/cancel", data={**now, "expect": _expect(asked)})
    (sub,) = _held(container, account)
    credited = _amounts(container, sub.id)
    asked_back = client.post("/portal/plans/chat/reactivate", data={"csrf_token": csrf})
    back = client.post(
        "/portal/plans/chat/reactivate", data={"csrf_token": csrf, "expect": _expect(asked_back)}
    )

    assert "The unused 14 days, until 2026/02/28, are credited: ￥2,800" in _text(asked)
    text = _text(canceled)
    assert "Your plan was canceled. Unused time is credited on your next invoice." in text
    assert "Last plan Chat Team Inactive Ended on 2026/02/15" in text
    # the rest of the period again: 5,600 x 14/28 = 2,800
    assert (
        "Reactivating charges ￥2,800 for the rest of the current period, until 2026/02/28." in text
    )
    assert "Chat Team Canceled 2026/02/01 2026/02/14" in text
    assert credited == [-2800, 5600]
    assert "The rest of the current period, until 2026/02/28, is charged: ￥2,800." in _text(
        asked_back
    )
    assert "Your plan is active again." in _text(back)
    assert "Current plan Chat Team Active" in _text(back)
    assert _amounts(container, sub.id) == [-2800, 2800, 5600]


def test_choosing_a_plan_in_a_new_family_starts_its_trial(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    basic = {"plan": "support-basic", "cycle": "month", "quantity": "1", "csrf_token": csrf}

    chooser = client.get("/portal/plans/support/change")
    reviewed = client.post("/portal/plans/support/review", data=basic)
    done = client.post("/portal/plans/support/confirm", data={**basic, "expect": _expect(reviewed)})

    assert "Choose a plan: Support plans" in _text(chooser)
    assert "Support Basic one per account · 14-day free trial ￥10,000 per account" in _text(
        chooser
    )
    assert (
        f"Free trial of 14 days, 2026/02/15 {TO} 2026/02/28: nothing is charged today. "
        "After the trial you pay ￥10,000 per month, first on 2026/03/01."
    ) in _text(reviewed)
    text = _text(done)
    assert "Your trial has started." in text
    assert "Current plan Support Basic Try" in text and "Free trial until 2026/02/28" in text
    support = [s for s in _held(container, account) if s.status.value == "trialing"]
    assert len(support) == 1 and _amounts(container, support[0].id) == []


def test_a_cycle_change_the_family_forbids_is_shown_beside_the_cycle_with_409(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant, plan="partner-silver", seats=1)
    csrf = _enter(client, container, account)
    before = _snapshot(container)
    yearly = {"plan": "partner-silver", "cycle": "year", "quantity": "1", "csrf_token": csrf}

    page = client.post("/portal/plans/partner/review", data=yearly)

    assert page.status_code == 409
    assert _error_of(page, "cycle") == (
        "Partner plans keep their billing cycle; this family's policy does not allow changing it"
    )
    assert _snapshot(container) == before


def test_cancelling_twice_shows_the_conflict_at_the_top_of_the_family(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    form = {"when": "term_end", "csrf_token": csrf}
    client.post("/portal/plans/chat/cancel", data=form)
    before = _snapshot(container)

    again = client.post("/portal/plans/chat/cancel", data=form)
    nothing = client.post("/portal/plans/chat/withdraw", data={"csrf_token": csrf})

    assert again.status_code == 409
    assert (
        '<div class="alert" role="alert"><p>The subscription is already set to cancel at the end '
        "of the term</p></div>"
    ) in again.text
    assert nothing.status_code == 409 and "No change is scheduled" in nothing.text
    assert _snapshot(container) == before


def test_confirm_refuses_figures_that_moved_since_the_review(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _customer(container, tenant)
    clock.advance(timedelta(hours=23, minutes=30))  # reviewed at 23:30 on Feb 15 in Tokyo...
    csrf = _enter(client, container, account)
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})
    clock.advance(timedelta(minutes=45))  # ... confirmed on Feb 16: 13 days of 28 remain
    before = _snapshot(container)

    moved = client.post(
        "/portal/plans/chat/confirm",
        data={**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(reviewed)},
    )

    assert moved.status_code == 409
    text = _text(moved)
    assert "The figures changed since you reviewed them" in text
    assert f"(13 of 28 days) 2026/02/16 {TO} 2026/02/28 13 of 28 -￥2,600" in text  # 5,600 x 13/28
    assert "13 of 28 ￥13,464" in text  # 29,000 x 13/28 = 13,464.29, rounded once
    assert _snapshot(container) == before
    confirmed = client.post(
        "/portal/plans/chat/confirm",
        data={**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(moved)},
        follow_redirects=False,
    )
    # the new figures are confirmed: the upgrade goes on to be paid, -2,600 + 13,464
    assert confirmed.status_code == 200
    assert "Pay ￥10,864" in _text(confirmed)


def test_unknown_families_and_plans_to_act_on_get_the_portal_404_page(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    create_family(
        container.uow(),
        container.clock,
        other_tenant.organization_id,
        FamilyInput("theirs", "Theirs"),
    )
    csrf = _enter(client, container, account)
    before = _snapshot(container)

    pages = [
        client.get("/portal/plans?family=nope"),
        client.get("/portal/plans/nope/change"),
        client.get("/portal/plans/theirs/change"),  # another organization's family
        client.post("/portal/plans/support/cancel", data={"when": "now", "csrf_token": csrf}),
    ]

    for page in pages:
        assert page.status_code == 404
        assert "Not found" in page.text and "Back to your account" in page.text
    assert _snapshot(container) == before


def test_plans_pages_need_a_portal_session(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _customer(container, tenant)

    pages = [client.get("/portal/plans"), client.get("/portal/plans/chat/change")]

    for page in pages:
        assert page.status_code == 401
        assert "Link expired" in page.text and "Chat Team" not in page.text
