"""A fake of the collection batch port, on the fakes of the repositories it reads and writes
in bulk: the same rows, the same refusals (one payment of an invoice in flight, a posting
made twice), one unit of work at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from plansmith.application.payments.ports import CollectionBatches, HeldBatch
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import LedgerAccount, Transaction
from plansmith.domain.payments.payments import IN_FLIGHT, Payment
from tests.fakes.invoices import FakeInvoices, FakeLedger
from tests.fakes.payments import FakePaymentMethods, FakePayments
from tests.fakes.store import FakeStore, Repo, Rows


class FakeCollectionBatches(Repo):
    def __init__(self, store: FakeStore, rows: Rows) -> None:
        super().__init__(store, rows)
        self._invoices = FakeInvoices(store, rows)
        self._payments = FakePayments(store, rows)
        self._ledger = FakeLedger(store, rows)
        self._methods = FakePaymentMethods(store, rows)

    def hold(
        self, organization_id: str, invoice_ids: Sequence[str], *, to_charge: bool = True
    ) -> HeldBatch:
        found = self._invoices.get_invoices(organization_id, sorted(set(invoice_ids)))
        invoices = [replace(i, lines=()) for i in sorted(found, key=lambda i: i.id)]
        in_flight = {i.id: p for i in invoices if (p := self._payments.in_flight(i.id)) is not None}
        collected = frozenset(i.id for i in invoices if i.id in self._rows.collections)
        credit = frozenset(
            (i.account_id, i.currency)
            for i in invoices
            if self._ledger.ledger_balance(i.account_id, LedgerAccount.CUSTOMER_CREDIT, i.currency)
            < 0
        )
        cards = {
            i.account_id: card
            for i in invoices
            if (card := self._methods.default_of(i.account_id)) is not None
        }
        status = {
            sub.id: sub.status.value
            for i in invoices
            if i.subscription_id and (sub := self._rows.subscriptions.get(i.subscription_id))
        }
        return HeldBatch(invoices, in_flight, collected, credit, cards, status)

    def add_payments(self, payments: Sequence[Payment]) -> None:
        for payment in payments:
            self._payments.add(payment)

    def settle_payments(self, payments: Sequence[Payment]) -> None:
        for payment in payments:
            assert self._payments.settle(payment, [s.value for s in IN_FLIGHT])

    def post(self, transactions: Sequence[Transaction]) -> None:
        for transaction in transactions:
            self._ledger.post(transaction)

    def update_invoices(self, invoices: Sequence[Invoice]) -> None:
        for invoice in invoices:
            stored = self._rows.invoices[invoice.id].invoice
            self._invoices.update_invoice(
                replace(invoice, lines=stored.lines), expected_status=stored.status.value
            )


_port: CollectionBatches = FakeCollectionBatches(FakeStore(), Rows())
