"""Seeds 003 and 002 in the browser: change a plan's price without touching existing customers,
and see how many subscribers each version has."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.extras import AddOnInput, create_add_on
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import create_operator, create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
PASSWORD = "correct horse battery"
EMAIL = "ops@acme.example"


def _catalog(app: LiveApp) -> str:
    """An organization with an operator, a service family, Bronze and Silver, and an add-on;
    returns the organization id."""
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Mailbox").id
    create_operator(uow(), clock, org, EMAIL, PASSWORD)
    create_family(uow(), clock, org, FamilyInput("service", "Service plans"))
    for code, name, rank, usd in (("bronze", "Bronze", 1, 2499), ("silver", "Silver", 2, 3999)):
        terms = {
            "base_prices": {"USD": usd, "EUR": usd - 200},
            "cycle_discounts": {"quarter": "5", "year": "20"},
            "trial_days": 14,
            "allowances": {"scans": 30 * rank, "mail_items": 100 * rank},
            "features": ["mail_scanning"],
        }
        data = PlanInput(
            code, name, "service", rank, terms, ["signup", "website", "portal"], publish=True
        )
        create_plan(uow(), clock, org, data)
    prices = [{"currency": "USD", "cycle": "month", "amount": 500}]
    create_add_on(uow(), clock, org, AddOnInput("shredding", "Shredding", prices))
    return org


def _subscribe(app: LiveApp, org: str, name: str, channel: str | None = None) -> None:
    """A new customer on Bronze, as the API or the sign-up page would subscribe one."""
    uow, clock = app.container.uow, app.clock
    data = AccountInput(name, f"billing@{name.lower()}.example", "USD", "America/New_York")
    account = open_account(uow(), clock, org, data)
    subscribe(uow(), clock, org, SubscribeInput(account.id, "bronze", channel=channel))


def test_change_a_price_for_new_customers_only(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    org = _catalog(live_app)
    for name in ("Ada", "Grace"):
        _subscribe(live_app, org, name)

    page.goto(f"{live_app.url}/console/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Catalog").click()
    expect(page).to_have_url(f"{live_app.url}/console/catalog")
    # Each family's versions are shown on demand (issue 13: the catalog is compact).
    page.get_by_text("Change policy and every version").click()
    expect(page.locator("#version-bronze-1")).to_contain_text("Annual: $239.90 (20 % off)")
    expect(page.locator("#version-bronze-1 .subscribers")).to_have_text("2")
    expect(page.locator("#subscribers-bronze")).to_have_text("2 subscribers")
    expect(page.locator("#version-silver-1 .subscribers")).to_have_text("0")
    screenshot("1-catalog")

    page.locator("#plan-bronze").get_by_role("link", name="Bronze").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bronze")
    expect(page.locator("#current-version")).to_contain_text(re.compile(r"Monthly\s*\$24\.99"))
    price = page.locator("#base_price-USD")
    expect(price).to_have_value("24.99")
    screenshot("2-plan-editor")

    price.fill("29.99x")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#base_price-USD-error")).to_contain_text("is not an amount of USD")
    expect(page.locator("#base_price-USD")).to_have_value("29.99x")
    expect(page.locator("#draft-version")).to_contain_text("No draft")
    screenshot("3-invalid-price")

    page.locator("#base_price-USD").fill("29.99")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved")
    draft = page.locator("#draft-version")
    expect(draft.get_by_role("heading", level=2)).to_contain_text("Draft version 2")
    expect(draft).to_contain_text(
        re.compile(r"Monthly\s*\$29\.99")
    )  # the price table: cycle, price
    expect(draft).to_contain_text(re.compile(r"Annual\s*\$287\.90 \(20 % off\)"))
    expect(page.locator("#current-version")).to_contain_text(re.compile(r"Monthly\s*\$24\.99"))

    question = page.get_by_role("group", name="Apply this change to existing customers?")
    no = question.get_by_role(
        "radio", name=re.compile(r"^No — existing customers keep their current version")
    )
    expect(no).to_be_visible()
    no.check()
    expect(question).to_contain_text("it becomes Bronze Legacy, internal only")
    expect(question).to_contain_text("Version 1 has 2 subscribers now.")
    screenshot("4-draft-and-question")
    page.get_by_role("button", name="Publish version 2").click()
    # Publishing takes a confirmation step (issue 13): who moves, from when, at what price.
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("No customer moves: the 2 subscribers of version 1 keep it")
    page.get_by_role("button", name="Confirm: publish version 2").click()

    expect(page.get_by_role("status")).to_contain_text("Existing customers keep their version")
    expect(page.locator("#current-version")).to_contain_text("Current version 2")
    expect(page.locator("#current-version")).to_contain_text(re.compile(r"Monthly\s*\$29\.99"))
    screenshot("5-published")

    page.get_by_role("navigation").get_by_role("link", name="Catalog").click()
    page.get_by_text("Change policy and every version").click()
    legacy = page.locator("#version-bronze-1")
    current = page.locator("#version-bronze-2")
    expect(legacy).to_contain_text("Bronze Legacy")
    expect(legacy).to_contain_text("Legacy")
    expect(legacy.locator(".channel")).to_have_text(["Internal"])
    expect(legacy).to_contain_text("Monthly: $24.99")
    expect(current).to_contain_text("Current")
    expect(current.locator(".channel")).to_have_text(
        ["Sign-up page", "Website", "Portal upgrade list"]
    )
    expect(current).to_contain_text("Monthly: $29.99")
    expect(current).to_contain_text("Annual: $287.90 (20 % off)")
    expect(page.locator('tr[id^="version-bronze-"]')).to_have_count(2)
    expect(legacy.locator(".subscribers")).to_have_text("2")  # both kept their version
    expect(current.locator(".subscribers")).to_have_text("0")
    screenshot("6-catalog-after")

    _subscribe(live_app, org, "Linus", channel="signup")  # a new sign-up gets version 2
    page.reload()
    expect(current.locator(".subscribers")).to_have_text("1")
    expect(legacy.locator(".subscribers")).to_have_text("2")
    expect(page.locator("#subscribers-bronze")).to_have_text("3 subscribers")  # 2 + 1
    screenshot("7-catalog-new-sign-up")
