"""Repositories: rows in, frozen domain objects out. They never commit; the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.paging import page_after
from plansmith.domain.accounts import Account, InvoiceAddress
from plansmith.domain.organizations import ApiKey, OperatorUser, Organization

E = TypeVar("E")


def _build(kind: type[E], row: Row[Any] | None) -> E | None:
    return None if row is None else kind(**row._mapping)


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, table: Table, entity: object) -> None:
        self.session.execute(insert(table).values(**asdict(entity)))  # type: ignore[call-overload]

    def _update(self, table: Table, entity: object, **where: Any) -> None:
        values = asdict(entity)  # type: ignore[call-overload]
        condition = and_(table.c.id == values["id"], *(table.c[k] == v for k, v in where.items()))
        self.session.execute(update(table).where(condition).values(**values))


class SqlOrganizations(_Repository):
    def add(self, organization: Organization) -> None:
        self._insert(t.organizations, organization)

    def get(self, organization_id: str) -> Organization | None:
        q = select(t.organizations).where(t.organizations.c.id == organization_id)
        return _build(Organization, self.session.execute(q).first())

    def find_by_name(self, name: str) -> Organization | None:
        q = select(t.organizations).where(t.organizations.c.name == name)
        return _build(Organization, self.session.execute(q).first())

    def all(self) -> Sequence[Organization]:
        c = t.organizations.c
        q = select(t.organizations).order_by(c.created_at, c.id)
        return [Organization(**row._mapping) for row in self.session.execute(q)]

    def move_test_clock(self, organization_id: str, expected: datetime, to: datetime) -> bool:
        # Only a sandbox's clock, and only from where the caller read it: of two advances at
        # once, the one that saves second finds the clock moved and stops.
        c = t.organizations.c
        result = self.session.execute(
            update(t.organizations)
            .where(c.id == organization_id, c.sandbox.is_(True), c.test_clock_at == expected)
            .values(test_clock_at=to)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlApiKeys(_Repository):
    def add(self, key: ApiKey) -> None:
        self._insert(t.api_keys, key)

    def find_by_hash(self, secret_hash: str) -> ApiKey | None:
        q = select(t.api_keys).where(t.api_keys.c.secret_hash == secret_hash)
        return _build(ApiKey, self.session.execute(q).first())

    def get(self, organization_id: str, key_id: str) -> ApiKey | None:
        c = t.api_keys.c
        q = select(t.api_keys).where(c.id == key_id, c.organization_id == organization_id)
        return _build(ApiKey, self.session.execute(q).first())

    def list(
        self, organization_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiKey]:
        q = select(t.api_keys).where(t.api_keys.c.organization_id == organization_id)
        q = page_after(q, t.api_keys, after, limit)
        return [ApiKey(**row._mapping) for row in self.session.execute(q)]

    def revoke(self, organization_id: str, key_id: str, at: datetime) -> bool:
        c = t.api_keys.c
        result = self.session.execute(
            update(t.api_keys)
            .where(
                c.id == key_id,
                c.organization_id == organization_id,
                c.revoked_at.is_(None),
                or_(c.expires_at.is_(None), c.expires_at > at),
            )
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def expire(self, organization_id: str, key_id: str, at: datetime) -> bool:
        c = t.api_keys.c
        result = self.session.execute(
            update(t.api_keys)
            .where(
                c.id == key_id,
                c.organization_id == organization_id,
                c.revoked_at.is_(None),
                c.expires_at.is_(None),
            )
            .values(expires_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlOperatorUsers(_Repository):
    def add(self, user: OperatorUser) -> None:
        self._insert(t.operator_users, user)

    def update(self, user: OperatorUser) -> None:
        self._update(t.operator_users, user)

    def remove(self, user_id: str) -> None:
        self.session.execute(delete(t.operator_users).where(t.operator_users.c.id == user_id))

    def find_by_email(self, email: str) -> OperatorUser | None:
        q = select(t.operator_users).where(t.operator_users.c.email == email)
        return _build(OperatorUser, self.session.execute(q).first())

    def get(self, user_id: str) -> OperatorUser | None:
        q = select(t.operator_users).where(t.operator_users.c.id == user_id)
        return _build(OperatorUser, self.session.execute(q).first())


class SqlAccounts(_Repository):
    table = t.accounts

    def add(self, account: Account) -> None:
        self._insert(self.table, account)

    def update(self, account: Account) -> None:
        self._update(self.table, account, organization_id=account.organization_id)

    def get(self, organization_id: str, account_id: str) -> Account | None:
        c = self.table.c
        q = select(self.table).where(c.id == account_id, c.organization_id == organization_id)
        return _build(Account, self.session.execute(q).first())

    def find_by_external_id(self, organization_id: str, external_id: str) -> Account | None:
        c = self.table.c
        q = select(self.table).where(
            c.organization_id == organization_id, c.external_id == external_id
        )
        return _build(Account, self.session.execute(q).first())

    def list(
        self,
        organization_id: str,
        *,
        search: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Account]:
        c = self.table.c
        q = select(self.table).where(c.organization_id == organization_id)
        if search:
            pattern = f"%{_escape_like(search.lower())}%"
            q = q.where(
                or_(
                    func.lower(c.name).like(pattern, escape="\\"),
                    func.lower(c.email).like(pattern, escape="\\"),
                    func.lower(c.external_id).like(pattern, escape="\\"),
                    c.id == search,
                )
            )
        q = page_after(q, t.accounts, after, limit)
        return [Account(**row._mapping) for row in self.session.execute(q)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlInvoiceAddresses(_Repository):
    table = t.invoice_addresses

    def add(self, address: InvoiceAddress) -> None:
        self._insert(self.table, address)

    def update(self, address: InvoiceAddress) -> None:
        self._update(self.table, address, organization_id=address.organization_id)

    def get(self, organization_id: str, address_id: str) -> InvoiceAddress | None:
        c = self.table.c
        q = select(self.table).where(c.id == address_id, c.organization_id == organization_id)
        return _build(InvoiceAddress, self.session.execute(q).first())

    def list_for_account(self, organization_id: str, account_id: str) -> Sequence[InvoiceAddress]:
        c = self.table.c
        q = (
            select(self.table)
            .where(c.organization_id == organization_id, c.account_id == account_id)
            .order_by(c.created_at, c.id)
        )
        return [InvoiceAddress(**row._mapping) for row in self.session.execute(q)]
