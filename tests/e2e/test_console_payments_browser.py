"""The console's payment pages in Chromium with payments in them (the every-page walk's world
has none): on a phone (390×844) in English and in Arabic (right to left) and on a laptop, each
page and confirmation is no wider than the screen, every amount is on screen and not cut off,
and axe-core finds no serious or critical violation. The customer is
console_payments_support's (a card, a top-up, a paid invoice, an invoice in dunning)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from plansmith.application.organizations.organizations import create_operator
from tests.conftest import make_tenant
from tests.e2e.conftest import TIMEOUT_MS, LiveApp
from tests.e2e.every_page_support import (
    AXE,
    OPEN_EVERYTHING,
    axe_violations,
    choose_language,
    layout_problems,
    screenshot_path,
)
from tests.integration.console_payments_support import dunned_customer

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "ops@payments.example", "correct horse battery"
SIZES = {"390x844": (390, 844, "en"), "1366x800": (1366, 800, "en"), "390x844-ar": (390, 844, "ar")}


def _problems(page: Page, size: str, label: str) -> list[str]:
    page.evaluate(OPEN_EVERYTHING)
    found = [f"{label} at {size}: {p}" for p in layout_problems(page)]
    page.screenshot(path=str(screenshot_path(size, f"payments-{label}")), full_page=True)
    if AXE.exists():
        found += [
            f"{label} at {size}: axe {v['impact']} {v['rule']} at {v['target']}: {v['help']}"
            for v in axe_violations(page)
        ]
    return found


@pytest.mark.parametrize("size", SIZES)
def test_the_payment_pages_fit_the_screen_with_payments_in_them(
    size: str, live_app: LiveApp, browser: Browser
) -> None:
    container = live_app.container
    tenant = make_tenant(container, "Payments Operator")
    dunned = dunned_customer(container, tenant)
    create_operator(container.uow(), container.clock, tenant.organization_id, EMAIL, PASSWORD)
    width, height, language = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    url = live_app.url
    page.goto(f"{url}/console/login")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{url}/console/customers")
    choose_language(page, url, language)
    account, first, second = (
        dunned.billed.account.id,
        dunned.billed.first.id,
        dunned.billed.second.id,
    )
    problems: list[str] = []
    try:
        for label, path in (
            ("customer", f"/console/customers/{account}"),
            ("customer-payments", f"/console/customers/{account}/payments"),
            ("payments", "/console/payments"),
            ("failed", "/console/payments/failed"),
            ("invoice-paid", f"/console/invoices/{first}"),
            ("invoice-dunned", f"/console/invoices/{second}"),
            ("dunning", "/console/settings/dunning"),
        ):
            answer = page.goto(url + path)
            assert answer is not None and answer.status == 200, f"{path}: {answer}"
            problems += _problems(page, size, label)

        page.goto(f"{url}/console/invoices/{first}")
        page.locator("#refund-amount").fill("5000")
        page.locator("#refund-reason").fill("Service outage")
        page.locator(f"form[action='/console/invoices/{first}/refund'] button").click()
        page.wait_for_selector("#refund-to-balance")
        problems += _problems(page, size, "refund-confirm")

        page.goto(f"{url}/console/invoices/{first}")
        page.locator("#refund-amount").fill("6161")
        page.locator("#refund-reason").fill("Too much")
        page.locator(f"form[action='/console/invoices/{first}/refund'] button").click()
        page.wait_for_selector("#refund-amount-error")
        problems += _problems(page, size, "refund-refused")

        page.goto(f"{url}/console/payments/failed")
        page.locator(f"form[action='/console/payments/failed/{second}/retry'] button").click()
        page.wait_for_selector("#what-happens")
        problems += _problems(page, size, "retry-confirm")

        page.goto(f"{url}/console/customers/{account}/payments")
        remove = f"form[action='/console/customers/{account}/cards/remove'] button"
        page.locator(remove).first.click()
        page.wait_for_selector("#what-happens")
        problems += _problems(page, size, "card-remove-confirm")

        page.goto(f"{url}/console/settings/dunning")
        page.locator("#dunning-retry_days").fill("3, 1")
        page.locator("#dunning-stage_days-0").fill("x")
        page.locator("form[action='/console/settings/dunning'] button[type=submit]").click()
        page.wait_for_selector("#dunning-retry_days-error")
        problems += _problems(page, size, "dunning-refused")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
