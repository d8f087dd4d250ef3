"""What the invoice page tests share: the catalog, a customer billed in JPY from Tokyo, the
portal and console sign-ins, what a page and a PDF read as text, and the rows that "nothing
changed" compares.

The customer is billed in JPY from Tokyo (ja_JP), with a 10 % consumption tax added on top:
- Jan 31 15:00 UTC = Feb 1 00:00 in Tokyo: Chat Team x 2 (2,800 a seat) monthly; the run bills
  Feb 1 - Mar 1 at once (grace 0): INV-000001 = 5,600 + 560 tax = 6,160.
- Feb 11 (10 days on): upgrade now to Chat Business x 2 (5,800 a seat); 18 of 28 days remain.
- Mar 3 00:00 in Tokyo (30 days after the start): the run renews and bills INV-000002:
  credit 5,600 x 18/28 = -3,600 (tax -360), charge 11,600 x 18/28 = 7,457.14 -> 7,457 (tax
  745.7 -> 746), March 11,600 (tax 1,160): subtotal 15,457, tax 1,546, total 17,003.
- The future invoice: April (Apr 1 - Apr 30), cut at Apr 1 local midnight plus the container's
  60-minute grace: Chat Business x 2 = 11,600 + 1,160 tax = 12,760 so far.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from pypdf import PdfReader
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import (
    AccountInput,
    AddressInput,
    add_invoice_address,
    open_account,
)
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.invoicing.invoices import get_invoice
from plansmith.application.invoicing.taxes_and_coupons import TaxRateInput, create_tax_rate
from plansmith.application.organizations.organizations import create_operator, create_portal_link
from plansmith.application.subscriptions.actions import ChangeInput, change_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from tests.conftest import Tenant

PASSWORD = "correct horse battery"
NO_GRACE = timedelta(0)
TO = "\u2013"  # between the first and last day of a period
LINE_1 = "Unused time on Chat Team × 2 (18 of 28 days)"
LINE_2 = "Remaining time on Chat Business × 2 (18 of 28 days)"
LINE_3 = "Chat Business × 2, month"


@dataclass(frozen=True)
class Billed:
    account: Account
    first: Invoice  # INV-000001, February
    second: Invoice  # INV-000002, the upgrade and March


def catalog(container: Plansmith, org: str) -> None:
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    create_family(uow(), clock, org, FamilyInput("support", "Support plans"))
    for code, name, family, rank, jpy in (
        ("chat-team", "Chat Team", "chat", 1, 2800),
        ("chat-business", "Chat Business", "chat", 2, 5800),
        ("support-basic", "Support Basic", "support", 1, 10000),
    ):
        terms = {"base_prices": {"JPY": jpy}}
        create_plan(uow(), clock, org, PlanInput(code, name, family, rank, terms, ["portal"], True))
    create_tax_rate(uow(), clock, org, TaxRateInput("Consumption tax", "10", False, "JP"))


def open_customer(container: Plansmith, org: str, name: str = "Acme Chat") -> Account:
    data = AccountInput(
        name=name,
        email=f"billing@{name.split()[0].lower()}.example",
        currency="JPY",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
    )
    account = open_account(container.uow(), container.clock, org, data)
    address = AddressInput(
        name="株式会社アクメ" if name == "Acme Chat" else name,
        line1="1-2-3 Shibuya",
        city="Tokyo",
        country="JP",
        region="Tokyo",
        postal_code="150-0002",
    )
    add_invoice_address(container.uow(), container.clock, org, account.id, address)
    return account


def invoices_of(container: Plansmith, org: str, account: Account) -> list[Invoice]:
    with container.uow() as uow:
        found = uow.invoices.invoices(org, account_id=account.id, status=None, after=None, limit=50)
        return list(found)


def billed_customer(container: Plansmith, tenant: Tenant) -> Billed:
    org = tenant.organization_id
    clock = container.clock
    assert isinstance(clock, TestClock)
    catalog(container, org)
    account = open_customer(container, org)
    sub = subscribe(
        container.uow(), clock, org, SubscribeInput(account.id, "chat-team", "month", 2)
    )
    run_billing(container.uow(), clock, org, grace=NO_GRACE)
    clock.advance(timedelta(days=10))
    change = ChangeInput(plan="chat-business", when="now")
    change_subscription(container.uow(), clock, org, sub.view.subscription.id, change)
    clock.advance(timedelta(days=20))
    run_billing(container.uow(), clock, org, grace=NO_GRACE)
    first, second = invoices_of(container, org, account)
    assert (first.number, second.number) == ("INV-000001", "INV-000002")
    assert (first.totals.total, second.totals.total) == (6160, 17003)
    return Billed(account, first, second)


def enter_portal(client: TestClient, container: Plansmith, account: Account) -> None:
    link = create_portal_link(
        container.uow(), container.clock, container.signer, account.organization_id, account.id
    )
    assert client.get(f"/portal/enter?token={link.token}").status_code == 200


def text_of(page: Response) -> str:
    """What a person reads: tags and the inline style out, whitespace collapsed."""
    body = re.sub(r"<(style|script)>.*?</\1>", " ", page.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    # pypdf reads the CJK fallback font's embedded encoding byte by byte and puts a NUL
    # before each of its characters; poppler's pdftotext reads the same file cleanly. Shaped
    # Arabic draws the dots of some letters as glyphs of their own, with no character: pypdf
    # gives their codes as control characters.
    return " ".join(re.sub(r"[\x00-\x08\x0e-\x1f]", "", text).split())


def snapshot(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    """Every invoice, ledger and run row, and the numbering: what "nothing changed" compares."""
    tables = (
        t.invoices,
        t.invoice_lines,
        t.ledger_transactions,
        t.ledger_entries,
        t.document_sequences,
        t.billing_runs,
    )
    with container.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in tables
        ]


def sign_in_console(client: TestClient, container: Plansmith, tenant: Tenant) -> None:
    email = "ops@acme.example"
    create_operator(container.uow(), container.clock, tenant.organization_id, email, PASSWORD)
    signed = client.post(
        "/console/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303


def csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def act(client: TestClient, invoice: Invoice, action: str) -> Response:
    """The action, through Void's and Mark paid's confirmation step (its Confirm carries what
    the step showed)."""
    url = f"/console/invoices/{invoice.id}/{action}"
    token = csrf(client.get(f"/console/invoices/{invoice.id}"))
    data = {"csrf_token": token}
    if action in ("void", "mark-paid"):
        asked = client.post(url, data=data)
        shown = re.search(r'name="expect" value="([^"]*)"', asked.text)
        if shown is not None:  # else the invoice no longer allows it: the action answers
            data = {"csrf_token": csrf(asked), "confirmed": "yes", "expect": shown.group(1)}
    response: Response = client.post(url, data=data, follow_redirects=False)
    return response


def draft_invoice(container: Plansmith, tenant: Tenant) -> Invoice:
    """Chat Team x 2 billed with the grace period: a draft of 5,600 + 560 = 6,160."""
    org = tenant.organization_id
    catalog(container, org)
    account = open_customer(container, org)
    subscribe(
        container.uow(), container.clock, org, SubscribeInput(account.id, "chat-team", "month", 2)
    )
    run_billing(container.uow(), container.clock, org, grace=timedelta(hours=1))
    (draft,) = invoices_of(container, org, account)
    return draft


def status_of(container: Plansmith, tenant: Tenant, invoice: Invoice) -> InvoiceStatus:
    return get_invoice(container.uow(), tenant.organization_id, invoice.id).status
