"""What the portal payment screen tests share: a JPY customer of Tokyo with one open invoice
(INV-000001: Chat Team x 2 = 5,600 + 560 tax = 6,160), signed in to the portal; cards added
through the portal's own form; what "nothing changed" counts; a scan of every table for a
card number."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Table, func, select

from plansmith.adapters.db import tables as t
from plansmith.application.billing.run import run_billing
from plansmith.application.payments.top_ups import balance
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.entrypoints.webui import i18n
from tests.conftest import Tenant
from tests.integration.invoice_pages import (
    NO_GRACE,
    catalog,
    csrf,
    enter_portal,
    invoices_of,
    open_customer,
)

SUCCESS = "4242424242424242"
SUCCESS_TYPED = "4242 4242 4242 4242"
DECLINE = "4000000000009995"  # insufficient funds
DECLINE_TYPED = "4000 0000 0000 9995"
MASTERCARD = "5555555555554444"  # not named on the page: a scan for it finds what leaked
MASTERCARD_TYPED = "5555 5555 5555 4444"


@dataclass(frozen=True)
class Customer:
    account: Account
    invoice: Invoice  # INV-000001, open, 6,160 JPY


def billed_customer(container: Plansmith, tenant: Tenant, name: str = "Acme Chat") -> Customer:
    org = tenant.organization_id
    if name == "Acme Chat":
        catalog(container, org)
    account = open_customer(container, org, name)
    subscribe(
        container.uow(), container.clock, org, SubscribeInput(account.id, "chat-team", "month", 2)
    )
    run_billing(container.uow(), container.clock, org, grace=NO_GRACE)
    (invoice,) = invoices_of(container, org, account)
    assert (invoice.status.value, invoice.totals.amount_due) == ("open", 6160)
    return Customer(account, invoice)


def signed_in(client: TestClient, container: Plansmith, account: Account) -> None:
    enter_portal(client, container, account)
    client.cookies.set(i18n.COOKIE, "en")  # these tests read the English labels


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> Response:
    """Post ``data`` to ``action`` with the CSRF token of ``page``."""
    token = csrf(client.get(page))
    response: Response = client.post(
        action, data={"csrf_token": token, **data}, follow_redirects=False
    )
    return response


def add_card(
    client: TestClient, number: str = SUCCESS_TYPED, month: str = "12", year: str = "2030"
) -> Response:
    return post_form(
        client,
        "/portal/payment-methods",
        "/portal/payment-methods",
        {"number": number, "exp_month": month, "exp_year": year, "cvc": "123"},
    )


def error_beside(page: Response, element_id: str) -> str:
    match = re.search(rf'id="{element_id}-error">([^<]*)<', page.text)
    assert match, f"no error shown beside {element_id}"
    return match.group(1)


def count(container: Plansmith, table: Table) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def state(container: Plansmith, org: str, account: Account) -> tuple[int, int, int, int]:
    """(balance, cards kept, payments, ledger transactions): what a refusal must not change."""
    _, held = balance(container.uow(), org, account.id)
    cards = count(container, t.payment_methods)
    return held, cards, count(container, t.payments), count(container, t.ledger_transactions)


def rows_holding(container: Plansmith, needles: Sequence[str]) -> list[str]:
    """Every table and row whose text holds any of ``needles`` (a card number, as typed or
    as digits)."""
    found = []
    with container.engine.connect() as connection:
        for table in t.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                text = " ".join(str(value) for value in row)
                if any(needle in text for needle in needles):
                    found.append(f"{table.name}: {text[:80]}")
    return found
