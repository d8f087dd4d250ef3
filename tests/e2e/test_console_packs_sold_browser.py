"""The console's packs sold in Chromium with packs in it: at 360 px in English and in Arabic
(right to left) and on a laptop, the page is no wider than the screen, every amount is on
screen and not cut off, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from plansmith.application.organizations.organizations import create_operator
from tests.conftest import make_tenant
from tests.e2e.conftest import TIMEOUT_MS, LiveApp
from tests.e2e.every_page_support import (
    AXE,
    OPEN_EVERYTHING,
    axe_violations,
    choose_language,
    layout_problems,
)
from tests.integration.billing_scenarios_support import _monthly_plan, _subscribe
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import new_account, seed_catalog

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "ops@packs.example", "correct horse battery"
SIZES = {"360x740": (360, 740, "en"), "360x740-ar": (360, 740, "ar"), "1366x800": (1366, 800, "en")}


@pytest.mark.parametrize("size", SIZES)
def test_packs_sold_fits_the_screen_with_packs_in_it(
    size: str, live_app: LiveApp, browser: Browser
) -> None:
    app = live_app.container
    org = make_tenant(app, "Packs Operator").organization_id
    new_meter(app, org, "chatbot_sessions")
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "soft")])}
    seed_catalog(app, org, plans=plans, add_ons=False)
    pack(app, org, "sessions_5000_premium_bundle", "chatbot_sessions", 5000, 1_234_500)
    account = new_account(app, org, "JPY", TZ, "Kato Contact Center Holdings KK")
    card(app, org, account)
    sub_id = _subscribe(app, org, account, "basic", 1)
    bought = buy(app, org, sub_id, "sessions_5000_premium_bundle", 3)
    assert bought.invoice is not None
    create_operator(app.uow(), app.clock, org, EMAIL, PASSWORD)
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
    try:
        answer = page.goto(f"{url}/console/payments/packs?pack=sessions_5000_premium_bundle")
        assert answer is not None and answer.status == 200
        assert page.locator(f"#pack-{bought.purchase.id}").count() == 1
        page.evaluate(OPEN_EVERYTHING)
        problems = [f"{size}: {p}" for p in layout_problems(page)]
        if AXE.exists():
            problems += [
                f"{size}: axe {v['impact']} {v['rule']} at {v['target']}: {v['help']}"
                for v in axe_violations(page)
            ]
    finally:
        context.close()
    assert problems == []
