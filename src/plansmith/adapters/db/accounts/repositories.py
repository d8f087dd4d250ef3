"""SQL repositories of customer accounts and their invoice addresses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.accounts.search import accounts_matching
from plansmith.adapters.db.paging import page_after
from plansmith.adapters.db.rows import Repository, build
from plansmith.domain.accounts.account import Account, InvoiceAddress


class SqlAccounts(Repository):
    table = t.accounts

    def add(self, account: Account) -> None:
        self._insert(self.table, account)

    def update(self, account: Account) -> None:
        self._update(self.table, account, organization_id=account.organization_id)

    def get(self, organization_id: str, account_id: str) -> Account | None:
        c = self.table.c
        q = select(self.table).where(c.id == account_id, c.organization_id == organization_id)
        return build(Account, self.session.execute(q).first())

    def get_many(self, organization_id: str, account_ids: Iterable[str]) -> Mapping[str, Account]:
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        c = self.table.c
        q = select(self.table).where(c.organization_id == organization_id, c.id.in_(ids))
        return {row.id: Account(**row._mapping) for row in self.session.execute(q)}

    def find_by_external_id(self, organization_id: str, external_id: str) -> Account | None:
        c = self.table.c
        q = select(self.table).where(
            c.organization_id == organization_id, c.external_id == external_id
        )
        return build(Account, self.session.execute(q).first())

    def list(
        self,
        organization_id: str,
        *,
        search: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Account]:
        if search:
            q = accounts_matching(self.session, organization_id, search)
        else:
            q = select(self.table).where(self.table.c.organization_id == organization_id)
        q = page_after(q, t.accounts, after, limit)
        return [Account(**row._mapping) for row in self.session.execute(q)]


class SqlInvoiceAddresses(Repository):
    table = t.invoice_addresses

    def add(self, address: InvoiceAddress) -> None:
        self._insert(self.table, address)

    def update(self, address: InvoiceAddress) -> None:
        self._update(self.table, address, organization_id=address.organization_id)

    def get(self, organization_id: str, address_id: str) -> InvoiceAddress | None:
        c = self.table.c
        q = select(self.table).where(c.id == address_id, c.organization_id == organization_id)
        return build(InvoiceAddress, self.session.execute(q).first())

    def list_for_account(self, organization_id: str, account_id: str) -> Sequence[InvoiceAddress]:
        c = self.table.c
        q = (
            select(self.table)
            .where(c.organization_id == organization_id, c.account_id == account_id)
            .order_by(c.created_at, c.id)
        )
        return [InvoiceAddress(**row._mapping) for row in self.session.execute(q)]
