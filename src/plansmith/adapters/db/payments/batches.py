"""A collection batch in SQL: a batch of invoices held and read in a fixed number of
statements, and its payments, ledger transactions and paid invoices written in bulk (binary
COPY on PostgreSQL, see bulk), whatever the batch's size."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.billing.snapshots import Among
from plansmith.adapters.db.bulk import bulk_insert, bulk_update
from plansmith.adapters.db.invoicing.invoice_rows import invoice_state
from plansmith.adapters.db.invoicing.invoices import invoice_of_row
from plansmith.adapters.db.invoicing.ledger import entry_rows, transaction_row
from plansmith.adapters.db.payments.methods import _method
from plansmith.adapters.db.payments.payments import IN_FLIGHT_VALUES, _payment, _row
from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments.ports import HeldBatch
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import Transaction
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.payments import Payment, PaymentKind

INV = t.invoices.c
P = t.payments.c
M = t.payment_methods.c
E = t.ledger_entries.c
# An invoice's own columns, not its buyer's and seller's copies (JSON nobody here reads).
INVOICE_COLUMNS = [c for c in t.invoices.c if c.name not in ("buyer", "seller")]


class SqlCollectionBatches:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hold(
        self, organization_id: str, invoice_ids: Sequence[str], *, to_charge: bool = True
    ) -> HeldBatch:
        if not invoice_ids:
            return HeldBatch((), {}, frozenset(), frozenset(), {}, {})
        among = Among(self.session)
        q = (
            select(*INVOICE_COLUMNS)
            .where(INV.organization_id == organization_id, among(INV.id, invoice_ids))
            .order_by(INV.id)
        )
        # The lock an UPDATE takes, as hold_invoice; SQLite's BEGIN IMMEDIATE serializes.
        if self.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(key_share=True)
        invoices = [invoice_of_row(r._mapping, ()) for r in self.session.execute(q)]
        if not invoices:
            return HeldBatch((), {}, frozenset(), frozenset(), {}, {})
        held = [i.id for i in invoices]
        accounts = sorted({i.account_id for i in invoices})
        subscriptions = sorted({i.subscription_id for i in invoices if i.subscription_id})
        in_flight = {
            r.invoice_id: _payment(r)
            for r in self.session.execute(
                select(t.payments).where(
                    among(P.invoice_id, held),
                    P.kind == PaymentKind.PAYMENT.value,
                    P.status.in_(IN_FLIGHT_VALUES),
                )
            )
        }
        c = t.invoice_collections.c
        collected = frozenset(
            self.session.execute(select(c.invoice_id).where(among(c.invoice_id, held))).scalars()
        )
        if not to_charge:
            return HeldBatch(
                invoices, in_flight, collected, frozenset(), {}, self._status(among, subscriptions)
            )
        credit = frozenset(
            (r.account_id, r.currency)
            for r in self.session.execute(
                select(E.account_id, E.currency)
                .where(
                    E.organization_id == organization_id,
                    among(E.account_id, accounts),
                    E.ledger_account == "customer_credit",
                )
                .group_by(E.account_id, E.currency)
                .having(func.sum(E.amount) < 0)  # customer credit is a liability: held < 0
            )
        )
        cards = {
            r.account_id: _method(r)
            for r in self.session.execute(
                select(t.payment_methods).where(
                    among(M.account_id, accounts), M.is_default.is_(True), M.removed_at.is_(None)
                )
            )
        }
        status = self._status(among, subscriptions)
        return HeldBatch(invoices, in_flight, collected, credit, cards, status)

    def _status(self, among: Among, subscriptions: Sequence[str]) -> dict[str, str]:
        if not subscriptions:
            return {}
        s = t.subscriptions.c
        q = select(s.id, s.status).where(among(s.id, subscriptions))
        return {sub_id: sub_status for sub_id, sub_status in self.session.execute(q)}

    def add_payments(self, payments: Sequence[Payment]) -> None:
        try:
            with self.session.begin_nested():
                bulk_insert(self.session, t.payments, [_row(p) for p in payments])
        except IntegrityError as exc:
            raise Conflict(
                "a payment of one of these invoices is being made; wait for its outcome",
                field="invoice_id",
                code=ec.PAYMENT_IN_PROGRESS,
            ) from exc

    def settle_payments(self, payments: Sequence[Payment]) -> None:
        rows = [
            {
                "id": p.id,
                "status": p.status.value,
                "gateway_reference": p.gateway_reference,
                "decline_code": p.decline_code,
                "message": p.message,
                "settled_at": p.settled_at,
            }
            for p in payments
        ]
        bulk_update(self.session, t.payments, rows)

    def post(self, transactions: Sequence[Transaction]) -> None:
        try:
            with self.session.begin_nested():
                bulk_insert(
                    self.session, t.ledger_transactions, [transaction_row(x) for x in transactions]
                )
                bulk_insert(
                    self.session, t.ledger_entries, [e for x in transactions for e in entry_rows(x)]
                )
        except IntegrityError as exc:
            raise Conflict(
                "a payment of one of these invoices was posted already", code=ec.ALREADY_POSTED
            ) from exc

    def update_invoices(self, invoices: Sequence[Invoice]) -> None:
        bulk_update(self.session, t.invoices, [{"id": i.id, **invoice_state(i)} for i in invoices])
