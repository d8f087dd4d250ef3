"""The console dashboard in Chromium against the real server: the chart is drawn from the
project's own copy of Chart.js (served under /static, no CDN) over the same figures as the
tables, and the page stays within a phone's width with every amount visible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.organizations.organizations import create_operator
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from tests.conftest import make_tenant
from tests.e2e.conftest import LiveApp
from tests.integration.revenue_scenario_support import PASSWORD, catalog, expected, run_scenario

pytestmark = pytest.mark.browser


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_dashboard_draws_its_chart_and_fits_a_phone(
    live_app: LiveApp, page: Page, screenshot: Callable[[str], Path]
) -> None:
    app = live_app.container
    tenant = make_tenant(app, "Acme Operator")
    run_scenario(app, tenant.organization_id)
    email = "ops@acme.example"
    create_operator(app.uow(), live_app.clock, tenant.organization_id, email, PASSWORD)
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)

    page.set_viewport_size({"width": 1366, "height": 800})
    _sign_in(page, live_app.url, email)
    page.goto(f"{live_app.url}/console/dashboard")

    chart = page.locator("#currency-JPY figure.chart")
    expect(chart).to_be_visible()  # shown once Chart.js has loaded
    drawn = page.evaluate("() => !!window.Chart.getChart(document.getElementById('chart-JPY'))")
    assert drawn
    assert all(u.startswith(live_app.url) for u in scripts), scripts  # no CDN
    last = page.locator("#months-JPY tbody tr").last.locator('[data-figure="mrr"]')
    mrr = expected(date(2027, 2, 1), "JPY").mrr
    expect(last).to_have_text(f"¥{mrr:,}")
    screenshot("1366px")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(chart).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    cell = page.locator("#months-JPY tbody tr").last.locator('[data-figure="mrr"]')
    box = cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    screenshot("390px")

    page.goto(f"{live_app.url}/console/subscriptions?search=Endo")
    expect(page.locator("#subscriptions tbody tr")).to_have_count(1)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot("subscriptions-390px")


def test_an_operator_changes_a_plan_on_a_phone_through_its_review(
    live_app: LiveApp, page: Page, screenshot: Callable[[str], Path]
) -> None:
    app, clock = live_app.container, live_app.clock
    tenant = make_tenant(app, "Acme Operator")
    org = tenant.organization_id
    catalog(app, org)
    data = AccountInput("Aoki", "aoki@example.com", "JPY", "Asia/Tokyo")
    account = open_account(app.uow(), clock, org, data).id
    subscribe(app.uow(), clock, org, SubscribeInput(account, "basic", quantity=3, trial=False))
    email = "ops@acme.example"
    create_operator(app.uow(), clock, org, email, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_app.url, email)
    page.goto(f"{live_app.url}/console/customers/{account}")

    page.get_by_role("link", name="Change plan…").click()
    page.get_by_label("Plan", exact=True).select_option("pro")
    page.get_by_role("button", name="Review").click()

    expect(page.locator("#takes-effect")).to_contain_text("Now, on")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for amount in page.locator("#change-items td.amount").all():
        box = amount.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, box
    screenshot("review-390px")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".flash")).to_have_text("The plan was changed.")
    page.get_by_role("button", name="Pause…").click()
    expect(page.locator("#what-happens")).to_contain_text("stops today")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot("pause-390px")
