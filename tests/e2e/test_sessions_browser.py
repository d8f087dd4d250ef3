"""Sessions in Chromium: a portal link opens the portal once, sign-out ends the session on the
server, and repeated failed console sign-ins get a wait beside the form (at 360 px)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from playwright.sync_api import Browser, Page, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.organizations.organizations import (
    create_operator,
    create_organization,
    create_portal_link,
)
from tests.e2e.conftest import LiveApp

if TYPE_CHECKING:  # cookies() and add_cookies() are typed with two TypedDicts that do not match
    from playwright._impl._api_structures import SetCookieParam

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
PASSWORD = "correct horse battery"


def _portal_url(app: LiveApp) -> str:
    organization = create_organization(app.container.uow(), app.clock, "Acme Operator")
    data = AccountInput(name="Kunde GmbH", email="billing@kunde.example", currency="EUR")
    account = open_account(app.container.uow(), app.clock, organization.id, data)
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, organization.id, account.id
    )
    return f"{app.url}/portal/enter?token={link.token}"


def test_a_link_opens_the_portal_once_and_sign_out_ends_the_session(
    live_app: LiveApp, page: Page, browser: Browser, screenshot: Shot
) -> None:
    url = _portal_url(live_app)

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kunde GmbH")
    cookies = page.context.cookies()
    forwarded = browser.new_context()  # someone the link was forwarded to, after the customer
    other = forwarded.new_page()
    other.goto(url)
    expect(other.get_by_role("heading", level=1)).to_have_text("Link expired")
    expect(other.get_by_text("Kunde GmbH")).to_have_count(0)
    screenshot("1-link-used")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    # a copy of the cookie taken before the sign-out
    forwarded.add_cookies(cast("list[SetCookieParam]", cookies))
    other.goto(f"{live_app.url}/portal/")
    expect(other.get_by_role("heading", level=1)).to_have_text("You have signed out")
    expect(other.get_by_text("Kunde GmbH")).to_have_count(0)
    forwarded.close()


def test_repeated_wrong_passwords_get_a_wait_beside_the_form_at_360_px(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    organization = create_organization(live_app.container.uow(), live_app.clock, "Acme")
    create_operator(
        live_app.container.uow(), live_app.clock, organization.id, "ops@acme.example", PASSWORD
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_app.url}/console/login")

    for _ in range(6):
        page.get_by_label("Email").fill("ops@acme.example")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Too many failed sign-in attempts. Wait 1 second, then try again.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot("1-wait")

    live_app.clock.advance(timedelta(seconds=1))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_app.url}/console/customers")
