"""MRR on each account's own date and with values that need rounding, on SQLite and
PostgreSQL.

- Today is each subscription's local date: at 23:00 UTC on January 31 a Tokyo customer who
  subscribes is already in February (its span starts on February 1, Tokyo time) and counts
  in February's figures, while a New York customer is still on January 31.
- A weekly plan with a weekly add-on and a plan every 2 months at an odd price with a cycle
  discount: the monthly value is rounded once per subscription, half up; the expected values
  are computed here from the prices, not read from the code under test."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.extras import AddOnInput, create_add_on
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.screens.revenue import revenue_report
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.subscriptions.revenue import Figures
from tests.conftest import Tenant
from tests.integration.revenue_scenario_support import dashboard_cells, sign_in_console

D = date


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves up (both positive)."""
    return (2 * numerator + denominator) // (2 * denominator)


WEEK = 999  # USD cents a week: the weekly plan
EXTRA = 150  # USD cents a week: one unit of the weekly add-on
DUO_BASE, DUO_OFF = 1007, 5  # JPY a month, percent off the every-2-months cycle
# A week is 7 x 12 / 365 of a month: a weekly amount is worth amount x 365 / 84 a month.
FUJII_FEB = _half_up((WEEK + 2 * EXTRA) * 365, 7 * 12)  # 1,299 a week: 5,644.46 -> 5,644
FUJII_MAR = _half_up((WEEK + 3 * EXTRA) * 365, 7 * 12)  # 1,449 a week: 6,296.25 -> 6,296
# Every 2 months: 2 x 1,007 at 5 % off = 1,913.3 -> 1,913 a period (the quote rounds once);
# a month: 956.5 -> 957 (half up, where half-even would give 956).
DUO_PERIOD = _half_up(2 * DUO_BASE * (100 - DUO_OFF), 100)
DUO_MONTH = _half_up(DUO_PERIOD, 2)


def _usd(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _catalog(app: Plansmith, org: str) -> None:
    uow, clock = app.uow, app.clock
    create_family(uow(), clock, org, FamilyInput("service", "Service plans"))
    plans: tuple[tuple[str, str, dict[str, object]], ...] = (
        ("basic", "Basic", {"pricing": "flat", "base_prices": {"JPY": 1000, "USD": 1200}}),
        (
            "weekly",
            "Weekly",
            {"pricing": "flat", "prices": [{"currency": "USD", "cycle": "week", "amount": WEEK}]},
        ),
        (
            "duo",
            "Duo",
            {
                "pricing": "flat",
                "base_prices": {"JPY": DUO_BASE},
                "cycle_discounts": {"2_months": str(DUO_OFF)},
            },
        ),
    )
    for rank, (code, name, terms) in enumerate(plans, start=1):
        data = PlanInput(code, name, "service", rank, terms, ["portal"], True)
        create_plan(uow(), clock, org, data)
    prices = [{"currency": "USD", "cycle": "week", "amount": EXTRA}]
    create_add_on(uow(), clock, org, AddOnInput("extra", "Extra", prices, quantity_allowed=True))


def _customer(app: Plansmith, org: str, name: str, currency: str, zone: str) -> str:
    data = AccountInput(name, f"{name.lower()}@example.com", currency, zone)
    return open_account(app.uow(), app.clock, org, data).id


def _subscribe(app: Plansmith, org: str, account: str, plan: str, **more: object) -> str:
    data = SubscribeInput(account, plan, trial=False, **more)  # type: ignore[arg-type]
    return subscribe(app.uow(), app.clock, org, data).view.subscription.id


def _on(app: Plansmith, org: str, moment: datetime) -> None:
    clock = app.clock
    assert isinstance(clock, TestClock)
    clock.set(moment)
    actions.advance_due(app.uow(), clock, org)


def test_a_tokyo_customer_at_23_utc_on_the_months_last_day_counts_in_the_next_month(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    _on(container, org, datetime(2027, 1, 1, 12, tzinfo=UTC))
    _catalog(container, org)
    london = _customer(container, org, "Lewis", "JPY", "Europe/London")
    new_york = _customer(container, org, "Nolan", "USD", "America/New_York")
    tokyo = _customer(container, org, "Tanaka", "JPY", "Asia/Tokyo")
    _on(container, org, datetime(2027, 1, 10, 12, tzinfo=UTC))
    _subscribe(container, org, london, "basic")
    _subscribe(container, org, new_york, "basic")

    # 23:00 UTC on January 31: 08:00 on February 1 in Tokyo, 18:00 on January 31 in New York.
    _on(container, org, datetime(2027, 1, 31, 23, tzinfo=UTC))
    _subscribe(container, org, tokyo, "basic")

    report = revenue_report(container.uow(), container.clock, org, months=2)
    assert report.today == D(2027, 2, 1)  # Tokyo's: the latest date any customer is on
    jan, feb = report.months
    assert (jan.month, feb.month) == (D(2027, 1, 1), D(2027, 2, 1))
    assert jan.by_currency["JPY"].mrr == 1000  # Lewis; Tanaka begins on February 1
    assert feb.by_currency["JPY"] == Figures(mrr=2000, subscriptions=2, customers=2, new=1000)
    # New York is still on January 31: Nolan is in service on his date, no movement.
    assert feb.by_currency["USD"] == Figures(mrr=1200, subscriptions=1, customers=1)
    assert (feb.subscriptions, feb.customers) == (3, 3)

    console = sign_in_console(client, container, tenant)
    page = console.get("/console/dashboard")
    assert page.status_code == 200, page.text
    months = dashboard_cells(page.text, "months-JPY")
    assert (months["2027-01"]["mrr"], months["2027-02"]["mrr"]) == (1000, 2000)
    assert months["2027-02"]["new"] == 1000


def test_weekly_and_odd_priced_subscriptions_round_once_half_up(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    _on(container, org, datetime(2026, 1, 1, 12, tzinfo=UTC))
    _catalog(container, org)
    fujii = _customer(container, org, "Fujii", "USD", "America/Los_Angeles")
    goto = _customer(container, org, "Goto", "JPY", "Asia/Tokyo")
    _on(container, org, datetime(2026, 1, 10, 12, tzinfo=UTC))
    weekly = _subscribe(container, org, fujii, "weekly", cycle="week", add_ons={"extra": 2})
    _on(container, org, datetime(2026, 2, 3, 12, tzinfo=UTC))
    _subscribe(container, org, goto, "duo", cycle="2_months")
    _on(container, org, datetime(2026, 3, 15, 12, tzinfo=UTC))
    change = actions.ChangeInput(add_ons={"extra": 3})
    actions.change_subscription(container.uow(), container.clock, org, weekly, change)
    _on(container, org, datetime(2026, 4, 20, 12, tzinfo=UTC))

    report = revenue_report(container.uow(), container.clock, org, months=4)
    usd = [m.by_currency.get("USD", Figures()) for m in report.months]
    jpy = [m.by_currency.get("JPY", Figures()) for m in report.months]
    assert [f.mrr for f in usd] == [FUJII_FEB, FUJII_FEB, FUJII_MAR, FUJII_MAR]
    assert (usd[0].new, usd[2].expansion) == (FUJII_FEB, FUJII_MAR - FUJII_FEB)
    assert [f.mrr for f in jpy] == [0, DUO_MONTH, DUO_MONTH, DUO_MONTH]
    assert jpy[1].new == DUO_MONTH
    assert (FUJII_FEB, FUJII_MAR, DUO_PERIOD, DUO_MONTH) == (5644, 6296, 1913, 957)

    console = sign_in_console(client, container, tenant)
    page = console.get("/console/subscriptions")
    assert page.status_code == 200, page.text
    for name, period, monthly in (
        ("Fujii", _usd(WEEK + 3 * EXTRA), _usd(FUJII_MAR)),
        ("Goto", f"¥{DUO_PERIOD:,}", f"¥{DUO_MONTH:,}"),
    ):
        row = page.text[page.text.index(f">{name}<") :]
        row = row[: row.index("</tr>")]
        cells = dict(re.findall(r'data-label="([^"]+)"><div><bdi>([^<]+)</bdi>', row))
        assert (cells["Price per period"], cells["MRR"]) == (period, monthly), name
