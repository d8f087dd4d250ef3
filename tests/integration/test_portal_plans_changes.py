"""The portal's Plans screens over HTTP (seeds 000-002): review (the preview), confirm,
withdraw, and refused changes.

The account is billed in JPY from Tokyo (ja_JP): the operator subscribes it to Chat Team × 2
monthly on 2026-02-01 (local), so its period is Feb 1 - Mar 1 (28 days); the clock then moves
14 days, to Feb 15, the middle of the period: 14 of 28 days remain."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.portal_payment_support import pay_for_change
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


def test_review_shows_credit_charge_and_next_invoice_and_saves_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)

    page = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})
    text = _text(page)

    assert page.status_code == 200
    for shown in (
        "New plan Chat Business, quantity 5, Monthly",
        "Total ￥5,800 × 5 = ￥29,000 per month",
        "Takes effect Now, on 2026/02/15.",
        # old terms 5,600 x 14/28 credited; new terms 29,000 x 14/28 charged
        "Credit for unused time Unused time on Chat Team × 2 (14 of 28 days) "
        f"2026/02/15 {TO} 2026/02/28 14 of 28 -￥2,800",
        "Charge for remaining time Remaining time on Chat Business × 5 (14 of 28 days) "
        f"2026/02/15 {TO} 2026/02/28 14 of 28 ￥14,500",
        "Net amount of this change ￥11,700",  # -2,800 + 14,500
        # The next invoice as the billing run makes it (the Invoices page's): the first
        # period was never invoiced, so the next run bills it, today: 5,600; the change is
        # invoiced and paid at once, on an invoice of its own (the payment step).
        "Next invoice As it will appear on your Invoices page once you confirm. Chat Business "
        f"Billing period 2026/02/01 {TO} 2026/02/28 Status Upcoming Cut-off date 2026/02/15",
        "Subtotal ￥5,600 Total on the cut-off date ￥5,600",
    ):
        assert shown in text
    assert _snapshot(container) == before


def test_confirm_changes_the_plan_and_history_shows_the_old_one_replaced(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})

    form = {**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(reviewed)}
    done = pay_for_change(client, container, account, "chat", form)  # confirmed by paying
    text = _text(client.get(done.headers["location"]))

    assert done.status_code == 303
    assert done.headers["location"] == "/portal/plans?family=chat&done=paid"
    assert "Your plan was changed and the payment was received." in text
    assert "Current plan Chat Business Active" in text
    assert "Price ￥5,800 × 5 = ￥29,000 per month" in text
    assert "Chat Business Active 2026/02/15 — Chat Team Replaced 2026/02/01 2026/02/14" in text
    (sub,) = _held(container, account)
    assert (sub.terms.quantity, sub.status.value) == (5, "active")
    assert _amounts(container, sub.id) == [-2800, 5600, 14500]
    with container.engine.connect() as connection:
        actors = connection.execute(
            select(t.subscription_events.c.kind, t.subscription_events.c.actor)
        ).all()
    assert sorted(map(tuple, actors)) == [("changed", "customer"), ("subscribed", "operator")]


def test_fewer_seats_are_scheduled_for_the_term_end_and_can_be_withdrawn(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    fewer = {"plan": "chat-team", "cycle": "month", "quantity": "1", "csrf_token": csrf}

    reviewed = client.post("/portal/plans/chat/review", data=fewer)
    done = client.post("/portal/plans/chat/confirm", data={**fewer, "expect": _expect(reviewed)})
    withdrawn = client.post("/portal/plans/chat/withdraw", data={"csrf_token": csrf})

    review_text = _text(reviewed)
    assert "At the end of the term, on 2026/03/01. Until then you keep Chat Team." in review_text
    assert (
        "Nothing is charged or credited now: the change waits for the end of the term."
        in review_text
    )
    # the next run bills the first period, never invoiced, today; the fewer seats come after
    assert "Cut-off date 2026/02/15" in review_text
    assert "Subtotal ￥5,600 Total on the cut-off date ￥5,600" in review_text
    assert "Your change is scheduled for 2026/03/01." in _text(done)
    assert (
        "Scheduled change: from 2026/03/01 your plan is Chat Team, quantity 1, Monthly. Withdraw"
    ) in _text(done)
    assert "The scheduled change was withdrawn." in _text(withdrawn)
    assert "Scheduled change" not in _text(withdrawn)
    (sub,) = _held(container, account)
    assert sub.scheduled is None and sub.terms.quantity == 2


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("2", "This plan takes at least 3 and at most 50 seats, not 2"),
        ("0", "Quantity is a whole number of at least 1"),
        ("three", "Quantity is a whole number of at least 1"),
    ],
)
def test_a_wrong_quantity_is_shown_beside_quantity_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant, quantity: str, message: str
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)
    sent = {**BUSINESS_X5, "quantity": quantity, "csrf_token": csrf, "expect": "x"}

    pages = [client.post(f"/portal/plans/chat/{step}", data=sent) for step in ("review", "confirm")]

    for page in pages:
        assert page.status_code == 422
        assert _error_of(page, "quantity") == message
        assert f'value="{quantity}"' in page.text  # kept for the person to fix
    assert _snapshot(container) == before


@pytest.mark.parametrize("plan", ["chat-internal", "support-basic", "no-such-plan", ""])
def test_a_plan_not_offered_in_this_family_on_the_portal_cannot_be_chosen(
    client: TestClient, container: Plansmith, tenant: Tenant, plan: str
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)
    sent = {**BUSINESS_X5, "plan": plan, "csrf_token": csrf, "expect": "x"}

    pages = [client.post(f"/portal/plans/chat/{step}", data=sent) for step in ("review", "confirm")]

    expected = "Choose one of the plans listed" if plan else "Choose a plan"
    for page in pages:
        assert page.status_code == 422
        assert _error_of(page, "plan") == expected
    assert _snapshot(container) == before


def test_forms_without_the_session_csrf_token_are_refused_and_change_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})
    confirm = {**BUSINESS_X5, "expect": _expect(reviewed)}
    before = _snapshot(container)

    responses = [
        client.post("/portal/plans/chat/confirm", data=confirm),
        client.post("/portal/plans/chat/confirm", data={**confirm, "csrf_token": "x.y"}),
        client.post("/portal/plans/chat/review", data=BUSINESS_X5),
        client.post("/portal/plans/chat/cancel", data={"when": "now"}),
        client.post("/portal/plans/chat/reactivate", data={}),
        client.post("/portal/plans/chat/withdraw", data={}),
    ]

    for response in responses:
        assert response.status_code == 403
        assert "Form expired" in response.text
    assert _snapshot(container) == before
