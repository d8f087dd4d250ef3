"""Review round 2, the console's plan actions: one wording with the portal (a pay-per-day plan
credits nothing when it stops), the last day of a term or a trial (not the exclusive end), and
a confirmation tied to the action shown (a Pause preview cannot confirm Cancel now).

Aoki (JPY, Tokyo) holds 3 seats of Basic and Care from Jan 5 (periods Jan 5 - Feb 5); it is
Jan 20, 23:30 in Tokyo."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.revenue_scenario_support import catalog, sign_in_console


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _expect(page: Response) -> str:
    match = re.search(r'name="expect" value="([^"]+)"', page.text)
    assert match, "the page has no Confirm"
    return match.group(1)


def _text(page: Response) -> str:
    body = re.sub(r"<(script|style)>.*?</\1>", " ", page.text, flags=re.S)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return re.sub(r" ([,.;:])", r"\1", words)


def _world(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock, trial: bool = False
) -> tuple[TestClient, str, dict[str, str]]:
    org = tenant.organization_id
    clock.set(datetime(2026, 1, 5, 3, tzinfo=UTC))
    catalog(container, org)
    create_family(container.uow(), clock, org, FamilyInput("meter", "Metered"))
    terms = {"pricing": "flat", "base_prices": {"JPY": 3100}, "pay_per_day": True}
    create_plan(
        container.uow(), clock, org, PlanInput("flex", "Flex", "meter", 1, terms, ["portal"], True)
    )
    data = AccountInput("Aoki", "aoki@example.com", "JPY", "Asia/Tokyo")
    account = open_account(container.uow(), clock, org, data).id
    subs = {}
    for plan, quantity in (("basic", 3), ("care", 1), ("flex", 1)):
        wish = SubscribeInput(account, plan, quantity=quantity, trial=False)
        subs[plan] = subscribe(container.uow(), clock, org, wish).view.subscription.id
    clock.set(datetime(2026, 1, 20, 14, 30, tzinfo=UTC))  # 23:30 in Tokyo
    return sign_in_console(client, container, tenant), account, subs


def _shown(console: TestClient, account: str, family: str, action: str) -> Response:
    token = _csrf(console.get(f"/console/customers/{account}"))
    url = f"/console/customers/{account}/plans/{family}/stop"
    page: Response = console.post(url, data={"action": action, "csrf_token": token})
    assert page.status_code == 200, page.text
    return page


def test_cancel_now_and_pause_of_a_pay_per_day_plan_say_nothing_is_credited(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, _ = _world(client, container, tenant, clock)

    cancel = _text(_shown(console, account, "meter", "cancel_now"))
    pause = _text(_shown(console, account, "meter", "pause"))

    assert (
        "Flex stops today, Jan 20, 2026. Nothing is credited: a pay-per-day plan bills only the "
        "days it was active, and those days are billed on the invoice below."
    ) in cancel
    assert (
        "Flex stops today, Jan 20, 2026. Nothing is credited: a pay-per-day plan bills only the "
        "days it was active. Resuming bills each day it is active again."
    ) in pause
    for text in (cancel, pause):
        assert "unused time is credited" not in text and "are credited" not in text


def test_cancel_now_names_the_plan_and_its_credit_like_the_portal(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, _ = _world(client, container, tenant, clock)

    text = _text(_shown(console, account, "service", "cancel_now"))

    # 16 of 31 days left of Basic × 3 at ¥1,000: ¥1,548 credited, until Feb 4 (the last day)
    assert (
        "Basic ends today, Jan 20, 2026. The unused 16 days, until Feb 4, 2026, are credited: "
        "¥1,548 on your next invoice."
    ) in text


def test_a_pause_preview_cannot_confirm_cancel_now(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, subs = _world(client, container, tenant, clock)
    org = tenant.organization_id
    paused = _shown(console, account, "support", "pause")
    cancel = _shown(console, account, "support", "cancel_now")
    assert re.findall(r"-¥[\d,]+", paused.text)[:1] == re.findall(r"-¥[\d,]+", cancel.text)[:1]

    wrong = console.post(
        f"/console/customers/{account}/plans/support/stop",
        data={"action": "cancel_now", "csrf_token": _csrf(paused), "expect": _expect(paused)},
        follow_redirects=False,
    )

    assert wrong.status_code == 409
    assert get_subscription(container.uow(), org, subs["care"]).subscription.status == "active"


def test_the_end_of_the_term_is_written_as_its_last_day(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, account, _ = _world(client, container, tenant, clock)

    text = _text(_shown(console, account, "service", "cancel_at_term_end"))

    assert "Basic ends at the end of the term, on Feb 4, 2026." in text  # the period ends Feb 5


def test_a_trials_end_is_written_as_its_last_day_on_the_console(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    console, _, _ = _world(client, container, tenant, clock)
    org = tenant.organization_id
    data = AccountInput("Baba", "baba@example.com", "JPY", "Asia/Tokyo")
    baba = open_account(container.uow(), clock, org, data).id
    subscribe(container.uow(), clock, org, SubscribeInput(baba, "basic", quantity=1, trial=True))
    # a 14-day trial from Jan 20 ends (exclusive) Feb 3: its last day is Feb 2

    customer = _text(console.get(f"/console/customers/{baba}"))
    form = console.get(f"/console/customers/{baba}/plans/service/change")
    fields = {"plan": "pro", "cycle": "month", "quantity": "1", "csrf_token": _csrf(form)}
    review = console.post(f"/console/customers/{baba}/plans/service/review", data=fields)

    assert "trial until Feb 2, 2026" in customer
    assert review.status_code == 200, review.text
    assert "The free trial continues until Feb 2, 2026" in _text(review)
