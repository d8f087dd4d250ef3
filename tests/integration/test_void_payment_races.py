"""Voiding an open invoice while customers press "pay now" on it, on PostgreSQL, with the real
sandbox gateway. The void does not wait for a charge in flight (the card may take seconds);
the money adds up whatever the interleaving: at most one capture and one void; the invoice
ends paid (every void refused) or void (every later payment refused), and a card captured
for an invoice voided while the charge was at the gateway leaves its money on the customer's
balance, never lost and never counted twice. SQLite runs one writer at a time, so only
PostgreSQL can interleave."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from plansmith.application.billing import test_clocks
from plansmith.application.invoicing.invoices import void_invoice
from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments import methods
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.ports import ChargeRequest, PaymentGateway
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStateError
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.payments import GatewayAnswer
from tests.integration import payment_scenarios_support as pay
from tests.integration.ledger_invariants import assert_ledger_invariants

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
EACH = 10
PRICE = 3100


class Signalling:
    """The real sandbox gateway, saying when a charge has reached it; with ``hold`` set, the
    charge goes on to the gateway only once ``hold`` is set (a card network taking its time)."""

    def __init__(self, real: PaymentGateway, hold: threading.Event | None = None) -> None:
        self.real, self.hold = real, hold
        self.reached = threading.Event()

    @property
    def name(self) -> str:
        return self.real.name

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        self.reached.set()
        if self.hold is not None:
            assert self.hold.wait(30)
        return self.real.charge(request)


def _books(container: Plansmith, account: str) -> tuple[int, int, int]:
    """(cash, receivable, customer credit) of the account in USD (credit negative)."""
    books = pay.ledger(container, account, "USD")
    return books[pay.A.CASH], books[pay.A.RECEIVABLE], books[pay.A.CUSTOMER_CREDIT]


def _open_invoice_with_card(container: Plansmith) -> tuple[str, str, str]:
    """(organization, account, invoice): one open invoice of PRICE and a card that pays."""
    org = pay.sandbox_at(container, T0, {"basic": pay.monthly({"USD": PRICE})})
    acct = pay.customer(container, org, "USD", "UTC", None)
    pay.subscribed(container, org, acct, "basic")
    test_clocks.advance_clock(container.uow(), org, T0, timedelta(0))  # billed only
    (first,) = pay.invoices(container, org)
    assert pay.head(first) == ("INV-000001", "open", PRICE, 0, PRICE)
    methods.add_card(
        container.uow(),
        pay.gateway(container, org),
        pay.org_clock(container, org),
        org,
        acct,
        source="tok_sandbox_success",
    )
    return org, acct, first.id


def test_an_invoice_voided_while_its_charge_is_at_the_gateway_leaves_the_money_on_the_balance(
    container: Plansmith,
) -> None:
    org, acct, invoice_id = _open_invoice_with_card(container)
    clock = pay.org_clock(container, org)
    hold = threading.Event()
    card = Signalling(pay.gateway(container, org), hold)
    with ThreadPoolExecutor(1) as pool:
        paying = pool.submit(
            collect_invoice,
            container.uow(),
            cast(PaymentGateway, card),
            clock,
            org,
            invoice_id,
            by_customer=True,
        )
        assert card.reached.wait(30)
        voided = void_invoice(container.uow(), clock, org, invoice_id)
        hold.set()
        done = paying.result(30)

    assert voided.status.value == "void"
    assert done.payment is not None and done.payment.status.value == "succeeded"
    assert [c[1:] for c in pay.captures(container)] == [("succeeded", PRICE, "USD")]
    (after,) = pay.invoices(container, org)
    assert pay.head(after) == ("INV-000001", "void", PRICE, 0, PRICE)
    assert pay.balance(container, acct, "USD") == PRICE
    assert _books(container, acct) == (PRICE, 0, -PRICE)
    assert len(pay.events(container, org, "invoice.voided")) == 1
    assert pay.events(container, org, "invoice.paid") == []
    assert_ledger_invariants(container.engine)


def test_voids_racing_pay_nows_end_paid_or_void_with_every_unit_accounted_for(
    container: Plansmith,
) -> None:
    """The customers go first; the operators' voids start the moment a charge reaches the
    gateway, so they land before, during or after its record."""
    org, acct, invoice_id = _open_invoice_with_card(container)
    clock = pay.org_clock(container, org)
    card = Signalling(pay.gateway(container, org))
    payers = threading.Barrier(EACH)

    def void() -> tuple[str, str | None]:
        assert card.reached.wait(30)
        try:
            void_invoice(container.uow(), clock, org, invoice_id)
        except (Conflict, InvoiceStateError) as refused:
            return f"void refused: {refused.code}", None
        return "voided", None

    def pay_now() -> tuple[str, str | None]:
        uow = container.uow()
        payers.wait()
        try:
            done = collect_invoice(
                uow, cast(PaymentGateway, card), clock, org, invoice_id, by_customer=True
            )
        except Conflict as refused:
            return f"pay refused: {refused.code}", None
        assert done.payment is not None
        return f"payment {done.payment.status.value}", done.payment.id

    with ThreadPoolExecutor(2 * EACH) as pool:
        futures = [pool.submit(pay_now) for _ in range(EACH)]
        futures += [pool.submit(void) for _ in range(EACH)]
        results = [f.result(60) for f in futures]

    # A pay now that found the payment in flight and asked the gateway about it answers with
    # that same payment: successes are counted by payment.
    answers = Counter(outcome for outcome, _ in results)
    paid_by = {pid for outcome, pid in results if outcome == "payment succeeded"}
    assert set(answers) <= {
        "voided",
        f"void refused: {ec.INVALID_INVOICE_TRANSITION}",
        "payment succeeded",
        f"pay refused: {ec.PAYMENT_IN_PROGRESS}",
        f"pay refused: {ec.NOT_PAYABLE}",
    }, answers
    assert answers["voided"] <= 1 and len(paid_by) == 1, answers
    assert [c[1:] for c in pay.captures(container)] == [("succeeded", PRICE, "USD")]
    (after,) = pay.invoices(container, org)
    if answers["voided"]:
        # Voided while the charge was in flight: what the card paid is the customer's balance.
        assert pay.head(after) == ("INV-000001", "void", PRICE, 0, PRICE)
        assert len(pay.events(container, org, "invoice.voided")) == 1
        assert pay.events(container, org, "invoice.paid") == []
        assert pay.balance(container, acct, "USD") == PRICE
        expected = (PRICE, 0, -PRICE)
    else:
        # Paid before any void took the row: every void was refused.
        assert pay.head(after) == ("INV-000001", "paid", PRICE, 0, 0)
        assert len(pay.events(container, org, "invoice.paid")) == 1
        assert pay.events(container, org, "invoice.voided") == []
        assert pay.balance(container, acct, "USD") == 0
        expected = (PRICE, 0, 0)
    assert _books(container, acct) == expected
    assert_ledger_invariants(container.engine)
