"""Revoking an API key in the console, in Chromium 360 px wide against the real server: the
list's Revoke… only opens a confirmation page; the key stops working when that is confirmed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_operator, create_organization
from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
EMAIL, PASSWORD = "ops@acme.example", "correct horse battery"


def _status(app: LiveApp, secret: str) -> int:
    headers = {"Authorization": f"Bearer {secret}"}
    return httpx.get(f"{app.url}/v1/organization", headers=headers).status_code


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide at a 360 px viewport"


def test_revoke_a_key_after_confirming_at_360_px(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    uow, clock = live_app.container.uow, live_app.clock
    organization = create_organization(uow(), clock, "Acme Operator")
    create_operator(uow(), clock, organization.id, EMAIL, PASSWORD)
    kept = create_api_key(uow(), clock, organization.id, "reports")
    leaked = create_api_key(uow(), clock, organization.id, "billing backend")
    page.set_viewport_size({"width": 360, "height": 800})

    page.goto(f"{live_app.url}/console/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Menu").click()  # a phone's navigation opens from a button
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
    row = page.locator(f"tr#{leaked.key.id}")
    expect(row).to_contain_text("billing backend")
    expect(row).to_contain_text(f"{leaked.secret[:10]}…")
    expect(row).to_contain_text("Active")
    _fits(page)
    screenshot("1-list")

    row.get_by_role("link", name="Revoke…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the key “billing backend”?")
    assert _status(live_app, leaked.secret) == 200  # one click has revoked nothing
    _fits(page)
    screenshot("2-confirm")

    page.get_by_role("button", name="Revoke key").click()

    expect(page.get_by_role("status")).to_have_text(
        "Revoked: every request with this key now gets 401."
    )
    expect(page.locator(f"tr#{leaked.key.id}")).to_contain_text("Revoked")
    expect(page.locator(f"tr#{leaked.key.id}").get_by_role("link")).to_have_count(0)
    assert _status(live_app, leaked.secret) == 401
    assert _status(live_app, kept.secret) == 200
    _fits(page)
    screenshot("3-revoked")


def test_cancel_on_the_confirmation_page_keeps_the_key(live_app: LiveApp, page: Page) -> None:
    uow, clock = live_app.container.uow, live_app.clock
    organization = create_organization(uow(), clock, "Acme Operator")
    create_operator(uow(), clock, organization.id, EMAIL, PASSWORD)
    key = create_api_key(uow(), clock, organization.id, "backend")

    page.goto(f"{live_app.url}/console/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_app.url}/console/api-keys/{key.key.id}/roll")
    expect(page.get_by_label("After 24 hours")).to_be_checked()
    page.get_by_role("link", name="Cancel").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
    expect(page.locator(f"tr#{key.key.id}")).to_contain_text("Active")
    assert _status(live_app, key.secret) == 200
