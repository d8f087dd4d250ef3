"""The ledger in SQL: transactions and their entries, appended only (triggers refuse changes),
each kind posted once per document (unique).

The customer credit an invoice may use is read under a row lock held until commit:
``hold_credit`` (SELECT ... FOR UPDATE on the account); SQLite's BEGIN IMMEDIATE runs one
writer at a time. It is held after the invoice and before a document counter (see
invoice_repositories), so two transactions never wait for each other in a circle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.invoicing.ledger import Entry, LedgerAccount, Transaction
from plansmith.domain.kernel import error_codes as ec


def transaction_row(transaction: Transaction) -> dict[str, Any]:
    return {
        "id": transaction.id,
        "organization_id": transaction.organization_id,
        "account_id": transaction.account_id,
        "kind": transaction.kind,
        "reference": transaction.reference,
        "at": transaction.at,
    }


def entry_rows(transaction: Transaction) -> list[dict[str, Any]]:
    return [
        {
            "transaction_id": transaction.id,
            "position": position,
            "organization_id": transaction.organization_id,
            "account_id": transaction.account_id,
            "ledger_account": entry.account.value,
            "currency": entry.currency,
            "amount": entry.amount,
        }
        for position, entry in enumerate(transaction.entries)
    ]


class SqlLedger:
    def __init__(self, session: Session) -> None:
        self.session = session

    def post(self, transaction: Transaction) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(t.ledger_transactions).values(**transaction_row(transaction))
                )
        except IntegrityError as exc:
            raise Conflict(
                f"{transaction.kind} was posted for {transaction.reference} already",
                code=ec.ALREADY_POSTED,
            ) from exc
        if transaction.entries:
            self.session.execute(insert(t.ledger_entries), entry_rows(transaction))

    def _read(self, q: Select[Any]) -> list[Transaction]:
        """The transactions ``q`` selects (whole rows), each with its entries, in one
        statement, ordered by (at, id)."""
        x = q.subquery("x")
        e = t.ledger_entries.c
        joined = (
            select(x, e.ledger_account, e.currency, e.amount)
            .select_from(x.outerjoin(t.ledger_entries, e.transaction_id == x.c.id))
            .order_by(x.c.at, x.c.id, e.position)
        )
        found: dict[str, tuple[Any, list[Entry]]] = {}
        for row in self.session.execute(joined):
            _, entries = found.setdefault(row.id, (row, []))
            if row.ledger_account is not None:
                entries.append(Entry(LedgerAccount(row.ledger_account), row.currency, row.amount))
        return [
            Transaction(r.id, r.organization_id, r.account_id, r.kind, r.reference, tuple(es), r.at)
            for r, es in found.values()
        ]

    def posted(self, kind: str, reference: str) -> Transaction | None:
        c = t.ledger_transactions.c
        q = select(t.ledger_transactions).where(c.kind == kind, c.reference == reference)
        found = self._read(q)
        return found[0] if found else None

    def hold_credit(self, account_id: str) -> None:
        # SQLite's BEGIN IMMEDIATE already serializes every writer.
        if self.session.get_bind().dialect.name == "postgresql":
            a = t.accounts.c
            self.session.execute(select(a.id).where(a.id == account_id).with_for_update())

    def ledger_balance(self, account_id: str, ledger_account: LedgerAccount, currency: str) -> int:
        e = t.ledger_entries.c
        a = t.accounts.c
        # The organization too, so the balance index (organization, account, ledger account)
        # answers it rather than a scan of every entry.
        organization = select(a.organization_id).where(a.id == account_id).scalar_subquery()
        q = select(func.coalesce(func.sum(e.amount), 0)).where(
            e.organization_id == organization,
            e.account_id == account_id,
            e.ledger_account == ledger_account.value,
            e.currency == currency,
        )
        return int(self.session.execute(q).scalar_one())

    def transactions(self, organization_id: str, account_id: str) -> Sequence[Transaction]:
        c = t.ledger_transactions.c
        q = select(t.ledger_transactions).where(
            c.organization_id == organization_id, c.account_id == account_id
        )
        return self._read(q)
