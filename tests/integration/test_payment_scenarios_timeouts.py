"""Payment scenarios on SQLite and PostgreSQL under a sandbox's test clock, with the real
sandbox gateway: a timeout that really captured, resolved at the next collection with one
capture; a timeout that really failed, counted as the first failure; a card fixed during
dunning, the invoice retried at once. Basic is 3,100 USD a month (flat, no tax)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.application.payments import methods
from plansmith.bootstrap import Plansmith
from tests.integration.payment_scenarios_support import (
    DAY,
    A,
    advance,
    attempts,
    balance,
    captures,
    collection,
    customer,
    events,
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
RESOLVE = timedelta(minutes=15)  # an unknown outcome is asked again this much later
BASIC = {"basic": monthly({"USD": 3100})}


def test_a_timeout_that_captured_is_resolved_at_the_next_collection_and_paid_once(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_timeout_succeeded")
    sub_id = subscribed(container, org, acct, "basic")

    advance(container, org, T0)
    (first,) = invoices(container, org)
    assert attempts(container, first.id) == [("payment", "unknown", 3100, None, T0)]
    assert head(invoices(container, org)[0]) == ("INV-000001", "open", 3100, 0, 3100)
    assert collection(container, first.id) == ("scheduled", 0, T0 + RESOLVE)
    assert sub_status(container, org, sub_id) == "active"  # not known to have failed

    advance(container, org, T0 + DAY)  # stops at T0 + 15 min and asks again, same key

    assert attempts(container, first.id) == [("payment", "succeeded", 3100, None, T0)]
    assert [head(i) for i in invoices(container, org)] == [("INV-000001", "paid", 3100, 0, 0)]
    assert collection(container, first.id) == ("paid", 0, None)
    (capture,) = captures(container)  # one capture at the gateway
    assert capture[1:] == ("succeeded", 3100, "USD")
    assert len(events(container, org, "invoice.paid")) == 1
    assert len(events(container, org, "payment.succeeded")) == 1
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE], books[A.REVENUE]) == (3100, 0, -3100)
    assert balance(container, acct, "USD") == 0
    assert sub_status(container, org, sub_id) == "active"


def test_a_timeout_that_failed_counts_as_the_first_failure_and_retries_follow_from_it(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_timeout_failed")
    sub_id = subscribed(container, org, acct, "basic")

    advance(container, org, T0)
    (first,) = invoices(container, org)
    assert attempts(container, first.id) == [("payment", "unknown", 3100, None, T0)]
    assert sub_status(container, org, sub_id) == "active"

    advance(container, org, T0 + RESOLVE)  # resolved: it failed, at T0

    failed = ("payment", "failed", 3100, "processing_error")
    assert attempts(container, first.id) == [(*failed, T0)]
    assert collection(container, first.id) == ("scheduled", 1, T0 + DAY)  # day 1 from T0
    assert sub_status(container, org, sub_id) == "past_due"

    advance(container, org, T0 + 2 * DAY)  # the retry at day 1 times out and fails again

    assert attempts(container, first.id) == [(*failed, T0), (*failed, T0 + DAY)]
    assert collection(container, first.id) == ("scheduled", 2, T0 + 3 * DAY)
    assert [o for _, o, _, _ in captures(container)] == ["failed", "failed"]
    assert head(invoices(container, org)[0]) == ("INV-000001", "open", 3100, 0, 3100)
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE]) == (0, 3100)


def test_a_card_fixed_during_dunning_pays_the_invoice_at_once(container: Plansmith) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_insufficient_funds")
    sub_id = subscribed(container, org, acct, "basic")
    advance(container, org, T0)
    (first,) = invoices(container, org)
    assert sub_status(container, org, sub_id) == "past_due"
    fixed_at = T0 + timedelta(hours=2)
    advance(container, org, fixed_at)  # nothing due before the retry at day 1

    added = methods.add_card(
        container.uow(),
        gateway(container, org),
        org_clock(container, org),
        org,
        acct,
        source="tok_sandbox_success",
    )

    assert added.method.is_default
    assert [(r.invoice.id, r.invoice.status.value) for r in added.retried] == [(first.id, "paid")]
    assert attempts(container, first.id) == [
        ("payment", "failed", 3100, "insufficient_funds", T0),
        ("payment", "succeeded", 3100, None, fixed_at),
    ]
    assert [head(i) for i in invoices(container, org)] == [("INV-000001", "paid", 3100, 0, 0)]
    assert sub_status(container, org, sub_id) == "active"
    assert collection(container, first.id) == ("paid", 1, None)
    advance(container, org, T0 + 2 * DAY)  # the retry at day 1 has nothing left to do
    assert len(attempts(container, first.id)) == 2
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE]) == (3100, 0)
