"""Payment scenarios on SQLite and PostgreSQL in currencies of 0 and 3 decimals, end to end
with the real sandbox gateway under a sandbox's test clock: a top-up, an invoice taking it
first and its card paying the rest, a partial refund split between the card and the balance.
Amounts are minor units: JPY has none (¥1,490 is 1490), KWD has 3 (12.345 KWD is 12345)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plansmith.application.payments import refunds, top_ups
from plansmith.bootstrap import Plansmith
from tests.integration.payment_scenarios_support import (
    DAY,
    A,
    account_payments,
    advance,
    attempts,
    balance,
    captures,
    customer,
    gateway,
    head,
    invoices,
    ledger,
    monthly,
    org_clock,
    sandbox_at,
    subscribed,
)

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("currency", "tz", "price", "top_up", "refund"),
    [
        ("JPY", "Asia/Tokyo", 1490, 500, 1000),  # ¥1,490; ¥500 up front; ¥1,000 back
        ("KWD", "Asia/Kuwait", 12345, 2000, 11000),  # 12.345 KWD; 2.000 up; 11.000 back
    ],
)
def test_a_top_up_an_invoice_and_a_refund_in_whole_minor_units(
    container: Plansmith, currency: str, tz: str, price: int, top_up: int, refund: int
) -> None:
    org = sandbox_at(container, T0, {"basic": monthly({currency: price})})
    acct = customer(container, org, currency, tz, "tok_sandbox_success")
    subscribed(container, org, acct, "basic")
    clock = org_clock(container, org)
    top_ups.top_up(container.uow(), gateway(container, org), clock, org, acct, top_up, currency)
    card_part = price - top_up

    advance(container, org, T0)
    (first,) = invoices(container, org)
    assert (first.currency, head(first)) == (currency, ("INV-000001", "paid", price, top_up, 0))
    assert attempts(container, first.id) == [("payment", "succeeded", card_part, None, T0)]
    assert balance(container, acct, currency) == 0
    advance(container, org, T0 + DAY)

    back = refunds.refund_invoice(
        container.uow(),
        gateway(container, org),
        org_clock(container, org),
        org,
        first.id,
        refund,
        "Outage",
    )

    # The card gets back what it paid; the rest of the refund goes onto the balance.
    assert (back.status.value, back.amount, back.to_balance, back.currency) == (
        "succeeded",
        card_part,
        refund - card_part,
        currency,
    )
    assert account_payments(container, acct) == [
        ("top_up", "succeeded", top_up, 0, None, T0),
        ("payment", "succeeded", card_part, 0, first.id, T0),
        ("refund", "succeeded", card_part, refund - card_part, first.id, T0 + DAY),
    ]
    assert [(o, a, c) for _, o, a, c in captures(container)] == [
        ("succeeded", top_up, currency),
        ("succeeded", card_part, currency),
    ]
    assert [(o, a, c) for _, o, a, c in captures(container, "refund")] == [
        ("succeeded", card_part, currency)
    ]
    assert balance(container, acct, currency) == refund - card_part
    books = ledger(container, acct, currency)
    assert (books[A.CASH], books[A.CUSTOMER_CREDIT]) == (top_up, -(refund - card_part))
    assert (books[A.REVENUE], books[A.RECEIVABLE]) == (-(price - refund), 0)
