"""Payment scenarios on SQLite and PostgreSQL under a sandbox's test clock, with the real
sandbox gateway: a card that declines twice then pays; a card that never pays, dunned to the
end; retries of a New York account across the March DST change, at the same local time.

Each advance bills and collects at each instant (application/payments/clock.py) and stops at
each scheduled retry. The default dunning policy: retries 1, 3, 5, 7 days after the first
failure at its local wall time; after the last, the subscription canceled and the invoice
uncollectible. Basic is 3,100 USD a month (flat, no tax)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.integration.payment_scenarios_support import (
    DAY,
    A,
    D,
    advance,
    attempts,
    balance,
    captures,
    collection,
    count,
    customer,
    events,
    head,
    invoices,
    ledger,
    monthly,
    sandbox_at,
    sub_status,
    subscribed,
)
from tests.unit.subscription_builders import local_at

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
BASIC = {"basic": monthly({"USD": 3100})}


def test_a_card_that_declines_twice_pays_on_the_third_try_at_the_same_wall_time(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_declines_2")
    sub_id = subscribed(container, org, acct, "basic")

    advance(container, org, T0)  # billed and charged at once: the first decline
    (first,) = invoices(container, org)
    declined = ("payment", "failed", 3100, "insufficient_funds")
    assert attempts(container, first.id) == [(*declined, T0)]
    assert head(invoices(container, org)[0]) == ("INV-000001", "open", 3100, 0, 3100)
    assert sub_status(container, org, sub_id) == "past_due"
    assert collection(container, first.id) == ("scheduled", 1, T0 + DAY)

    advance(container, org, T0 + 2 * DAY)  # the retry at day 1 is declined too
    assert attempts(container, first.id) == [(*declined, T0), (*declined, T0 + DAY)]
    assert sub_status(container, org, sub_id) == "past_due"
    assert collection(container, first.id) == ("scheduled", 2, T0 + 3 * DAY)

    advance(container, org, T0 + 4 * DAY)  # day 3: paid

    assert attempts(container, first.id) == [
        (*declined, T0),
        (*declined, T0 + DAY),
        ("payment", "succeeded", 3100, None, T0 + 3 * DAY),
    ]
    assert [head(i) for i in invoices(container, org)] == [("INV-000001", "paid", 3100, 0, 0)]
    assert sub_status(container, org, sub_id) == "active"
    assert collection(container, first.id) == ("paid", 2, None)
    assert [(o, a) for _, o, a, _ in captures(container)] == [
        ("failed", 3100),
        ("failed", 3100),
        ("succeeded", 3100),
    ]
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE], books[A.REVENUE]) == (3100, 0, -3100)
    assert balance(container, acct, "USD") == 0
    assert len(events(container, org, "subscription.past_due")) == 1
    assert len(events(container, org, "subscription.payment_recovered")) == 1
    assert len(events(container, org, "payment.failed")) == 2
    assert len(events(container, org, "payment.succeeded")) == 1


def test_every_retry_failing_cancels_for_nonpayment_and_writes_the_invoice_off(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    acct = customer(container, org, "USD", "UTC", "tok_sandbox_insufficient_funds")
    sub_id = subscribed(container, org, acct, "basic")

    advance(container, org, T0 + 6 * DAY)  # day 0, 1, 3, 5 declined
    (first,) = invoices(container, org)
    assert sub_status(container, org, sub_id) == "past_due"
    assert collection(container, first.id) == ("scheduled", 4, T0 + 7 * DAY)
    items = count(container, t.subscription_items)
    advance(container, org, T0 + 8 * DAY)  # day 7, the last, declined

    declined = ("payment", "failed", 3100, "insufficient_funds")
    assert attempts(container, first.id) == [(*declined, T0 + n * DAY) for n in (0, 1, 3, 5, 7)]
    assert [head(i) for i in invoices(container, org)] == [
        ("INV-000001", "uncollectible", 3100, 0, 3100)
    ]
    assert sub_status(container, org, sub_id) == "canceled"
    assert collection(container, first.id) == ("exhausted", 5, None)
    canceled = events(container, org, "subscription.canceled")
    assert [(e["data"]["cause"], e["data"]["to_status"]) for e in canceled] == [
        ("nonpayment", "canceled")
    ]
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE], books[A.REVENUE]) == (0, 3100, -3100)
    assert balance(container, acct, "USD") == 0

    # No credit for the rest of the period, and nothing more billed or charged: a month on.
    assert count(container, t.subscription_items) == items
    advance(container, org, T0 + 40 * DAY)
    assert [head(i) for i in invoices(container, org)] == [
        ("INV-000001", "uncollectible", 3100, 0, 3100)
    ]
    assert len(attempts(container, first.id)) == 5
    assert count(container, t.subscription_items) == items
    assert len(captures(container)) == 5


NEW_YORK = "America/New_York"


def test_retries_of_a_new_york_account_keep_the_local_time_across_the_march_dst_change(
    container: Plansmith,
) -> None:
    # Friday Mar 6 2026, 09:30 in New York (EST, UTC-5); clocks spring forward on Sunday Mar 8.
    start = local_at(D(2026, 3, 6), NEW_YORK, 9, 30)
    assert start == datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    org = sandbox_at(container, start, BASIC)
    acct = customer(container, org, "USD", NEW_YORK, "tok_sandbox_declines_3")
    sub_id = subscribed(container, org, acct, "basic")

    advance(container, org, start + 6 * DAY)

    (first,) = invoices(container, org)
    declined = ("payment", "failed", 3100, "insufficient_funds")
    edt = timedelta(hours=1)  # the same 09:30 is an hour earlier in UTC after the change
    assert attempts(container, first.id) == [
        (*declined, datetime(2026, 3, 6, 14, 30, tzinfo=UTC)),  # day 0, EST
        (*declined, datetime(2026, 3, 7, 14, 30, tzinfo=UTC)),  # day 1, EST
        (*declined, datetime(2026, 3, 9, 14, 30, tzinfo=UTC) - edt),  # day 3, EDT
        ("payment", "succeeded", 3100, None, datetime(2026, 3, 11, 13, 30, tzinfo=UTC)),
    ]
    assert [head(i) for i in invoices(container, org)] == [("INV-000001", "paid", 3100, 0, 0)]
    assert sub_status(container, org, sub_id) == "active"
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE]) == (3100, 0)
