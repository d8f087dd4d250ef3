"""The portal's Plans screens over HTTP (seeds 000-002): a tab per family, and change plan
with "price × quantity = total".

The account is billed in JPY from Tokyo (ja_JP): the operator subscribes it to Chat Team × 2
monthly on 2026-02-01 (local), so its period is Feb 1 - Mar 1 (28 days); the clock then moves
14 days, to Feb 15, the middle of the period: 14 of 28 days remain."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.portal_plans_support import (
    _customer,
    _enter,
    _text,
)

MINUS = "\u2212"  # the minus sign the page writes before a discount


def test_plans_page_shows_the_plan_held_its_price_next_payment_and_history(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    _enter(client, container, account)

    page = client.get("/portal/plans")
    text = _text(page)

    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<a href="/portal/plans" aria-current="page">Plans</a>' in page.text
    tabs = re.findall(r'<a href="/portal/plans\?family=([a-z-]+)"', page.text)
    assert tabs == ["chat", "partner", "support"]  # "internal" offers nothing on the portal
    for shown in (
        "Current plan Chat Team Active",
        "Registered from 2026/02/01",
        "Billing cycle Monthly",
        "Quantity 2",
        "Price ￥2,800 × 2 = ￥5,600 per month",  # 2,800 a seat x 2 seats
        "Next payment 2026/03/01",
        "Change Plan",
        "You keep Chat Team until 2026/02/28",
        # Cancel now: 5,600 x 14/28 days = 2,800 back
        "Now. The unused 14 days are credited: ￥2,800 on your next invoice.",
        "Plan Status From To Chat Team Active 2026/02/01 —",
    ):
        assert shown in text
    assert 'href="/portal/plans"' in client.get("/portal/").text  # linked from the account


def test_a_family_without_a_plan_offers_choose_a_plan(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    _enter(client, container, account)

    page = client.get("/portal/plans?family=support")

    assert page.status_code == 200
    assert "You have no plan in Support plans yet. History No plans yet." in _text(page)
    assert '<a class="button" href="/portal/plans/support/change">Choose a plan</a>' in page.text


def test_the_plans_page_opens_on_the_first_family_with_a_plan(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant, plan="partner-silver", seats=1)
    _enter(client, container, account)

    page = client.get("/portal/plans")

    # "chat" comes first, but the account holds nothing there: Partner is shown.
    assert "Current plan Partner Silver Active" in _text(page)


def test_change_page_lists_the_familys_portal_plans_with_a_price_per_cycle(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    _enter(client, container, account)

    page = client.get("/portal/plans/chat/change")
    text = _text(page)

    assert page.status_code == 200
    assert re.findall(r'name="plan" value="([^"]+)"', page.text) == ["chat-team", "chat-business"]
    assert (
        f"Billing cycle The longer the cycle, the higher the discount. Monthly Annual {MINUS}20 %"
        in text
    )
    # Annual: 2,800 x 12 = 33,600 less 20 % = 26,880; 5,800 x 12 = 69,600 less 20 % = 55,680
    assert "Chat Team Your plan 1 seat or more ￥2,800 per seat ￥26,880 per seat" in text
    assert f"Annual {MINUS}20 % ￥33,600" in text
    assert (
        "Chat Business 3 to 50 seats ￥5,800 per seat ￥55,680 per seat "
        f"Annual {MINUS}20 % ￥69,600" in text
    )
    assert "Total ￥2,800 × 2 = ￥5,600 per month" in text  # what is held, to start from
    assert "Chat Internal" not in text and "Support Basic" not in text


def test_update_total_shows_price_times_quantity_of_the_choice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    choice = {"plan": "chat-business", "cycle": "year", "quantity": "5", "csrf_token": csrf}

    page = client.post("/portal/plans/chat/change", data=choice)

    assert page.status_code == 200
    assert "Total ￥55,680 × 5 = ￥278,400 per year" in _text(page)  # 55,680 x 5 seats
