"""Changing, cancelling, pausing and resuming a customer's plan from the console, on SQLite
and PostgreSQL: each through a page that states what is charged or credited and from when
(the figures the portal's review shows), done only on Confirm, and refused (409) when the
figures moved since they were shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.screens import portal_plans
from plansmith.application.screens.plan_choices import Wish
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.revenue_scenario_support import (
    BASIC,
    CARE,
    PRO,
    catalog,
    console_login,
    sign_in_console,
)


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _expect(page: Response) -> str:
    match = re.search(r'name="expect" value="([^"]+)"', page.text)
    assert match, "the page has no Confirm"
    return match.group(1)


def _yen(amount: int) -> str:
    return f"-¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def _world(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> tuple[TestClient, str, dict[str, str]]:
    """Aoki (JPY, Tokyo): 3 seats of Basic from Jan 5 and Care from Jan 5; it is Jan 20."""
    org = tenant.organization_id
    clock.set(datetime(2026, 1, 5, 3, tzinfo=UTC))
    catalog(container, org)
    data = AccountInput("Aoki", "aoki@example.com", "JPY", "Asia/Tokyo")
    account = open_account(container.uow(), clock, org, data).id
    subs = {}
    for plan, quantity in (("basic", 3), ("care", 1)):
        wish = SubscribeInput(account, plan, quantity=quantity, trial=False)
        subs[plan] = subscribe(container.uow(), clock, org, wish).view.subscription.id
    clock.set(datetime(2026, 1, 20, 14, 30, tzinfo=UTC))  # 23:30 in Tokyo
    return sign_in_console(client, container, tenant), account, subs


def test_a_change_is_reviewed_with_the_portals_figures_and_done_on_confirm(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, subs = _world(client, container, tenant, clock)
    org = tenant.organization_id
    page = console.get(f"/console/customers/{account}")
    assert page.status_code == 200
    assert f"/console/customers/{account}/plans/service/change" in page.text
    form = console.get(f"/console/customers/{account}/plans/service/change")
    assert form.status_code == 200, form.text
    fields = {"plan": "pro", "cycle": "month", "quantity": "3", "csrf_token": _csrf(form)}

    review = console.post(f"/console/customers/{account}/plans/service/review", data=fields)

    assert review.status_code == 200, review.text
    # Jan 20 in the period Jan 5 - Feb 5 (31 days): 16 days left. Basic 3 x 1,000 credited,
    # Pro 3 x 3,000 charged, each for 16/31 of the period, rounded half up once.
    credit = -round(3 * BASIC["JPY"] * 16 / 31)
    charge = round(3 * PRO["JPY"] * 16 / 31)
    assert (credit, charge) == (-1548, 4645)
    assert _yen(credit) in review.text and _yen(charge) in review.text
    portal = portal_plans.review_change(
        container.uow(), clock, org, account, "service", Wish("pro", "month", "3")
    )
    assert portal.review is not None and portal.review.change is not None
    shown = portal.review.change
    assert [i.amount for i in shown.items] == [credit, charge]
    assert _yen(shown.next_invoice.total) in review.text
    cut_off = shown.next_invoice.cut_off
    assert cut_off is not None and f"{cut_off:%b} {cut_off.day}, {cut_off.year}" in review.text
    assert get_subscription(container.uow(), org, subs["basic"]).version.name == "Basic"

    done = console.post(
        f"/console/customers/{account}/plans/service/confirm",
        data={**fields, "expect": _expect(review)},
        follow_redirects=False,
    )

    assert done.status_code == 303
    assert done.headers["location"] == f"/console/customers/{account}?done=changed"
    assert get_subscription(container.uow(), org, subs["basic"]).version.name == "Pro"
    with container.uow() as uow:
        events = uow.subscriptions.events(subs["basic"])
    assert events[-1].actor == "operator"
    assert "The plan was changed." in console.get(done.headers["location"]).text


def test_a_confirmation_whose_figures_moved_does_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, subs = _world(client, container, tenant, clock)
    org = tenant.organization_id
    form = console.get(f"/console/customers/{account}/plans/service/change")
    fields = {"plan": "pro", "cycle": "month", "quantity": "3", "csrf_token": _csrf(form)}
    review = console.post(f"/console/customers/{account}/plans/service/review", data=fields)
    clock.set(datetime(2026, 1, 20, 15, 30, tzinfo=UTC))  # Jan 21 in Tokyo: other figures

    moved = console.post(
        f"/console/customers/{account}/plans/service/confirm",
        data={**fields, "expect": _expect(review)},
    )

    assert moved.status_code == 409
    assert "nothing was done" in moved.text
    assert _yen(round(3 * PRO["JPY"] * 15 / 31)) in moved.text  # the new figures
    assert get_subscription(container.uow(), org, subs["basic"]).version.name == "Basic"


def test_a_wrong_quantity_is_answered_beside_its_field(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, _ = _world(client, container, tenant, clock)
    form = console.get(f"/console/customers/{account}/plans/service/change")
    fields = {"plan": "pro", "cycle": "month", "quantity": "zero", "csrf_token": _csrf(form)}

    page = console.post(f"/console/customers/{account}/plans/service/review", data=fields)

    assert page.status_code == 422
    assert 'id="quantity-error"' in page.text and "whole number" in page.text


def test_cancel_now_states_its_credit_first_and_cancels_on_confirm(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, subs = _world(client, container, tenant, clock)
    org = tenant.organization_id
    page = console.get(f"/console/customers/{account}")
    data = {"action": "cancel_now", "csrf_token": _csrf(page)}

    shown = console.post(f"/console/customers/{account}/plans/service/stop", data=data)

    assert shown.status_code == 200, shown.text
    credit = -round(3 * BASIC["JPY"] * 16 / 31)
    plain = re.sub(r"<[^>]+>", "", shown.text)
    assert f"Net amount: {_yen(credit)}" in plain
    assert "ends today, Jan 20, 2026" in plain
    assert get_subscription(container.uow(), org, subs["basic"]).subscription.status == "active"

    done = console.post(
        f"/console/customers/{account}/plans/service/stop",
        data={**data, "expect": _expect(shown)},
        follow_redirects=False,
    )

    assert done.status_code == 303
    assert get_subscription(container.uow(), org, subs["basic"]).subscription.status == "canceled"


def test_pause_and_resume_each_go_through_their_confirmation(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, subs = _world(client, container, tenant, clock)
    org = tenant.organization_id
    token = _csrf(console.get(f"/console/customers/{account}"))
    url = f"/console/customers/{account}/plans/support/stop"

    def act(action: str) -> Response:
        shown: Response = console.post(url, data={"action": action, "csrf_token": token})
        assert shown.status_code == 200, shown.text
        data = {"action": action, "csrf_token": token, "expect": _expect(shown)}
        done = console.post(url, data=data, follow_redirects=False)
        assert done.status_code == 303, done.text
        return shown

    paused = act("pause")
    assert _yen(-round(CARE["JPY"] * 16 / 31)) in paused.text
    assert get_subscription(container.uow(), org, subs["care"]).subscription.status == "paused"
    clock.set(datetime(2026, 1, 25, 3, tzinfo=UTC))
    token = _csrf(console_login(console, tenant).get(f"/console/customers/{account}"))
    resumed = act("resume")
    assert _yen(round(CARE["JPY"] * 11 / 31)) in resumed.text  # Jan 25 - Feb 5
    assert get_subscription(container.uow(), org, subs["care"]).subscription.status == "active"


def test_an_action_the_plan_cannot_take_is_refused_on_the_customer_page(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, subs = _world(client, container, tenant, clock)
    org = tenant.organization_id
    token = _csrf(console.get(f"/console/customers/{account}"))

    refused = console.post(
        f"/console/customers/{account}/plans/support/stop",
        data={"action": "resume", "csrf_token": token},
    )
    unknown = console.post(
        f"/console/customers/{account}/plans/support/stop",
        data={"action": "explode", "csrf_token": token},
    )

    assert refused.status_code == 409
    assert 'id="plan-error"' in refused.text
    assert unknown.status_code == 422 and "Action is one of" in unknown.text
    assert get_subscription(container.uow(), org, subs["care"]).subscription.status == "active"
