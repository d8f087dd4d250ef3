"""The invoice prediction card (seed 004's "amount calculated so far and the end-of-month
estimate") on the Packages page and in the Invoices tab's Future invoice, over HTTP on both
databases; and the issue's pay-per-day plan on its first day: so far is one day's amount, not
the month, and the future invoice's total no longer says "so far"."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.screens.portal_usage import predicted
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant
from tests.integration.portal_plans_support import TO, _enter, _text
from tests.integration.portal_usage_support import usage_customer


def _row(page: Response, name: str) -> str:
    section = page.text.split('id="prediction"')[1].split("</section>")[0]
    rows = re.findall(r"<tr id=\"prediction-[^\"]+\">(.*?)</tr>", section, re.S)
    found = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]
    return next(r for r in found if r.startswith(name))


def test_the_packages_page_shows_so_far_and_the_estimate_of_the_period(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant)
    _enter(client, container, account)

    page = client.get("/portal/plans/chat/packages")

    # Feb 15 is day 15 of 28: $273 x 15/28 = $146.25, $29 x 15/28 = $15.54 (15.5357),
    # 2 x $5 x 15/28 = $5.36 (5.357): $167.15 so far; the month is $312.00.
    row = _row(page, "Chat Business")
    assert "Day 15 of 28" in row
    assert row.endswith("$167.15 $312.00")
    text = _text(page)
    assert "All your plans (USD) $167.15 so far, $312.00 estimated at period end" in text
    assert "So far counts today as a whole day" in text
    [mine] = predicted(container.uow, container.clock, tenant.organization_id, account.id).totals
    assert (mine.so_far, mine.estimate) == (16715, 31200)


def _flex_customer(app: Plansmith, tenant: Tenant) -> Account:
    """A pay-per-day plan at $28.00 a month ($1.00 a day in February), taken on Feb 1."""
    org = tenant.organization_id
    create_family(app.uow(), app.clock, org, FamilyInput("flex", "Flexible plans"))
    terms = {"pricing": "flat", "base_prices": {"USD": 2800}, "pay_per_day": True}
    create_plan(
        app.uow(), app.clock, org, PlanInput("flex", "Flex", "flex", 1, terms, ["portal"], True)
    )
    data = AccountInput(
        name="Day Payer",
        email="ap@day.example",
        currency="USD",
        time_zone="Asia/Tokyo",
        locale="en_US",
    )
    account = open_account(app.uow(), app.clock, org, data)
    subscribe(app.uow(), app.clock, org, SubscribeInput(account.id, "flex", "month", 1))
    return account


def test_a_pay_per_day_plan_on_day_one_is_one_day_so_far_not_the_month(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _flex_customer(container, tenant)
    _enter(client, container, account)

    page = client.get("/portal/invoices")

    assert page.status_code == 200
    row = _row(page, "Flex")
    assert f"Feb 1, 2026 {TO} Feb 28, 2026 Day 1 of 28" in row
    assert row.endswith("$1.00 $28.00")  # one day so far; the month at its end
    future = page.text.split('id="future-invoice"')[1].split('id="past-invoices"')[0]
    future_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", future))
    assert "Total so far" not in future_text
    assert "Total on the cut-off date $28.00" in future_text
    assert "$1.00 so far, $28.00 estimated at period end" in future_text
