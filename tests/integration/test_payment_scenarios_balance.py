"""Payment scenarios on SQLite and PostgreSQL under a sandbox's test clock, with the real
sandbox gateway: a top-up used by two invoices, the balance taken first; a cancellation's
credit paying the account's open invoice; a partial refund of an invoice paid half from the
balance and half by card. The balance is the ledger's customer_credit, sign turned."""

from __future__ import annotations

from datetime import UTC, datetime

from plansmith.application.payments import refunds, top_ups
from plansmith.application.subscriptions.actions import cancel_subscription
from plansmith.bootstrap import Plansmith
from tests.integration.payment_scenarios_support import (
    DAY,
    A,
    account_payments,
    advance,
    attempts,
    balance,
    captures,
    collection,
    customer,
    gateway,
    head,
    invoices,
    ledger,
    monthly,
    org_clock,
    sandbox_at,
    sub_status,
    subscribed,
)

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)  # the renewal: the local midnight of May 1
BASIC = {"basic": monthly({"USD": 3100})}


def test_a_top_up_is_taken_first_by_the_next_two_invoices(container: Plansmith) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_success")
    subscribed(container, org, acct, "basic")
    top = top_ups.top_up(
        container.uow(), gateway(container, org), org_clock(container, org), org, acct, 5000, "USD"
    )
    assert (top.status.value, balance(container, acct, "USD")) == ("succeeded", 5000)

    advance(container, org, T0)  # April's 3,100 taken from the balance: 1,900 left
    (april,) = invoices(container, org)
    assert head(april) == ("INV-000001", "paid", 3100, 3100, 0)
    assert attempts(container, april.id) == []  # nothing charged to the card
    assert balance(container, acct, "USD") == 1900

    advance(container, org, MAY_1 + DAY)  # May's takes the 1,900; the card pays 1,200

    may = invoices(container, org)[1]
    assert head(may) == ("INV-000002", "paid", 3100, 1900, 0)
    assert attempts(container, may.id) == [("payment", "succeeded", 1200, None, MAY_1)]
    assert account_payments(container, acct) == [
        ("top_up", "succeeded", 5000, 0, None, T0),
        ("payment", "succeeded", 1200, 0, may.id, MAY_1),
    ]
    assert [(o, a) for _, o, a, _ in captures(container)] == [
        ("succeeded", 5000),
        ("succeeded", 1200),
    ]
    assert balance(container, acct, "USD") == 0
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.CUSTOMER_CREDIT], books[A.RECEIVABLE]) == (6200, 0, 0)
    assert books[A.REVENUE] == -6200


PRO = {"pro": monthly({"USD": 50000})}


def test_a_cancellation_credit_pays_the_open_invoice_of_the_same_account(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, PRO)
    acct = customer(container, org, "USD", "UTC", None)  # no card: April's invoice stays open
    sub_id = subscribed(container, org, acct, "pro")
    advance(container, org, T0)
    (april,) = invoices(container, org)
    assert head(april) == ("INV-000001", "open", 50000, 0, 50000)
    canceled_at = T0 + 5 * DAY  # Apr 6: 25 of April's 30 days unused
    advance(container, org, canceled_at)

    cancel_subscription(container.uow(), org_clock(container, org), org, sub_id, "now")
    advance(container, org, canceled_at)  # the stop invoice is billed, its credit spread

    # 500.00 x 25/30 = 416.67 credited; the open invoice owes 500.00 - 416.67 = 83.33.
    assert [head(i) for i in invoices(container, org)] == [
        ("INV-000001", "open", 50000, 41667, 8333),
        ("INV-000002", "paid", -41667, 0, 0),
    ]
    assert balance(container, acct, "USD") == 0
    assert sub_status(container, org, sub_id) == "canceled"
    books = ledger(container, acct, "USD")
    assert (books[A.RECEIVABLE], books[A.CUSTOMER_CREDIT], books[A.CASH]) == (8333, 0, 0)
    assert books[A.REVENUE] == -8333
    assert attempts(container, april.id) == []
    assert collection(container, april.id) is None


def test_a_partial_refund_goes_to_the_card_up_to_its_part_and_the_rest_to_the_balance(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_success")
    subscribed(container, org, acct, "basic")
    clock = org_clock(container, org)
    top_ups.top_up(container.uow(), gateway(container, org), clock, org, acct, 1550, "USD")
    advance(container, org, T0)  # 1,550 from the balance, 1,550 by card
    (april,) = invoices(container, org)
    assert head(april) == ("INV-000001", "paid", 3100, 1550, 0)
    assert attempts(container, april.id) == [("payment", "succeeded", 1550, None, T0)]
    refunded_at = T0 + 2 * DAY
    advance(container, org, refunded_at)

    refund = refunds.refund_invoice(
        container.uow(),
        gateway(container, org),
        org_clock(container, org),
        org,
        april.id,
        2000,
        "Outage in April",
    )

    # The card paid 1,550: it gets 1,550 back; the other 450 go onto the balance.
    assert (refund.kind.value, refund.status.value, refund.amount, refund.to_balance) == (
        "refund",
        "succeeded",
        1550,
        450,
    )
    assert attempts(container, april.id) == [
        ("payment", "succeeded", 1550, None, T0),
        ("refund", "succeeded", 1550, None, refunded_at),
    ]
    assert [(o, a) for _, o, a, _ in captures(container, "refund")] == [("succeeded", 1550)]
    assert balance(container, acct, "USD") == 450
    books = ledger(container, acct, "USD")
    # Cash: 1,550 topped up + 1,550 charged - 1,550 refunded. Revenue: 3,100 - 2,000.
    assert (books[A.CASH], books[A.CUSTOMER_CREDIT], books[A.REVENUE]) == (1550, -450, -1100)
    assert books[A.RECEIVABLE] == 0
    assert head(invoices(container, org)[0]) == ("INV-000001", "paid", 3100, 1550, 0)


def test_a_timed_out_top_up_is_asked_again_and_credited_once_if_it_captured(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    captured = customer(container, org, "USD", "UTC", "tok_sandbox_timeout_succeeded", "A Ltd")
    not_captured = customer(container, org, "USD", "UTC", "tok_sandbox_timeout_failed", "B Ltd")
    clock = org_clock(container, org)
    for acct in (captured, not_captured):
        up = top_ups.top_up(container.uow(), gateway(container, org), clock, org, acct, 5000, "USD")
        assert (up.status.value, balance(container, acct, "USD")) == ("unknown", 0)

    advance(container, org, T0 + DAY)  # the clock's collection asks the gateway again

    assert account_payments(container, captured) == [("top_up", "succeeded", 5000, 0, None, T0)]
    assert account_payments(container, not_captured) == [("top_up", "failed", 5000, 0, None, T0)]
    assert [(o, a) for _, o, a, _ in captures(container)] == [("succeeded", 5000), ("failed", 5000)]
    assert (balance(container, captured, "USD"), balance(container, not_captured, "USD")) == (
        5000,
        0,
    )
    books = ledger(container, captured, "USD")
    assert (books[A.CASH], books[A.CUSTOMER_CREDIT]) == (5000, -5000)
    assert ledger(container, not_captured, "USD")[A.CASH] == 0
    advance(container, org, T0 + 2 * DAY)  # settled: asked no more, credited no more
    assert balance(container, captured, "USD") == 5000
    assert len(captures(container)) == 2
