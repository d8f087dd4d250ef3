"""Seed 003 in the browser: change a plan's price without touching existing customers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from plansmith.application.catalog import PlanInput, create_plan
from plansmith.application.catalog_extras import AddOnInput, create_add_on
from plansmith.application.organizations import create_operator, create_organization
from plansmith.application.plan_families import FamilyInput, create_family
from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
PASSWORD = "correct horse battery"
EMAIL = "ops@acme.example"


def _catalog(app: LiveApp) -> None:
    """An organization with an operator, a service family, Bronze and Silver, and an add-on."""
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


def test_change_a_price_for_new_customers_only(
    live_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    _catalog(live_app)

    page.goto(f"{live_app.url}/console/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Catalog").click()
    expect(page).to_have_url(f"{live_app.url}/console/catalog")
    expect(page.locator("#version-bronze-1")).to_contain_text("$239.90 / year (20 % off)")
    screenshot("1-catalog")

    page.get_by_role("link", name="Bronze").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bronze")
    expect(page.locator("#current-version")).to_contain_text("$24.99 / month")
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
    expect(draft).to_contain_text("$29.99 / month")
    expect(draft).to_contain_text("$287.90 / year (20 % off)")
    expect(page.locator("#current-version")).to_contain_text("$24.99 / month")

    question = page.get_by_role("group", name="Apply this change to existing customers?")
    no = question.get_by_role(
        "radio", name=re.compile(r"^No — existing customers keep their current version")
    )
    expect(no).to_be_visible()
    no.check()
    expect(question).to_contain_text("it becomes Bronze Legacy, internal only")
    screenshot("4-draft-and-question")
    page.get_by_role("button", name="Publish version 2").click()

    expect(page.get_by_role("status")).to_contain_text("Existing customers keep their version")
    expect(page.locator("#current-version")).to_contain_text("Current version 2")
    expect(page.locator("#current-version")).to_contain_text("$29.99 / month")
    screenshot("5-published")

    page.get_by_role("navigation").get_by_role("link", name="Catalog").click()
    legacy = page.locator("#version-bronze-1")
    current = page.locator("#version-bronze-2")
    expect(legacy).to_contain_text("Bronze Legacy")
    expect(legacy).to_contain_text("Legacy")
    expect(legacy.locator(".channel")).to_have_text(["Internal"])
    expect(legacy).to_contain_text("$24.99 / month")
    expect(current).to_contain_text("Current")
    expect(current.locator(".channel")).to_have_text(
        ["Sign-up page", "Website", "Portal upgrade list"]
    )
    expect(current).to_contain_text("$29.99 / month")
    expect(current).to_contain_text("$287.90 / year (20 % off)")
    expect(page.locator("#plan-bronze tbody tr")).to_have_count(2)
    screenshot("6-catalog-after")
