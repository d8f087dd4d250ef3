"""The console dashboard in Chromium against the real server: the chart is drawn from the
project's own copy of Chart.js (served under /static, no CDN) over the same figures as the
tables, and the page stays within a phone's width with every amount visible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.organizations.organizations import create_operator
from tests.conftest import make_tenant
from tests.e2e.conftest import LiveApp
from tests.integration.revenue_scenario_support import PASSWORD, expected, run_scenario

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
