"""Acceptance (issue 16): a customer sees the notice of a coming price change on the Plans tab,
with its date and the new price, and reads the e-mail that was sent on the Notices page; on a
phone (360 px) as on a laptop, in Chromium against the real server.

The account (UTC, USD, en_US) holds Team ($19.00 a month) from Jan 31, 2026; its first period
is billed at once. On Feb 10 the operator raises Team to $25.00 for existing customers at their
renewal (seed 003): the notice is sent at once (the relay, to .eml files here), and the move
takes effect on Feb 28, the renewal.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from plansmith.adapters.mail.mailers import EmlFolderMailer
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan, edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.application.organizations.organizations import (
    create_organization,
    create_portal_link,
)
from plansmith.application.subscriptions.lifecycle import OPERATOR
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.accounts.account import Account
from plansmith.entrypoints.webui.mail import composer
from tests.e2e.conftest import TIMEOUT_MS, LiveApp

pytestmark = pytest.mark.browser

RAISED = [{"currency": "USD", "cycle": "month", "amount": 2500}]


def _told_customer(app: LiveApp, mail: Path) -> Account:
    uow, clock = app.container.uow, app.clock
    org = create_organization(uow(), clock, "Acme Operator").id
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    terms = {"base_prices": {"USD": 1900}}
    plan = create_plan(uow(), clock, org, PlanInput("team", "Team", "chat", 1, terms, [], True))
    data = AccountInput("Globex Chat", "billing@globex.example", "USD", "UTC", "en_US")
    account = open_account(uow(), clock, org, data)
    subscribe(uow(), clock, org, SubscribeInput(account.id, "team", "month", 1), actor=OPERATOR)
    run_billing(uow(), clock, org, grace=timedelta(0))
    clock.advance(timedelta(days=10))  # Feb 10
    edit_plan(uow(), clock, org, plan.plan.id, terms={"prices": RAISED})
    publish_plan(uow(), clock, org, plan.plan.id, "at_renewal")
    notices = app.container.notices(composer(app.container), EmlFolderMailer(mail))
    app.container.relay([notices]).run_until_idle()
    return account


def _enter(app: LiveApp, page: Page, account: Account) -> None:
    link = create_portal_link(
        app.container.uow(), app.clock, app.container.signer, account.organization_id, account.id
    )
    page.goto(f"{app.url}/portal/enter?token={link.token}")


def _fits(page: Page) -> None:
    width, viewport = page.evaluate("document.documentElement.scrollWidth"), page.viewport_size
    assert viewport is not None and width <= viewport["width"], width


@pytest.mark.parametrize("size", [(360, 740), (1200, 900)], ids=["360px", "laptop"])
def test_a_customer_sees_a_coming_price_change_and_reads_its_notice(
    live_app: LiveApp, browser: Browser, tmp_path: Path, size: tuple[int, int]
) -> None:
    account = _told_customer(live_app, tmp_path / "mail")
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2  # the invoice, the price change
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    _enter(live_app, page, account)

    page.goto(f"{live_app.url}/portal/plans")
    coming = page.locator("#coming-change")
    expect(coming).to_contain_text("the new terms apply from your renewal on Feb 28, 2026")
    expect(coming).to_contain_text("New price: $25.00 per month")
    expect(page.locator("#next-payment")).to_contain_text("Feb 28, 2026")
    _fits(page)

    coming.get_by_role("link", name="Read the notices we sent you").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notices")
    rows = page.locator("table.notices tbody tr")
    expect(rows).to_have_count(2)
    change = page.locator("tr.notice-plan_change_ahead")
    expect(change).to_contain_text("Plan change ahead")
    expect(change).to_contain_text("Feb 10, 2026")
    _fits(page)
    change.get_by_role("link", name="Your plan Team changes on Feb 28, 2026").click()

    text = page.locator("#notice-text")
    expect(text).to_contain_text("We are changing the terms of your plan Team.")
    expect(text).to_contain_text("Price now: $19.00 (Monthly)")
    expect(text).to_contain_text("New price: $25.00 (Monthly)")
    expect(text).to_contain_text("Takes effect: Feb 28, 2026")
    expect(page.locator("#notice")).to_contain_text("billing@globex.example")
    _fits(page)
    context.close()
