"""Invoices in the portal (seed 004), over HTTP: the Invoices screen with the future invoice
(period, status "Upcoming", cut-off date, lines, total so far) and the past invoices (date,
number, amount, payment status), Review Invoice and Download PDF. The customer and the
figures are described in tests/integration/invoice_pages.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from fastapi.testclient import TestClient

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.invoicing.taxes_and_coupons import (
    CouponInput,
    create_coupon,
    redeem_coupon,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.entrypoints.webui.i18n import translate
from tests.conftest import Tenant
from tests.integration.invoice_pages import (
    NO_GRACE,
    TO,
    billed_customer,
    catalog,
    enter_portal,
    invoices_of,
    open_customer,
    pdf_text,
    text_of,
)

# -- the portal ---------------------------------------------------------------------------
J = partial(translate, "ja")  # the customer's language: labels of its invoices
# Its lines, their facts in its words too (the rules write them in English: invoice_pages).
DAYS = J("%(days)s of %(period_days)s") % {"days": 18, "period_days": 28}
LINE_1 = f"Chat Team × 2 ({DAYS})"
LINE_2 = f"Chat Business × 2 ({DAYS})"
LINE_3 = f"Chat Business × 2, {J('Monthly')}"
LINE_FEB = f"Chat Team × 2, {J('Monthly')} 2026/02/01 {TO} 2026/02/28"


def test_invoices_screen_shows_the_future_invoice_and_the_past_ones(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    enter_portal(client, container, billed.account)

    page = client.get("/portal/invoices")

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = text_of(page)
    future = text[text.index(J("Future invoice")) : text.index(J("Past invoices"))]
    # The document speaks the account's language (ja_JP): its labels come from the catalog.
    assert f"{J('Billing period')} 2026/04/01 {TO} 2026/04/30" in future
    assert f"{J('Status')} {J('Upcoming')}" in future
    assert f"{J('Cut-off date')} 2026/04/01" in future
    # 11,600 + 10 % tax 1,160 = 12,760
    assert f"{LINE_3} 2026/04/01 {TO} 2026/04/30 2 ￥5,800 ￥11,600 ￥1,160 ￥12,760" in future
    assert f"{J('Total on the cut-off date')} ￥12,760" in future
    past = text[text.index(J("Past invoices")) :]
    # Newest first: the date each was issued (in Tokyo), its number, amount and status.
    assert (
        f"2026/03/03 INV-000002 ￥17,003 {J('Unpaid')} "
        f"{J('Due %(date)s') % {'date': '2026/03/03'}} "
        f"{J('Pay now')} INV-000002 · {J('Review Invoice')} INV-000002 · "
        f"{J('Download PDF')} {J('of invoice %(number)s') % {'number': 'INV-000002'}} "
        f"2026/02/01 INV-000001 ￥6,160 {J('Unpaid')} "
        f"{J('Due %(date)s') % {'date': '2026/02/01'}} "
        f"{J('Pay now')} INV-000001 · {J('Review Invoice')} INV-000001 · "
        f"{J('Download PDF')} {J('of invoice %(number)s') % {'number': 'INV-000001'}}"
    ) in past
    assert f'href="/portal/invoices/{billed.second.id}"' in page.text
    assert f'href="/portal/invoices/{billed.second.id}.pdf"' in page.text
    assert f'aria-current="page">{J("Invoices")}</a>' in page.text
    assert 'href="/portal/plans"' in page.text  # the Plans link stays in the nav


def test_review_page_shows_seller_buyer_number_lines_with_periods_taxes_and_totals(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    enter_portal(client, container, billed.account)

    page = client.get(f"/portal/invoices/{billed.second.id}")

    assert page.status_code == 200
    text = text_of(page)
    unpaid = J("Unpaid")
    assert f"{J('Invoice %(number)s') % {'number': 'INV-000002'}} {unpaid}" in text
    assert f"{J('From')} Acme Operator" in text
    # The country by its name in the account's locale (ja_JP), not its code.
    buyer = "株式会社アクメ 1-2-3 Shibuya 150-0002 Tokyo Tokyo 日本 billing@acme.example"
    assert f"{J('Bill to')} {buyer}" in text
    assert f"{J('Invoice number')} INV-000002 {J('Issue date')} 2026/03/03" in text
    # the span its lines bill: from the Feb 11 change to the end of March
    assert f"{J('Billing period')} 2026/02/11 {TO} 2026/03/31 {J('Status')} {unpaid}" in text
    header = " ".join(J(c) for c in ("Description", "Period", "Qty", "Unit price", "Amount"))
    assert f"{header} {J('Tax')} {J('Total')}" in text
    assert f"{LINE_1} 2026/02/11 {TO} 2026/02/28 2 ￥2,800 -￥3,600 -￥360 -￥3,960" in text
    assert f"{LINE_2} 2026/02/11 {TO} 2026/02/28 2 ￥5,800 ￥7,457 ￥746 ￥8,203" in text
    assert f"{LINE_3} 2026/03/01 {TO} 2026/03/31 2 ￥5,800 ￥11,600 ￥1,160 ￥12,760" in text
    # -3,600 + 7,457 + 11,600 = 15,457 taxed; -360 + 746 + 1,160 = 1,546 tax
    added = J("%(rate)s (added)") % {"rate": "10%"}
    assert f"Consumption tax {added} ￥15,457 ￥1,546" in text
    assert (
        f"{J('Subtotal')} ￥15,457 {J('Tax')} ￥1,546 {J('Total')} ￥17,003 "
        f"{J('Amount due')} ￥17,003"
    ) in text


def test_review_page_and_pdf_show_a_coupon_as_a_discount_column_and_row(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    uow, clock = container.uow, container.clock
    catalog(container, org)
    account = open_customer(container, org)
    seats = SubscribeInput(account.id, "chat-team", "month", 2)
    sub = subscribe(uow(), clock, org, seats).view.subscription
    create_coupon(uow(), clock, org, CouponInput("welcome15", "Welcome 15 %", "percent", "15"))
    redeem_coupon(uow(), clock, org, sub.id, "welcome15")
    run_billing(uow(), clock, org, grace=NO_GRACE)
    (invoice,) = invoices_of(container, org, account)
    enter_portal(client, container, account)

    page = text_of(client.get(f"/portal/invoices/{invoice.id}"))
    pdf = pdf_text(client.get(f"/portal/invoices/{invoice.id}.pdf").content)

    # 5,600 x 15 % = 840 off; 4,760 x 10 % = 476 tax; 4,760 + 476 = 5,236
    columns = ("Description", "Period", "Qty", "Unit price", "Amount", "Discount", "Tax", "Total")
    assert " ".join(J(c) for c in columns) in page
    assert f"{LINE_FEB} 2 ￥2,800 ￥5,600 -￥840 ￥476 ￥5,236" in page
    assert (
        f"{J('Subtotal')} ￥5,600 {J('Discount')} -￥840 {J('Tax')} ￥476 {J('Total')} ￥5,236 "
        f"{J('Amount due')} ￥5,236"
    ) in page
    assert f"{J('Discount')} -￥840 {J('Tax')} ￥476 {J('Total')} ￥5,236" in pdf


def test_pdf_is_the_same_invoice_as_an_attachment(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    enter_portal(client, container, billed.account)

    pdf = client.get(f"/portal/invoices/{billed.second.id}.pdf")

    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="INV-000002.pdf"'
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    title = J("Invoice %(number)s") % {"number": "INV-000002"}
    for expected in (title, "Acme Operator", LINE_1, LINE_2, LINE_3):
        assert expected in text
    assert f"{J('Amount due')} ￥17,003" in text
    assert f"{J('Bill to')} 株式会社アクメ 1-2-3 Shibuya" in text  # with the CJK fallback font


def test_pdf_draws_the_arabic_currency_sign_and_writes_the_iso_code_where_no_font_has_one(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    """Kuwaiti dinars in ar_KW: the page and the PDF (with its Arabic font) show the Arabic
    sign. Georgian lari: no bundled font has "₾", so the PDF writes "GEL"."""
    org = tenant.organization_id
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    terms = {"base_prices": {"KWD": 1500, "GEL": 2500}}  # 1.500 KWD, 25.00 GEL a seat
    create_plan(uow(), clock, org, PlanInput("chat-team", "Chat Team", "chat", 1, terms, [], True))
    gulf = AccountInput("Gulf Chat", "billing@gulf.example", "KWD", "Asia/Kuwait", locale="ar_KW")
    tbilisi = AccountInput("Kartli Chat", "billing@kartli.example", "GEL", "Asia/Tbilisi", "ka_GE")
    shown = {}
    for data in (gulf, tbilisi):
        account = open_account(uow(), clock, org, data)
        subscribe(uow(), clock, org, SubscribeInput(account.id, "chat-team", "month", 2))
        run_billing(uow(), clock, org, grace=NO_GRACE)
        (invoice,) = invoices_of(container, org, account)
        client.cookies.clear()
        enter_portal(client, container, account)
        page = text_of(client.get(f"/portal/invoices/{invoice.id}"))
        pdf = pdf_text(client.get(f"/portal/invoices/{invoice.id}.pdf").content)
        shown[data.currency] = (page, pdf)

    page, pdf = shown["KWD"]
    assert f"{translate('ar', 'Amount due')} \u200f3.000 د.ك." in page  # 1.500 x 2, RTL
    # Drawn right to left; the text read back from the PDF comes in the order it is drawn.
    assert "ك.د 3.000" in pdf and "KWD" not in pdf
    assert "Chat Team × 2" in pdf and "month" not in pdf  # the cycle in Arabic
    page, pdf = shown["GEL"]
    assert "50,00 ₾" in page
    assert "Amount due 50,00 GEL" in pdf  # Georgian is not a shipped language: English labels
    assert "Chat Team × 2, month" in pdf


def test_another_accounts_invoice_is_not_found(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    org = tenant.organization_id
    other = open_customer(container, org, "Globex Chat")
    subscribe(container.uow(), container.clock, org, SubscribeInput(other.id, "chat-team"))
    run_billing(container.uow(), container.clock, org, grace=NO_GRACE)
    (theirs,) = invoices_of(container, org, other)
    enter_portal(client, container, billed.account)

    review = client.get(f"/portal/invoices/{theirs.id}")
    pdf = client.get(f"/portal/invoices/{theirs.id}.pdf")
    listed = client.get("/portal/invoices")

    assert review.status_code == 404 and pdf.status_code == 404
    assert J("Not found") in text_of(review)  # in the account's language (ja_JP)
    assert pdf.headers["content-type"].startswith("text/html")
    assert theirs.id not in listed.text and "INV-000003" not in listed.text


def test_drafts_are_not_shown_to_the_customer(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    org = tenant.organization_id
    support = SubscribeInput(billed.account.id, "support-basic")
    subscribe(container.uow(), container.clock, org, support)
    run_billing(container.uow(), container.clock, org, grace=timedelta(hours=1))
    (draft,) = [i for i in invoices_of(container, org, billed.account) if i.number is None]
    enter_portal(client, container, billed.account)

    listed = client.get("/portal/invoices")
    review = client.get(f"/portal/invoices/{draft.id}")
    pdf = client.get(f"/portal/invoices/{draft.id}.pdf")

    assert draft.status is InvoiceStatus.DRAFT
    assert draft.id not in listed.text
    assert review.status_code == 404 and pdf.status_code == 404


def test_future_invoice_before_the_first_run_is_the_one_the_run_makes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    account = open_customer(container, org)
    seats = SubscribeInput(account.id, "chat-team", "month", 2)
    subscribe(container.uow(), container.clock, org, seats)
    enter_portal(client, container, account)

    text = text_of(client.get("/portal/invoices"))
    future = text[text.index(J("Future invoice")) : text.index(J("Past invoices"))]
    run_billing(container.uow(), container.clock, org, grace=NO_GRACE)
    (made,) = invoices_of(container, org, account)

    # The run bills February alone, at once: 5,600 + 560 tax = 6,160; the screen said so,
    # cut off today (Feb 1 in Tokyo) rather than with March at the next period end.
    assert [(line.period_start, line.total) for line in made.lines] == [(date(2026, 2, 1), 6160)]
    assert f"{J('Billing period')} 2026/02/01 {TO} 2026/02/28" in future
    assert f"{J('Cut-off date')} 2026/02/01" in future
    assert f"{J('Total on the cut-off date')} ￥6,160" in future
