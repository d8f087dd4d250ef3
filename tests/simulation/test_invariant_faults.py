"""Each invariant check can fail: after the small history (clean, as test_invariants.py shows)
one bad row is written straight into the database with SQL, as a bug might, and the check
that guards it must name it. On SQLite and PostgreSQL.

These tests break the books on purpose, so this module turns off the shared after-test ledger
check of tests/conftest.py (it would fail on the very rows written here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.simulation_invariants_support import (
    Made,
    container,
    deliver,
    make_history,
    receiver,
)
from tests.integration.webhook_receiver import Receiver
from tests.simulation.invariants import (
    CREDIT_NOTE_NUMBER,
    INVOICE_NUMBER,
    Books,
    _ledger_balances,
    _sequence,
    invariant_violations,
    undelivered_events,
)

__all__ = ["container", "receiver"]  # fixtures of this module


@pytest.fixture(autouse=True)
def ledger_invariants() -> Iterator[None]:
    """Overrides the shared check: these tests write broken rows on purpose."""
    yield


@pytest.fixture
def made(
    container: Plansmith, client: TestClient, tenant: Tenant, clock: TestClock, receiver: Receiver
) -> Made:
    made = make_history(container, client, tenant, clock, receiver)
    assert invariant_violations(client, tenant.headers) == []
    return made


def _write(container: Plansmith, statement: Any) -> None:
    with container.engine.begin() as connection:
        connection.execute(statement)


def _row(container: Plansmith, table: Any, *where: Any) -> dict[str, Any]:
    with container.engine.connect() as connection:
        return dict(connection.execute(select(table).where(*where)).mappings().first() or {})


def _found(client: TestClient, tenant: Tenant, *words: str) -> list[str]:
    lines = invariant_violations(client, tenant.headers)
    matching = [line for line in lines if all(w in line for w in words)]
    assert matching, f"no line with {words} in {lines}"
    return lines


def test_an_unbalanced_ledger_transaction_is_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    account_id = made.history.accounts["card"]
    entry = _row(container, t.ledger_entries, t.ledger_entries.c.account_id == account_id)
    extra = {**entry, "position": 99, "ledger_account": "cash", "amount": 7}
    _write(container, insert(t.ledger_entries).values(**extra))

    # The server's own guard refuses to show the broken ledger or the balance made of it (a
    # 500 naming it): each refused read is reported.
    _found(client, tenant, f"/v1/accounts/{account_id}/ledger answered 500", "ledger_unbalanced")
    _found(client, tenant, f"/v1/accounts/{account_id}/balance answered 500")


def test_a_line_that_no_longer_sums_to_the_invoice_is_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    invoice_id = made.history.invoices["decline"]
    lines = t.invoice_lines.c
    _write(
        container,
        update(t.invoice_lines)
        .where(lines.invoice_id == invoice_id, lines.position == 0)
        .values(amount=lines.amount + 1, total=lines.total + 1),
    )

    found = _found(client, tenant, invoice_id, "totals.subtotal is 14970", "sum to 14971")
    assert any(invoice_id in line and "totals.total" in line for line in found)


def test_a_gap_in_the_invoice_numbers_is_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    c = t.invoices.c
    void_id = made.history.invoices["void"]
    number = _row(container, t.invoices, c.id == void_id)["number"]
    # A duplicate cannot be written: (organization, number) is unique in the schema.
    _write(container, update(t.invoices).where(c.id == void_id).values(number="INV-000099"))

    _found(client, tenant, "invoice numbers have gaps", f"[{int(number[4:])}, ", "of 1..99")


def test_a_number_given_twice_is_reported() -> None:
    assert _sequence("invoice", ["INV-000001", "INV-000002", "INV-000002"], INVOICE_NUMBER) == [
        "invoice number 2 is given 2 times"
    ]
    assert _sequence("credit note", ["CN-000002", "CN-1"], CREDIT_NOTE_NUMBER) == [
        "credit note number 'CN-1' is not in the organization's format",
        "credit note numbers have gaps: [1] missing of 1..2",
    ]


def test_a_second_captured_payment_of_an_invoice_is_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    invoice_id = made.history.invoices["card"]
    p = t.payments.c
    paid = _row(container, t.payments, p.invoice_id == invoice_id, p.kind == "payment")
    again = {**paid, "id": "pay_doublecapture", "idempotency_key": "pay_doublecapture-collect"}
    _write(container, insert(t.payments).values(**again))

    _found(client, tenant, invoice_id, "was captured 2 times", "pay_doublecapture")
    _found(client, tenant, invoice_id, f"{2 * paid['amount']} captured on it, more than its total")


def test_a_negative_balance_is_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    account_id = made.history.accounts["transfer"]
    txn = _row(container, t.ledger_transactions, t.ledger_transactions.c.account_id == account_id)
    bad = {**txn, "id": "txn_negative", "kind": "refund", "reference": "pay_nothing"}
    common = {"transaction_id": "txn_negative", "organization_id": tenant.organization_id}
    entries = [
        {**common, "account_id": account_id, "position": 0, "ledger_account": "customer_credit"},
        {**common, "account_id": account_id, "position": 1, "ledger_account": "cash"},
    ]
    _write(container, insert(t.ledger_transactions).values(**bad))
    for entry, amount in zip(entries, (500, -500), strict=True):
        _write(container, insert(t.ledger_entries).values(**entry, currency="JPY", amount=amount))

    _found(client, tenant, account_id, "balance is negative (-500)")


def test_a_receivable_that_is_not_what_the_invoices_owe_is_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    invoice_id = made.history.invoices["decline"]
    c = t.invoices.c
    _write(
        container, update(t.invoices).where(c.id == invoice_id).values(amount_due=c.amount_due - 1)
    )

    account_id = made.history.accounts["decline"]
    # its second invoice (16,467) is open too: the card declines
    _found(client, tenant, account_id, "the ledger's receivable is 30934", "owe 30933")
    _found(client, tenant, invoice_id, "amount_due 14466", "leaves 14467")


def test_credit_notes_beyond_the_invoice_total_are_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant
) -> None:
    invoice_id = made.history.invoices["card"]
    note = _row(container, t.credit_notes, t.credit_notes.c.invoice_id == invoice_id)
    extra = {**note, "id": "cn_toomuch", "number": "CN-000004", "amount": 16467, "tax": 1497}
    _write(container, insert(t.credit_notes).values(**extra))

    _found(client, tenant, invoice_id, "credit notes sum to 22467, more than its total 16467")


def test_a_lost_and_a_failing_delivery_are_reported(
    made: Made, container: Plansmith, client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    d = t.webhook_deliveries.c
    lost = _row(container, t.webhook_deliveries, d.endpoint_id == made.endpoint_id)
    with container.engine.begin() as connection:
        connection.execute(
            delete(t.webhook_attempts).where(t.webhook_attempts.c.delivery_id == lost["id"])
        )
        connection.execute(delete(t.webhook_deliveries).where(d.id == lost["id"]))
    lines = undelivered_events(client, tenant.headers, made.endpoint_id)
    assert lines == [f"event {lost['event_id']} ({lost['event_type']}) was never delivered"]

    receiver.script = [500] * 3  # every event from here on is answered 500 (3 times)
    note = {"amount": 1, "reason": "Rounding"}
    made.api.post(f"/v1/invoices/{made.history.invoices['card']}/credit_notes", note, 201)
    deliver(container)
    lines = undelivered_events(client, tenant.headers, made.endpoint_id)
    assert len(lines) == 2, lines
    failing = "(credit_note.issued) is pending after 1 attempt(s), last status 500"
    assert any(failing in line for line in lines), lines


def test_an_unbalanced_transaction_the_server_shows_is_reported() -> None:
    """The server never shows one (its guard answers 500, above); the check stands anyway,
    for a guard that breaks."""
    entries = [
        {"account": "receivable", "currency": "JPY", "amount": 100},
        {"account": "revenue", "currency": "JPY", "amount": -93},
        {"account": "cash", "currency": "USD", "amount": 5},
        {"account": "cash", "currency": "USD", "amount": -5},
    ]
    txn = {"id": "txn_1", "kind": "payment", "reference": "inv_1", "entries": entries}
    assert _ledger_balances(Books(ledgers={"acct_1": [txn]})) == [
        "ledger transaction txn_1 (payment of inv_1, account acct_1) does not balance in JPY: "
        "its entries sum to 7"
    ]
