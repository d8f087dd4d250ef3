"""Acceptance for issue 13's portal defects, in Chromium on a phone (390 × 844): "Cancel now"
asks first, stating the credit and the day, and only the Confirm button cancels; afterwards
the history still lists the plan, with its status and dates; the Arabic page reads right to
left with its amounts kept in order.

The account (New York, USD) holds Chat Team × 2 at $19.00 from Jan 31, 2026 (a 28-day
period); on Feb 14, 14 days remain: $19.00 back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import TIMEOUT_MS, LiveApp
from tests.e2e.test_portal_plans import _customer_on_chat_team, _portal_url

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_cancel_now_asks_with_the_amount_and_the_day_before_doing_it(
    live_app: LiveApp, phone: Page
) -> None:
    account = _customer_on_chat_team(live_app)
    phone.goto(_portal_url(live_app, account))
    phone.goto(f"{live_app.url}/portal/plans?family=chat")

    phone.get_by_text("Cancel plan").click()
    phone.get_by_role("button", name="Cancel now").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Cancel Chat Team now?")
    expect(phone.locator("#stop-summary")).to_contain_text(
        "Chat Team ends today, Feb 14, 2026. The unused 14 days, until Feb 27, 2026, are "
        "credited: $19.00 on your next invoice."
    )
    credit = phone.locator("#stop-items tbody td.amount")
    expect(credit).to_have_text("-$19.00")
    expect(credit).to_be_visible()
    phone.screenshot(path=str(_shots() / "portal_defects-1-cancel-now-asks.png"), full_page=True)
    # Nothing happened yet: back on the Plans page the plan is still active.
    phone.get_by_role("link", name="Back, change nothing").click()
    expect(phone.locator("dl.current-plan")).to_contain_text("Active")

    phone.get_by_text("Cancel plan").click()
    phone.get_by_role("button", name="Cancel now").click()
    phone.get_by_role("button", name="Confirm: cancel now").click()

    expect(phone.get_by_role("status")).to_have_text(
        "Your plan was canceled. Unused time is credited on your next invoice."
    )
    rows = phone.locator("table.history tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td")).to_have_text(
        ["Chat Team", "Canceled", "Jan 31, 2026", "Feb 13, 2026"]
    )
    phone.screenshot(path=str(_shots() / "portal_defects-2-canceled.png"), full_page=True)


def test_the_arabic_plans_page_reads_right_to_left_with_amounts_in_order(
    live_app: LiveApp, phone: Page
) -> None:
    account = _customer_on_chat_team(live_app)
    phone.goto(_portal_url(live_app, account))
    phone.context.add_cookies([{"name": "plansmith_lang", "value": "ar", "url": live_app.url}])

    phone.goto(f"{live_app.url}/portal/plans?family=chat")

    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    formula = phone.locator("dl.current-plan bdi.formula").first
    expect(formula).to_have_attribute("dir", "ltr")
    expect(formula).to_have_text("$19.00 × 2 = $38.00")
    phone.screenshot(path=str(_shots() / "portal_defects-3-arabic-plans.png"), full_page=True)


def _shots() -> Path:
    path = Path("test-artifacts") / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
