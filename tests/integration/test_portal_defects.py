"""Issue 13's portal defects, each reproduced: the plan history loses plans (3), the next invoice
contradicts itself (4), internal words reach customers (6), pay-per-day looks like a fixed plan
(9).

The account is billed in JPY from Tokyo; the catalog is portal_plans_support's. Unless a test
says otherwise the operator subscribes it on 2026-02-01 (local) and the customer acts the same
day, or, through ``_customer``, on Feb 15 (14 of 28 days left).
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog import publishing
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.entrypoints.webui.i18n import translate
from tests.conftest import Tenant
from tests.integration.portal_payment_support import pay_for_change
from tests.integration.portal_plans_support import (
    BUSINESS_X5,
    TO,
    _catalog,
    _customer,
    _enter,
    _expect,
    _held,
    _text,
)


def _same_day_customer(container: Plansmith, tenant: Tenant, plan: str = "chat-team") -> Account:
    """The catalog and a Tokyo account subscribed today (Feb 1): no day held yet."""
    org = tenant.organization_id
    _catalog(container, org)
    data = AccountInput("Acme Chat", "billing@acme.example", "JPY", "Asia/Tokyo", "ja_JP")
    account = open_account(container.uow(), container.clock, org, data)
    subscribe(container.uow(), container.clock, org, SubscribeInput(account.id, plan, "month", 2))
    return account


def _history(page_text: str) -> str:
    return page_text.split("Plan Status From To", 1)[1].split("Language", 1)[0].strip()


# -- 3. the plan history keeps every plan used ---------------------------------------------


def test_a_plan_changed_the_day_it_began_stays_in_the_history(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _same_day_customer(container, tenant)
    csrf = _enter(client, container, account)
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})

    form = {**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(reviewed)}
    pay_for_change(client, container, account, "chat", form)  # an upgrade is paid to confirm
    text = _text(client.get("/portal/plans?family=chat"))

    # Before, Chat Team (held for no whole day) vanished: only Chat Business was listed.
    assert _history(text) == (
        "Chat Business Active 2026/02/01 — Chat Team Replaced 2026/02/01 2026/02/01"
    )


def test_a_plan_canceled_now_the_day_it_began_is_in_the_history_not_no_plans_yet(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _same_day_customer(container, tenant)
    csrf = _enter(client, container, account)
    now = {"when": "now", "csrf_token": csrf}
    asked = client.post("/portal/plans/chat/cancel", data=now)

    client.post("/portal/plans/chat/cancel", data={**now, "expect": _expect(asked)})
    text = _text(client.get("/portal/plans?family=chat"))

    assert "Last plan Chat Team Inactive Ended on 2026/02/01" in text
    assert "No plans yet." not in text
    assert _history(text) == "Chat Team Canceled 2026/02/01 2026/02/01"


# -- 4. one next invoice: the billing run's ---------------------------------------------


def _future_blocks(page_text: str) -> list[str]:
    """Each future invoice block's text, from its plan heading to its total so far."""
    return re.findall(r"(\S[^.]*? Billing period .*?Total on the cut-off date \S+)", page_text)


def test_the_review_shows_the_next_invoice_the_invoices_page_shows_after_confirming(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    form = {**BUSINESS_X5, "csrf_token": csrf}

    reviewed = client.post("/portal/plans/chat/review", data=form)
    paid = {**form, "expect": _expect(reviewed)}
    pay_for_change(client, container, account, "chat", paid)  # an upgrade is paid to confirm
    invoices = _text(client.get("/portal/invoices"))

    promised = _text(reviewed).split("once you confirm. ", 1)[1]
    promised = promised.split(" Continue to payment Back", 1)[0]
    # the first period 5,600 (never invoiced), cut today; the change (-2,800 + 14,500) is
    # invoiced and paid at once, on an invoice of its own
    assert promised.startswith(
        f"Chat Business Billing period 2026/02/01 {TO} 2026/02/28 Status Upcoming "
        "Cut-off date 2026/02/15"
    )
    assert promised.endswith("Subtotal ￥5,600 Total on the cut-off date ￥5,600")
    assert promised in invoices


def test_future_invoices_are_named_by_plan_and_in_cut_off_order(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _catalog(container, org)
    data = AccountInput("Acme Chat", "billing@acme.example", "JPY", "Asia/Tokyo", "ja_JP")
    account = open_account(container.uow(), container.clock, org, data)
    # The older subscription bills later: Support Basic's 14-day trial ends Feb 15; Chat
    # Team's first period, never invoiced, is billed by the next run, today.
    subscribe(container.uow(), clock, org, SubscribeInput(account.id, "support-basic", "month"))
    subscribe(container.uow(), clock, org, SubscribeInput(account.id, "chat-team", "month", 2))
    _enter(client, container, account)

    text = _text(client.get("/portal/invoices"))

    blocks = _future_blocks(text.split("Future invoice", 1)[1])
    assert [block.split(" Billing period")[0].split(". ")[-1] for block in blocks] == [
        "Chat Team",
        "Support Basic",
    ]
    assert "Cut-off date 2026/02/01" in blocks[0] and "Cut-off date 2026/02/15" in blocks[1]


def test_dates_ranges_read_one_way_and_the_trial_ends_on_its_last_day(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)  # Feb 15; the period ends Mar 1 (exclusive)
    csrf = _enter(client, container, account)
    basic = {"plan": "support-basic", "cycle": "month", "quantity": "1", "csrf_token": csrf}

    change = _text(
        client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})
    )
    trial = _text(client.post("/portal/plans/support/review", data=basic))
    reviewed = client.post("/portal/plans/support/review", data=basic)
    client.post("/portal/plans/support/confirm", data={**basic, "expect": _expect(reviewed)})
    support = _text(client.get("/portal/plans?family=support"))

    # A range is its first and last day, as on invoices: never ending on 2026/03/01.
    assert f"2026/02/15 {TO} 2026/02/28 14 of 28" in change
    assert f"{TO} 2026/03/01" not in change
    assert f"Free trial of 14 days, 2026/02/15 {TO} 2026/02/28" in trial
    # the console writes "trial until" the last day too (console/routes.py last_day)
    assert "Free trial until 2026/02/28" in support


# -- 6. the names customers know -------------------------------------------------------


def test_customers_see_the_plan_name_not_the_legacy_version_label(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    plan = next(v.plan for v in cat.list_plans(uow(), org) if v.plan.code == "chat-team")
    cat.edit_plan(uow(), clock, org, plan.id, terms={"base_prices": {"JPY": 3000}})
    published = publishing.publish_plan(uow(), clock, org, plan.id, "never")
    assert published.superseded[0].name == "Chat Team Legacy"  # the operator's label
    csrf = _enter(client, container, account)

    pages = [
        client.get("/portal/plans?family=chat"),
        client.get("/portal/plans/chat/change"),
        client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf}),
        client.post("/portal/plans/chat/cancel", data={"when": "now", "csrf_token": csrf}),
        client.get("/portal/invoices"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "Legacy" not in page.text
    assert "Current plan Chat Team Active" in _text(pages[0])
    assert "You have Chat Team, quantity 2" in _text(pages[1])


def test_a_missing_invoice_gets_a_friendly_page_without_internal_words(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    _enter(client, container, account)

    pages = [
        client.get("/portal/invoices/inv_0123456789abcdef"),
        client.get("/portal/invoices/inv_0123456789abcdef.pdf"),
        client.get("/portal/plans?family=nope"),
    ]

    for page in pages:
        assert page.status_code == 404
        text = _text(page)
        assert "There is nothing here: the page or what it shows does not exist" in text
        assert "inv_" not in text and "no invoice" not in text and "nope" not in text
        assert "Back to your account" in text


def test_the_404_page_speaks_the_chosen_language(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    _enter(client, container, account)
    client.cookies.set("plansmith_lang", "ar")

    page = client.get("/portal/invoices/inv_missing")

    assert page.status_code == 404
    assert '<html lang="ar" dir="rtl">' in page.text


def test_the_404_page_speaks_the_accounts_language_when_none_was_chosen(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)  # ja_JP
    _enter(client, container, account)
    client.cookies.delete("plansmith_lang")

    page = client.get("/portal/invoices/inv_missing", headers={"Accept-Language": "en-US"})

    assert page.status_code == 404
    assert '<html lang="ja" dir="ltr">' in page.text
    assert translate("ja", "Back to your account") in _text(page)
    assert "Back to your account" not in _text(page)


# -- 9. pay per day --------------------------------------------------------------------


def _flex(container: Plansmith, tenant: Tenant) -> Account:
    """Chat Flex: ￥2,800 a seat a month, billed per day used; held × 2 from Feb 1."""
    org = tenant.organization_id
    _catalog(container, org)
    terms = {"base_prices": {"JPY": 2800}, "pay_per_day": True}
    flex = cat.PlanInput("chat-flex", "Chat Flex", "chat", 4, terms, ["portal"], True)
    cat.create_plan(container.uow(), container.clock, org, flex)
    data = AccountInput("Acme Chat", "billing@acme.example", "JPY", "Asia/Tokyo", "ja_JP")
    account = open_account(container.uow(), container.clock, org, data)
    sub = SubscribeInput(account.id, "chat-flex", "month", 2)
    subscribe(container.uow(), container.clock, org, sub)
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=14))
    return account


def test_a_pay_per_day_plan_shows_its_day_price_and_that_days_used_are_billed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _flex(container, tenant)
    csrf = _enter(client, container, account)

    text = _text(client.get("/portal/plans?family=chat"))
    chooser = _text(client.get("/portal/plans/chat/change"))

    assert "Pay per day You pay only for the days the plan is active" in text
    # 5,600 a month of 28 days: 200 a day
    assert (
        "￥2,800 × 2 = ￥5,600 per month, billed only for the days used: ￥200 a day in this "
        "period of 28 days"
    ) in text
    assert "Next payment 2026/03/01 (for the days used)" in text
    assert "Chat Flex Your plan Pay per day" in chooser
    assert "per month, billed per day used" in chooser
    assert csrf


def test_cancelling_a_pay_per_day_plan_promises_no_credit(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _flex(container, tenant)
    csrf = _enter(client, container, account)
    now = {"when": "now", "csrf_token": csrf}

    plans = _text(client.get("/portal/plans?family=chat"))
    asked = client.post("/portal/plans/chat/cancel", data=now)
    done = _text(client.post("/portal/plans/chat/cancel", data={**now, "expect": _expect(asked)}))

    for text in (plans, _text(asked), done):
        assert not re.search(r"credited: ￥|Unused time is credited", text)
    assert "Nothing is credited: a pay-per-day plan bills only the days it was active" in plans
    assert "Chat Flex stops today, 2026/02/15. Nothing is credited" in _text(asked)
    # the 14 days used (5,600 x 14/28), billed by the next invoice
    assert "Total on the cut-off date ￥2,800" in _text(asked)
    assert (
        "Your plan was canceled. The days it was active are billed at the end of the period."
        in done
    )
    (sub,) = _held(container, account)
    assert sub.status.value == "canceled"
