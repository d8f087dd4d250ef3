"""Twenty customers' "pay now" of one invoice at once, on PostgreSQL: each its own thread and
unit of work, released together by a barrier, with the real sandbox gateway. Exactly one
capture at the gateway, one succeeded payment, the invoice paid once; every other call is
refused with payment_in_progress (another payment of it is in flight) or not_payable (it is
paid already), or, having asked the gateway about the payment in flight, answers with it.
SQLite runs one writer at a time, so only PostgreSQL can interleave."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from plansmith.application.billing import test_clocks
from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments import methods
from plansmith.application.payments.collection import collect_invoice
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel import error_codes as ec
from tests.integration.payment_scenarios_support import (
    A,
    attempts,
    balance,
    captures,
    customer,
    events,
    gateway,
    head,
    invoices,
    ledger,
    monthly,
    org_clock,
    sandbox_at,
    subscribed,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
CUSTOMERS = 20


def test_twenty_pay_nows_of_one_invoice_at_once_capture_once(container: Plansmith) -> None:
    org = sandbox_at(container, T0, {"basic": monthly({"USD": 3100})})
    acct = customer(container, org, "USD", "UTC", None)
    subscribed(container, org, acct, "basic")
    test_clocks.advance_clock(container.uow(), org, T0, timedelta(0))  # billed only
    (first,) = invoices(container, org)
    assert head(first) == ("INV-000001", "open", 3100, 0, 3100)
    clock = org_clock(container, org)
    methods.add_card(
        container.uow(), gateway(container, org), clock, org, acct, source="tok_sandbox_success"
    )
    barrier = threading.Barrier(CUSTOMERS)

    def pay_now(_: int) -> tuple[str, str | None]:
        uow = container.uow()
        barrier.wait()
        try:
            done = collect_invoice(
                uow, gateway(container, org), clock, org, first.id, by_customer=True
            )
        except Conflict as refused:
            return refused.code, None
        assert done.payment is not None
        return done.payment.status.value, done.payment.id

    with ThreadPoolExecutor(CUSTOMERS) as pool:
        answers = list(pool.map(pay_now, range(CUSTOMERS)))

    # One payment succeeded. A call that found it in flight and asked the gateway about it
    # answers with that same payment; the others are refused.
    outcomes = Counter(status for status, _ in answers)
    assert len({pid for status, pid in answers if status == "succeeded"}) == 1
    assert set(outcomes) <= {"succeeded", ec.PAYMENT_IN_PROGRESS, ec.NOT_PAYABLE}
    assert outcomes[ec.PAYMENT_IN_PROGRESS] + outcomes[ec.NOT_PAYABLE] >= 1
    assert sum(outcomes.values()) == CUSTOMERS
    assert attempts(container, first.id) == [("payment", "succeeded", 3100, None, T0)]
    (capture,) = captures(container)
    assert capture[1:] == ("succeeded", 3100, "USD")
    assert [head(i) for i in invoices(container, org)] == [("INV-000001", "paid", 3100, 0, 0)]
    assert len(events(container, org, "invoice.paid")) == 1
    books = ledger(container, acct, "USD")
    assert (books[A.CASH], books[A.RECEIVABLE], books[A.CUSTOMER_CREDIT]) == (3100, 0, 0)
    assert balance(container, acct, "USD") == 0
