"""The console's billing runs page shows how each run ended (running, finished, failed,
abandoned and by which run), at 360 px wide, in Chromium against the real server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.billing.run import batches, bill_batch, run_billing
from plansmith.application.billing.run_records import start_run
from plansmith.application.organizations.organizations import create_operator, create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from tests.e2e.conftest import LiveApp
from tests.unit.subscription_builders import new_account, seed_catalog

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def test_runs_page_tells_how_each_run_ended_at_360_px(
    live_app: LiveApp, page: Page, screenshot: Callable[[str], Path]
) -> None:
    app, clock = live_app.container, live_app.clock
    org = create_organization(app.uow(), clock, "Acme Operator").id
    create_operator(app.uow(), clock, org, "ops@acme.example", PASSWORD)
    seed_catalog(app, org, plans={"seat": PLAN}, add_ons=False)
    for n in range(3):
        account = new_account(app, org, "USD", "UTC", name=f"Customer {n}")
        subscribe(app.uow(), clock, org, SubscribeInput(account, "seat"))
    # A run whose process died after its first batch (of one subscription).
    dead = start_run(app.uow(), app.watch, org, clock.now())
    bill_batch(
        app.uow(), clock, next(batches(app.uow(), org, clock.now(), 1)), timedelta(0), log=dead
    )
    clock.advance(app.watch.lease + timedelta(minutes=1))
    went_on = run_billing(app.uow(), clock, org, grace=timedelta(0), watch=app.watch)
    start_run(app.uow(), app.watch, org, clock.now()).failed(app.uow())
    running = start_run(app.uow(), app.watch, org, clock.now())

    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_app.url}/console/login")
    page.get_by_label("Email").fill("ops@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_app.url}/console/billing-runs")

    expect(page.locator(f"tr#{dead.run_id}")).to_contain_text("Abandoned")
    expect(page.locator(f"tr#{dead.run_id}")).to_contain_text(f"{went_on.id} went on")
    expect(page.locator(f"tr#{went_on.id} td").nth(4)).to_have_text("2")
    expect(page.locator(f"tr#{running.run_id}")).to_contain_text("Running")
    expect(page.locator("tbody")).to_contain_text("Failed")
    screenshot("360px")
    # The runs table scrolls inside its own box; the page around it stays 360 px wide.
    box = page.locator(".table-scroll").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    main_width = page.evaluate("document.querySelector('main').scrollWidth")
    assert main_width <= 360
