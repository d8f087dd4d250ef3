"""The acceptance scenarios of the portal and console, in Chromium against the real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.organizations.organizations import (
    create_operator,
    create_organization,
    create_portal_link,
)
from plansmith.domain.accounts.account import Account
from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
PASSWORD = "correct horse battery"


def _organization(app: LiveApp) -> str:
    return create_organization(app.container.uow(), app.clock, "Acme Operator").id


def _account(app: LiveApp, organization_id: str, name: str) -> Account:
    data = AccountInput(
        name=name,
        email=f"billing@{name.split()[0].lower()}.example",
        currency="EUR",
        time_zone="Europe/Berlin",
        locale="de_DE",
        tax_id="DE123456789",
    )
    return open_account(app.container.uow(), app.clock, organization_id, data)


def _portal_url(app: LiveApp, account: Account) -> str:
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, account.organization_id, account.id
    )
    return f"{app.url}/portal/enter?token={link.token}"


def test_portal_link_then_add_an_invoice_address(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    account = _account(live_app, _organization(live_app), "Kunde GmbH")

    page.goto(_portal_url(live_app, account))
    expect(page).to_have_url(f"{live_app.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kunde GmbH")
    expect(page.get_by_text("No invoice address yet")).to_be_visible()
    screenshot("1-account")

    form = page.locator("#new-address")
    form.get_by_label("Name", exact=True).fill("Kunde GmbH")
    form.get_by_label("Address line 1").fill("Hauptstraße 5")
    form.get_by_role("button", name="Add new address").click()
    expect(form.locator("#new-city-error")).to_have_text("City must not be empty")
    expect(form.locator("#new-country-error")).to_have_text("Country must not be empty")
    expect(form.get_by_label("Address line 1")).to_have_value("Hauptstraße 5")
    screenshot("2-missing-fields")

    form.get_by_label("City").fill("Berlin")
    form.get_by_label("Postal code").fill("10115")
    form.get_by_label("Country").select_option("DE")
    form.get_by_role("button", name="Add new address").click()

    expect(page.get_by_role("status")).to_have_text("The address was added.")
    listed = page.locator("ul.addresses > li")
    expect(listed).to_have_count(1)
    expect(listed.locator("address")).to_contain_text("Hauptstraße 5")
    expect(listed.locator("address")).to_contain_text("10115 Berlin")
    expect(listed.locator("address")).to_contain_text("Deutschland")
    expect(listed.locator(".badge")).to_have_text("Used on invoices")
    screenshot("3-address-added")


def test_forged_and_expired_links_get_a_link_expired_page(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    account = _account(live_app, _organization(live_app), "Kunde GmbH")
    url = _portal_url(live_app, account)

    page.goto(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Link expired")
    expect(page.get_by_text("ask your service provider for a new link")).to_be_visible()
    expect(page.get_by_text("Kunde GmbH")).to_have_count(0)
    screenshot("1-forged")

    live_app.clock.advance(timedelta(minutes=16))
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Link expired")
    expect(page.get_by_text("Kunde GmbH")).to_have_count(0)
    screenshot("2-expired")


def test_console_sign_in_and_search_for_a_customer(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    organization_id = _organization(live_app)
    create_operator(
        live_app.container.uow(), live_app.clock, organization_id, "ops@acme.example", PASSWORD
    )
    for name in ("Globex Corporation", "Initech Software", "Umbrella Health"):
        _account(live_app, organization_id, name)
        live_app.clock.advance(timedelta(minutes=1))

    page.goto(f"{live_app.url}/console/")
    expect(page).to_have_url(f"{live_app.url}/console/login")
    page.get_by_label("Email").fill("ops@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("1-sign-in")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_app.url}/console/customers")
    expect(page.locator("tbody tr")).to_have_count(3)
    screenshot("2-customers")

    page.get_by_placeholder("Name, email or external ID").fill("tech")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/console/customers\?search=tech$"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Initech Software")
    screenshot("3-search")

    page.get_by_role("link", name="Initech Software").click()
    page.get_by_role("button", name="Create portal link").click()
    expect(page.locator("#portal-url")).to_have_value(re.compile(r"/portal/enter\?token="))
    screenshot("4-portal-link")
