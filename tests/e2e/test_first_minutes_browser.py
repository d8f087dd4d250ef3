"""A newcomer's first minutes in Chromium (issue 13, defects 7 and 10): `/` is a landing page
with the way to the console, the API docs and the customers' portal, at 360 px and 1366 px;
the console's Sandboxes page makes a sandbox whose clock starts at a chosen instant and shows
its key once, at 360 px too. Screenshots go to test-artifacts/screenshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.organizations.organizations import create_operator, create_organization
from tests.e2e.conftest import LiveApp

Shot = Callable[[str], Path]
PASSWORD = "correct horse battery"


@pytest.mark.parametrize("width", [360, 1366])
def test_the_landing_page_leads_to_the_console_the_docs_and_explains_the_portal(
    live_app: LiveApp, page: Page, screenshot: Shot, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_app.url}/")

    expect(page).to_have_url(f"{live_app.url}/")  # no redirect to the console's sign-in
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plans, subscriptions")
    expect(page.locator("#portal")).to_contain_text("POST /v1/portal_sessions")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(f"{width}")

    page.get_by_role("link", name="Open the API docs").click()
    expect(page).to_have_url(f"{live_app.url}/docs")
    page.go_back()
    page.get_by_role("link", name="Sign in to the console").click()
    expect(page).to_have_url(f"{live_app.url}/console/login")


def test_the_landing_page_speaks_the_chosen_language_right_to_left_in_arabic(
    live_app: LiveApp, page: Page
) -> None:
    page.goto(f"{live_app.url}/")
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change language").click()

    expect(page).to_have_url(f"{live_app.url}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")


def test_the_console_makes_a_sandbox_at_a_chosen_start_and_shows_its_key_once_at_360_px(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    organization = create_organization(live_app.container.uow(), live_app.clock, "Acme")
    create_operator(
        live_app.container.uow(), live_app.clock, organization.id, "ops@acme.example", PASSWORD
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_app.url}/console/login")
    page.get_by_label("Email").fill("ops@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_app.url}/console/sandboxes")

    page.get_by_label("Name").fill("Checkout test")
    page.get_by_label("Test clock starts at (UTC)").fill("2025-03-01T09:30:00")
    page.get_by_role("button", name="Create sandbox").click()

    secret = page.get_by_label("API key of the new sandbox").input_value()
    assert secret.startswith("sk_")
    expect(page.locator("#new-sandbox")).to_contain_text("Mar 1, 2025, 9:30:00")
    expect(page.locator("#sandboxes")).to_contain_text("Checkout test")
    screenshot("created")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right"
        " > 361).map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert wide == []
    page.reload()  # a reload sends the form again? No: the list is what a GET shows
    page.goto(f"{live_app.url}/console/sandboxes")
    expect(page.locator("#new-sandbox")).to_have_count(0)
    assert secret not in page.content()
