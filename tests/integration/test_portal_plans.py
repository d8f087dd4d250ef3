"""The portal's Plans screens over HTTP (seeds 000-002): a tab per family, change plan with
"price × quantity = total", review (the preview), confirm, cancel, keep, reactivate, withdraw.

The account is billed in JPY from Tokyo (ja_JP): the operator subscribes it to Chat Team × 2
monthly on 2026-02-01 (local), so its period is Feb 1 - Mar 1 (28 days); the clock then moves
14 days, to Feb 15, the middle of the period: 14 of 28 days remain.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.accounts import AccountInput, open_account
from plansmith.application.catalog import PlanInput, create_plan
from plansmith.application.organizations import create_portal_link
from plansmith.application.plan_families import FamilyInput, create_family
from plansmith.application.subscription_queries import list_subscriptions
from plansmith.application.subscriptions import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts import Account
from tests.conftest import Tenant

MINUS = "\u2212"  # the minus sign the page writes before a discount
TO = "\u2013"  # between two dates
BUSINESS_X5 = {"plan": "chat-business", "cycle": "month", "quantity": "5"}


def _per_month(jpy: int, **terms: Any) -> dict[str, Any]:
    return {"base_prices": {"JPY": jpy}, "cycle_discounts": {"year": "20"}, **terms}


def _catalog(container: Plansmith, org: str) -> None:
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    create_family(uow(), clock, org, FamilyInput("support", "Support plans"))
    create_family(uow(), clock, org, FamilyInput("partner", "Partner", {"cycle_change": False}))
    create_family(uow(), clock, org, FamilyInput("internal", "Internal services"))
    portal = ["portal"]
    for plan in (
        PlanInput("chat-team", "Chat Team", "chat", 1, _per_month(2800), portal, True),
        PlanInput(
            "chat-business",
            "Chat Business",
            "chat",
            2,
            _per_month(5800, min_seats=3, max_seats=50),
            portal,
            True,
        ),
        PlanInput("chat-internal", "Chat Internal", "chat", 3, _per_month(9000), publish=True),
        PlanInput(
            "support-basic",
            "Support Basic",
            "support",
            1,
            {"pricing": "flat", "base_prices": {"JPY": 10000}, "trial_days": 14},
            portal,
            True,
        ),
        PlanInput("partner-silver", "Partner Silver", "partner", 1, _per_month(3000), portal, True),
        PlanInput("ops", "Ops", "internal", 1, _per_month(1000), publish=True),
    ):
        create_plan(uow(), clock, org, plan)


def _customer(
    container: Plansmith, tenant: Tenant, plan: str = "chat-team", seats: int = 2
) -> Account:
    """The catalog, the Tokyo account holding ``plan``, and the clock at mid-period."""
    org = tenant.organization_id
    _catalog(container, org)
    data = AccountInput(
        name="Acme Chat",
        email="billing@acme.example",
        currency="JPY",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
    )
    account = open_account(container.uow(), container.clock, org, data)
    subscribe(
        container.uow(), container.clock, org, SubscribeInput(account.id, plan, "month", seats)
    )
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=14))  # 2026-02-01 -> 2026-02-15 in Tokyo
    return account


def _enter(client: TestClient, container: Plansmith, account: Account) -> str:
    """Open the portal link; the CSRF token of the session."""
    link = create_portal_link(
        container.uow(), container.clock, container.signer, account.organization_id, account.id
    )
    page = client.get(f"/portal/enter?token={link.token}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and match
    return match.group(1)


def _text(page: Response) -> str:
    """What a person reads: tags and scripts out, whitespace collapsed."""
    body = re.sub(r"<script>.*?</script>", " ", page.text, flags=re.S)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return re.sub(r" ([,.;:])", r"\1", words)  # "<strong>Team</strong>," reads "Team,"


def _error_of(page: Response, name: str) -> str:
    match = re.search(rf'id="{name}-error">([^<]*)<', page.text)
    assert match, f"no error shown beside {name}"
    return html.unescape(match.group(1))


def _expect(page: Response) -> str:
    match = re.search(r'name="expect" value="([^"]+)"', page.text)
    assert match, "the review has no Confirm form"
    return match.group(1)


def _snapshot(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    """Every subscription row, span, event and item: what "nothing changed" compares."""
    tables = (t.subscriptions, t.subscription_spans, t.subscription_events, t.subscription_items)
    with container.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in tables
        ]


def _held(container: Plansmith, account: Account) -> list[Any]:
    page = list_subscriptions(container.uow(), account.organization_id, account_id=account.id)
    return [view.subscription for view in page.items]


def _amounts(container: Plansmith, sub_id: str) -> list[int]:
    with container.engine.connect() as connection:
        query = select(t.subscription_items.c.amount).where(
            t.subscription_items.c.subscription_id == sub_id
        )
        return sorted(int(a) for a in connection.execute(query).scalars())


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
        "You keep Chat Team until 2026/03/01",
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
        "New plan Chat Business, quantity 5, monthly",
        "Total ￥5,800 × 5 = ￥29,000 per month",
        "Takes effect Now, on 2026/02/15.",
        # old terms 5,600 x 14/28 credited; new terms 29,000 x 14/28 charged
        "Credit for unused time Unused time on Chat Team × 2 (14 of 28 days) "
        f"2026/02/15 {TO} 2026/03/01 14 of 28 -￥2,800",
        "Charge for remaining time Remaining time on Chat Business × 5 (14 of 28 days) "
        f"2026/02/15 {TO} 2026/03/01 14 of 28 ￥14,500",
        "Net amount of this change ￥11,700",  # -2,800 + 14,500
        # first period 5,600 + change 11,700 + the renewal on Mar 1 at 29,000 = 46,300
        "Cut-off date 2026/03/01 Total ￥46,300",
        "Period in advance Chat Business × 5, month "
        f"2026/03/01 {TO} 2026/04/01 full period ￥29,000",
    ):
        assert shown in text
    assert _snapshot(container) == before


def test_confirm_changes_the_plan_and_history_shows_the_old_one_replaced(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})

    done = client.post(
        "/portal/plans/chat/confirm",
        data={**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(reviewed)},
        follow_redirects=False,
    )
    text = _text(client.get(done.headers["location"]))

    assert done.status_code == 303
    assert done.headers["location"] == "/portal/plans?family=chat&done=changed"
    assert "Your plan was changed." in text
    assert "Current plan Chat Business Active" in text
    assert "Price ￥5,800 × 5 = ￥29,000 per month" in text
    assert "Chat Business Active 2026/02/15 — Chat Team Replaced 2026/02/01 2026/02/15" in text
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
    assert "Cut-off date 2026/03/01 Total ￥8,400" in review_text  # 5,600 + renewal 2,800 x 1
    assert "Your change is scheduled for 2026/03/01." in _text(done)
    assert (
        "Scheduled change: from 2026/03/01 your plan is Chat Team, quantity 1, monthly "
        "(fewer seats). Withdraw"
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
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)

    canceled = client.post("/portal/plans/chat/cancel", data={"when": "now", "csrf_token": csrf})
    (sub,) = _held(container, account)
    credited = _amounts(container, sub.id)
    back = client.post("/portal/plans/chat/reactivate", data={"csrf_token": csrf})

    text = _text(canceled)
    assert "Your plan was canceled. Unused time is credited on your next invoice." in text
    assert "Last plan Chat Team Inactive Ended on 2026/02/15" in text
    # the rest of the period again: 5,600 x 14/28 = 2,800
    assert (
        "Reactivating charges ￥2,800 for the rest of the current period, until 2026/03/01." in text
    )
    assert "Chat Team Canceled 2026/02/01 2026/02/15" in text
    assert credited == [-2800, 5600]
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
        "Free trial of 14 days, from 2026/02/15 until 2026/03/01: nothing is charged today. "
        "After the trial you pay ￥10,000 per month, first on 2026/03/01."
    ) in _text(reviewed)
    text = _text(done)
    assert "Your trial has started." in text
    assert "Current plan Support Basic Try" in text and "Trial ends 2026/03/01" in text
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
    assert f"(13 of 28 days) 2026/02/16 {TO} 2026/03/01 13 of 28 -￥2,600" in text  # 5,600 x 13/28
    assert "13 of 28 ￥13,464" in text  # 29,000 x 13/28 = 13,464.29, rounded once
    assert _snapshot(container) == before
    confirmed = client.post(
        "/portal/plans/chat/confirm",
        data={**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(moved)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303


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
