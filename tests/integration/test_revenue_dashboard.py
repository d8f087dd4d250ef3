"""The console dashboard's MRR figures over a 14-month test-clock scenario, on SQLite and
PostgreSQL, against the figures computed in revenue_scenario_support from the scenario's own
prices: the computation for all 14 months, and the page for its 12, by currency, family and
plan."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.screens.revenue import revenue_report
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.subscriptions.revenue import Figures
from tests.conftest import Tenant
from tests.integration.revenue_scenario_support import (
    TODAY,
    Expected,
    dashboard_cells,
    expected,
    months,
    run_scenario,
    sign_in_console,
)

FIRST = date(2026, 1, 1)


def _figures(f: Figures) -> Expected:
    return Expected(
        f.mrr,
        f.subscriptions,
        f.customers,
        f.new,
        f.expansion,
        f.contraction,
        f.churned,
        f.trialing,
    )


def test_the_mrr_of_every_month_equals_the_scenarios_own_arithmetic(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    s = run_scenario(container, tenant.organization_id)

    report = revenue_report(container.uow(), clock, s.org, months=14)

    assert [m.month for m in report.months] == months(FIRST, 14)
    assert report.months[-1].as_of == TODAY
    assert report.currencies == ("JPY", "USD")  # the larger MRR first; never added together
    for m in report.months:
        for currency in ("JPY", "USD"):
            got = m.by_currency.get(currency, Figures())
            assert _figures(got) == expected(m.month, currency), (m.month, currency)
            assert got.arr == 12 * got.mrr
            for family in ("service", "support"):
                f = m.by_family.get((currency, s.ids[family]), Figures())
                assert _figures(f) == expected(m.month, currency, "family", family), (
                    m.month,
                    currency,
                    family,
                )
            for plan in ("basic", "pro", "care"):
                f = m.by_plan.get((currency, s.ids[plan]), Figures())
                assert _figures(f) == expected(m.month, currency, "plan", plan), (
                    m.month,
                    currency,
                    plan,
                )
        both = [expected(m.month, c) for c in ("JPY", "USD")]
        assert m.subscriptions == sum(e.subscriptions for e in both)
        assert m.trialing == sum(e.trialing for e in both)


def test_the_scenario_moves_mrr_the_way_its_story_says(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    """A few months by hand, so the reference itself is checked against the story."""
    s = run_scenario(container, tenant.organization_id)
    report = {m.month: m for m in revenue_report(container.uow(), clock, s.org, months=14).months}

    jpy = {month: report[month].by_currency.get("JPY", Figures()) for month in report}
    # January: Aoki's 3 Basic seats.
    assert (jpy[date(2026, 1, 1)].mrr, jpy[date(2026, 1, 1)].new) == (3000, 3000)
    # February: Baba is in a trial: counted as trialing, worth nothing yet.
    assert (jpy[date(2026, 2, 1)].mrr, jpy[date(2026, 2, 1)].trialing) == (3000, 1)
    # March: Aoki moves to Pro (+6,000), Baba's trial converts to Pro annual at 15 % off:
    # 2 seats x 3,000 x 12 x 0.85 / 12 = 5,100 new.
    march = jpy[date(2026, 3, 1)]
    assert (march.mrr, march.new, march.expansion) == (9000 + 5100, 5100, 6000)
    # July: Baba's Care paused: 5,000 churned; September: resumed: 5,000 new.
    assert jpy[date(2026, 7, 1)].churned == 5000
    assert jpy[date(2026, 9, 1)].new == 5000
    # October: Aoki's downgrade to Basic at the end of the term: 15,000 -> 5,000.
    assert jpy[date(2026, 10, 1)].contraction == 10000
    # December: Aoki cancels now; Carter (USD) ends at the end of his term.
    assert jpy[date(2026, 12, 1)].churned == 5000
    usd = (
        report[date(2026, 12, 1)].by_currency["USD"]
        if "USD" in report[date(2026, 12, 1)].by_currency
        else Figures()
    )
    assert (usd.mrr, usd.churned) == (0, 5000)
    # February 2027 so far: Endo's annual Basic goes from 4 to 6 seats (10,800 a seat a year).
    assert jpy[date(2027, 2, 1)].expansion == 1800


def test_the_dashboard_page_shows_the_same_figures_for_the_last_12_months(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    s = run_scenario(container, tenant.organization_id)
    console = sign_in_console(client, container, tenant)

    page = console.get("/console/dashboard?month=2026-10")

    assert page.status_code == 200, page.text
    html = page.text
    for currency in ("JPY", "USD"):
        rows = dashboard_cells(html, f"months-{currency}")
        shown = months(date(2026, 3, 1), 12)
        assert list(rows) == [f"{m:%Y-%m}" for m in shown]
        for m in shown:
            e = expected(m, currency)
            assert rows[f"{m:%Y-%m}"] == {
                "mrr": e.mrr,
                "arr": 12 * e.mrr,
                "subscriptions": e.subscriptions,
                "customers": e.customers,
                "new": e.new,
                "expansion": e.expansion,
                "contraction": e.contraction,
                "churned": e.churned,
                "net": e.new + e.expansion - e.contraction - e.churned,
            }, (currency, m)
    october = date(2026, 10, 1)
    families = dashboard_cells(html, "families-JPY")
    plans = dashboard_cells(html, "plans-JPY")
    for label, code in (("Service plans", "service"), ("Support plans", "support")):
        e = expected(october, "JPY", "family", code)
        assert (families[label]["mrr"], families[label]["contraction"]) == (e.mrr, e.contraction)
    for label, code in (("Basic", "basic"), ("Pro", "pro"), ("Care", "care")):
        e = expected(october, "JPY", "plan", code)
        assert (plans[label]["mrr"], plans[label]["new"], plans[label]["churned"]) == (
            e.mrr,
            e.new,
            e.churned,
        )
    assert s.ids["basic"]  # the scenario's catalog is the one shown
    # The chart's data rides along for the script; the tables work without it.
    assert 'src="/static/vendor/chart.umd.min.js"' in html
    assert '<script type="application/json" class="chart-data">' in html


def test_a_month_outside_the_dashboard_is_refused_naming_the_field(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    run_scenario(container, tenant.organization_id)
    console = sign_in_console(client, container, tenant)

    for month in ("2025-01", "2026-13", "soon"):
        page = console.get(f"/console/dashboard?month={month}")
        assert page.status_code == 422, (month, page.status_code)
        assert "month" in page.text


def test_an_organization_without_subscriptions_gets_an_empty_dashboard(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    console = sign_in_console(client, container, tenant)
    page = console.get("/console/dashboard")

    assert page.status_code == 200
    assert "No paying subscriptions in these months yet." in page.text
    assert 'id="months-' not in page.text


def test_a_range_of_months_out_of_bounds_is_refused(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    for count in (0, 37):
        with pytest.raises(InvalidValue) as refused:
            revenue_report(container.uow(), clock, tenant.organization_id, months=count)
        assert refused.value.field == "months"
