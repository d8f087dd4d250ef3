"""MRR of the past and the subscriptions list keep the add-on prices that were billed, on
SQLite and PostgreSQL: an add-on's price changed or removed after the fact neither rewrites
past months nor breaks the dashboard or the list (add-ons have no versions; the billed items
recorded the price)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.extras import AddOnInput, create_add_on, update_add_on
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.screens.revenue import revenue_report
from plansmith.application.screens.subscription_list import subscription_list
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.subscriptions.revenue import Figures
from tests.conftest import Tenant
from tests.integration.revenue_scenario_support import dashboard_cells, sign_in_console

BASIC, AI_THEN, AI_NOW = 1000, 500, 800  # JPY a month: the plan, the add-on before and after


@dataclass(frozen=True)
class World:
    org: str
    add_on_id: str
    ended: str  # canceled in February
    held: str  # still in service


def _world(app: Plansmith, org: str) -> World:
    clock = app.clock
    assert isinstance(clock, TestClock)

    def on(day: date) -> None:
        clock.set(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        actions.advance_due(app.uow(), clock, org)

    clock.set(datetime(2026, 1, 1, 12, tzinfo=UTC))
    create_family(app.uow(), clock, org, FamilyInput("service", "Service plans"))
    terms = {"pricing": "flat", "base_prices": {"JPY": BASIC}}
    create_plan(
        app.uow(), clock, org, PlanInput("basic", "Basic", "service", 1, terms, ["portal"], True)
    )
    prices = [{"currency": "JPY", "cycle": "month", "amount": AI_THEN}]
    add_on = create_add_on(app.uow(), clock, org, AddOnInput("ai", "AI assistant", prices))

    def customer(name: str) -> str:
        data = AccountInput(name, f"{name.lower()}@example.com", "JPY", "Asia/Tokyo")
        account = open_account(app.uow(), clock, org, data).id
        sub = SubscribeInput(account, "basic", add_ons={"ai": 1}, trial=False)
        return subscribe(app.uow(), clock, org, sub).view.subscription.id

    on(date(2026, 1, 5))
    ended, held = customer("Aoki"), customer("Baba")
    on(date(2026, 2, 20))
    actions.cancel_subscription(app.uow(), clock, org, ended, "now")
    on(date(2026, 3, 3))
    return World(org, add_on.id, ended, held)


def _price_ai(app: Plansmith, world: World, prices: list[dict[str, object]]) -> None:
    data = AddOnInput("ai", "AI assistant", prices)
    update_add_on(app.uow(), world.org, world.add_on_id, data)


def _jpy(app: Plansmith, world: World) -> dict[date, Figures]:
    report = revenue_report(app.uow(), app.clock, world.org, months=12)
    return {m.month: m.by_currency.get("JPY", Figures()) for m in report.months}


def _list_cells(html: str) -> dict[str, dict[str, str]]:
    """{subscription id: {column label: text}} of the subscriptions list."""
    table = re.search(r'<table class="stack" id="subscriptions">(.*?)</table>', html, re.S)
    assert table, "no subscriptions table"
    rows = {}
    for sub_id, row in re.findall(r'<tr id="(sub_[^"]+)"[^>]*>(.*?)</tr>', table.group(1), re.S):
        rows[sub_id] = {
            label: re.sub(r"<[^>]+>", " ", cell).split()[0] if cell.strip() else ""
            for label, cell in re.findall(r'data-label="([^"]+)">(.*?)</td>', row, re.S)
        }
    return rows


def test_a_later_add_on_price_rewrites_no_past_month_and_counts_from_its_billing(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    world = _world(container, tenant.organization_id)
    before = _jpy(container, world)
    assert before[date(2026, 1, 1)].mrr == 2 * (BASIC + AI_THEN)

    # The operator raises the add-on's price (Baba still holds it: the price stays offered).
    _price_ai(container, world, [{"currency": "JPY", "cycle": "month", "amount": AI_NOW}])

    after = _jpy(container, world)
    assert after == before  # no month rewritten, not even this one: billed at 500 until renewal
    assert after[date(2026, 2, 1)].churned == BASIC + AI_THEN  # Aoki, at what he paid

    # Baba's next period (from March 5) is billed at the new price: from then on it counts.
    clock.set(datetime(2026, 4, 10, 12, tzinfo=UTC))
    actions.advance_due(container.uow(), clock, world.org)
    later = _jpy(container, world)
    assert later[date(2026, 3, 1)].mrr == BASIC + AI_NOW
    assert later[date(2026, 3, 1)].expansion == AI_NOW - AI_THEN
    assert later[date(2026, 1, 1)] == before[date(2026, 1, 1)]


def test_an_add_on_price_removed_after_a_subscription_ended_still_shows_its_old_value(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    world = _world(container, tenant.organization_id)
    actions.cancel_subscription(container.uow(), clock, world.org, world.held, "now")
    # Nobody holds the add-on now: its JPY price may go (sold in USD from now on).
    _price_ai(container, world, [{"currency": "USD", "cycle": "month", "amount": 700}])

    jpy = _jpy(container, world)
    assert [jpy[date(2026, m, 1)].mrr for m in (1, 2, 3)] == [2 * (BASIC + AI_THEN), 1500, 0]
    listed = subscription_list(container.uow(), world.org)
    assert {line.period_amount for line in listed.page.items} == {BASIC + AI_THEN}
    assert {line.monthly_value for line in listed.page.items} == {0}  # neither in service

    console = sign_in_console(client, container, tenant)
    page = console.get("/console/dashboard?month=2026-01")
    assert page.status_code == 200, page.text
    months = dashboard_cells(page.text, "months-JPY")
    assert months["2026-01"]["mrr"] == 2 * (BASIC + AI_THEN)
    assert months["2026-02"]["churned"] == BASIC + AI_THEN
    assert months["2026-03"]["churned"] == BASIC + AI_THEN

    page = console.get("/console/subscriptions")
    assert page.status_code == 200, page.text
    rows = _list_cells(page.text)
    assert set(rows) == {world.ended, world.held}
    for row in rows.values():
        assert row["Price per period"] == f"¥{BASIC + AI_THEN:,}"
        assert row["MRR"] == "¥0"
