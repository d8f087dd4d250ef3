"""Seed 004's "see the effect of these changes on your invoice" before confirming, over HTTP
on both databases: the Review of a plan change and of a package change shows the period's
estimate before and after (change_effect, nothing saved); the pack review shows the amount
charged now and the estimate with its units."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.portal_plans_support import _enter, _held, _snapshot, _text
from tests.integration.portal_usage_support import PACK, usage_customer


def test_a_plan_change_review_shows_the_estimate_before_and_after(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)
    form = {"csrf_token": csrf, "plan": "chat-business", "cycle": "month", "quantity": "9"}

    review = client.post("/portal/plans/chat/review", data=form)

    assert review.status_code == 200, review.text
    text = _text(review)
    # 7 seats for Feb 1-14 and 9 for Feb 15-28 ($136.50 + $175.50), the packages $39.00.
    assert "Estimate at period end now $312.00" in text
    assert "Estimate with this change $351.00" in text
    assert "Difference +$39.00" in text
    assert _snapshot(container) == before


def test_a_package_review_shows_the_estimate_before_and_after(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant)
    csrf = _enter(client, container, account)
    data = {"csrf_token": csrf, "add_on": "ticket-system", "quantity": "1"}

    review = client.post("/portal/plans/chat/packages/review", data=data)

    assert review.status_code == 200, review.text
    text = _text(review)
    # The Ticket System's $15.00 for the 14 days left of 28: $7.50.
    assert "Estimate at period end now $312.00" in text
    assert "Estimate with this change $319.50" in text
    assert "Difference +$7.50" in text
    [sub] = _held(container, account)
    assert "ticket-system" not in sub.terms.add_ons


def test_the_pack_review_shows_the_charge_now_and_the_estimate_with_its_units(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant)
    csrf = _enter(client, container, account)
    data = {"csrf_token": csrf, "pack": PACK, "quantity": "1", "request_key": "k"}

    review = client.post("/portal/plans/chat/packs/review", data=data)

    assert review.status_code == 200, review.text
    text = _text(review)
    assert "Charged now $20.00" in text
    # No charge prices chatbot sessions (a plain allowance): the units change no usage line.
    assert "Estimate at period end now $312.00 Estimate with the pack $312.00" in text
