"""Refused payments on SQLite and PostgreSQL change nothing: "pay now" of a paid invoice, of an
invoice whose account has no card, a refund of more than is left or of an open invoice. Each
refusal names its code and field, and no row of any payment table, the ledger, the invoices or
the sandbox gateway's own tables moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Table

from plansmith.adapters.db import tables as t
from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments import refunds
from plansmith.application.payments.collection import collect_invoice
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from tests.integration.payment_scenarios_support import (
    advance,
    count,
    customer,
    gateway,
    head,
    invoices,
    monthly,
    org_clock,
    sandbox_at,
    subscribed,
)

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
BASIC = {"basic": monthly({"USD": 3100})}
WATCHED: tuple[Table, ...] = (
    t.payments,
    t.invoice_collections,
    t.ledger_transactions,
    t.ledger_entries,
    t.credit_notes,
    t.invoices,
    t.outbox_events,
    t.sandbox_charges,
    t.sandbox_cards,
)


def _rows(app: Plansmith) -> list[int]:
    return [count(app, table) for table in WATCHED]


def test_pay_now_of_a_paid_invoice_or_without_a_card_is_refused_and_changes_nothing(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    payer = customer(container, org, "USD", "UTC", "tok_sandbox_success", "Payer Ltd")
    cardless = customer(container, org, "USD", "UTC", None, "Cardless Ltd")
    subscribed(container, org, payer, "basic")
    subscribed(container, org, cardless, "basic")
    advance(container, org, T0)
    by_account = {i.account_id: i for i in invoices(container, org)}
    paid, unpaid = by_account[payer], by_account[cardless]
    assert (head(paid)[1:], head(unpaid)[1:]) == (("paid", 3100, 0, 0), ("open", 3100, 0, 3100))
    clock, sandbox = org_clock(container, org), gateway(container, org)
    before = _rows(container)

    with pytest.raises(Conflict) as again:
        collect_invoice(container.uow(), sandbox, clock, org, paid.id, by_customer=True)
    with pytest.raises(Conflict) as no_card:
        collect_invoice(container.uow(), sandbox, clock, org, unpaid.id, by_customer=True)

    assert (again.value.code, again.value.field) == (ec.NOT_PAYABLE, "invoice_id")
    assert (no_card.value.code, no_card.value.field) == (ec.NO_PAYMENT_METHOD, "payment_method_id")
    assert _rows(container) == before


def test_a_refund_too_large_or_of_an_open_invoice_is_refused_and_changes_nothing(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, BASIC)
    payer = customer(container, org, "USD", "UTC", "tok_sandbox_success", "Payer Ltd")
    cardless = customer(container, org, "USD", "UTC", None, "Cardless Ltd")
    subscribed(container, org, payer, "basic")
    subscribed(container, org, cardless, "basic")
    advance(container, org, T0)
    by_account = {i.account_id: i for i in invoices(container, org)}
    paid, unpaid = by_account[payer], by_account[cardless]
    clock, sandbox = org_clock(container, org), gateway(container, org)
    refunds.refund_invoice(container.uow(), sandbox, clock, org, paid.id, 1000, "Outage")
    before = _rows(container)

    with pytest.raises(InvalidValue) as too_large:
        refunds.refund_invoice(container.uow(), sandbox, clock, org, paid.id, 2101, "More")
    with pytest.raises(Conflict) as still_open:
        refunds.refund_invoice(container.uow(), sandbox, clock, org, unpaid.id, 100, "Open")

    assert (too_large.value.code, too_large.value.field) == (ec.REFUND_TOO_LARGE, "amount")
    assert "at most 2100" in too_large.value.message
    assert (still_open.value.code, still_open.value.field) == (ec.NOT_REFUNDABLE, "invoice_id")
    assert _rows(container) == before
