"""An in-memory unit of work for use-case tests: real (tiny) repositories over dicts, not mocks.

A FakeStore is the "database". Entering a FakeUnitOfWork copies the store's rows into a working
set that the repositories read and write; commit() copies the working set back, and leaving the
block without commit() throws it away, exactly like a rolled-back transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from plansmith.domain.accounts import Account, InvoiceAddress
from plansmith.domain.organizations import ApiKey, OperatorUser, Organization
from plansmith.domain.sessions import PortalLinkRecord


class InjectedFailure(RuntimeError):
    """Raised by a fake repository method named in FakeStore.fail_on (a crashed write)."""


@dataclass
class Rows:
    organizations: dict[str, Organization] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    operators: dict[str, OperatorUser] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    invoice_addresses: dict[str, InvoiceAddress] = field(default_factory=dict)
    portal_links: dict[str, PortalLinkRecord] = field(default_factory=dict)


@dataclass
class FakeStore:
    rows: Rows = field(default_factory=Rows)
    commits: int = 0
    fail_on: set[str] = field(default_factory=set)  # e.g. {"accounts.update"}

    def snapshot(self) -> Rows:
        return copy.deepcopy(self.rows)

    def check(self, operation: str) -> None:
        if operation in self.fail_on:
            raise InjectedFailure(operation)


class _Repo:
    def __init__(self, store: FakeStore, rows: Rows) -> None:
        self._store = store
        self._rows = rows


class FakeOrganizations(_Repo):
    def add(self, organization: Organization) -> None:
        self._rows.organizations[organization.id] = organization

    def get(self, organization_id: str) -> Organization | None:
        return self._rows.organizations.get(organization_id)

    def find_by_name(self, name: str) -> Organization | None:
        return next((o for o in self._rows.organizations.values() if o.name == name), None)


class FakeApiKeys(_Repo):
    def add(self, key: ApiKey) -> None:
        self._rows.api_keys[key.id] = key

    def find_by_hash(self, secret_hash: str) -> ApiKey | None:
        return next((k for k in self._rows.api_keys.values() if k.secret_hash == secret_hash), None)


class FakeOperators(_Repo):
    def add(self, user: OperatorUser) -> None:
        self._rows.operators[user.id] = user

    def find_by_email(self, email: str) -> OperatorUser | None:
        return next((u for u in self._rows.operators.values() if u.email == email), None)

    def get(self, user_id: str) -> OperatorUser | None:
        return self._rows.operators.get(user_id)


class FakeAccounts(_Repo):
    def add(self, account: Account) -> None:
        self._store.check("accounts.add")
        assert account.id not in self._rows.accounts, "duplicate primary key"
        self._rows.accounts[account.id] = account

    def get(self, organization_id: str, account_id: str) -> Account | None:
        account = self._rows.accounts.get(account_id)
        return account if account and account.organization_id == organization_id else None

    def update(self, account: Account) -> None:
        self._store.check("accounts.update")
        if self.get(account.organization_id, account.id) is not None:
            self._rows.accounts[account.id] = account

    def find_by_external_id(self, organization_id: str, external_id: str) -> Account | None:
        return next(
            (
                a
                for a in self._rows.accounts.values()
                if a.organization_id == organization_id and a.external_id == external_id
            ),
            None,
        )

    def list(
        self,
        organization_id: str,
        *,
        search: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Account]:
        def matches(a: Account) -> bool:
            if search is None:
                return True
            needle = search.lower()
            texts = (a.name, a.email, a.external_id or "")
            return any(needle in t.lower() for t in texts) or a.id == search

        found = sorted(
            (
                a
                for a in self._rows.accounts.values()
                if a.organization_id == organization_id and matches(a)
            ),
            key=lambda a: (a.created_at, a.id),
        )
        if after is not None:
            found = [a for a in found if (a.created_at, a.id) > after]
        return found[:limit]


class FakeInvoiceAddresses(_Repo):
    def add(self, address: InvoiceAddress) -> None:
        self._store.check("invoice_addresses.add")
        self._rows.invoice_addresses[address.id] = address

    def get(self, organization_id: str, address_id: str) -> InvoiceAddress | None:
        address = self._rows.invoice_addresses.get(address_id)
        return address if address and address.organization_id == organization_id else None

    def update(self, address: InvoiceAddress) -> None:
        self._store.check("invoice_addresses.update")
        if self.get(address.organization_id, address.id) is not None:
            self._rows.invoice_addresses[address.id] = address

    def list_for_account(self, organization_id: str, account_id: str) -> Sequence[InvoiceAddress]:
        return sorted(
            (
                a
                for a in self._rows.invoice_addresses.values()
                if a.organization_id == organization_id and a.account_id == account_id
            ),
            key=lambda a: (a.created_at, a.id),
        )


class FakePortalLinks(_Repo):
    def add(self, link: PortalLinkRecord) -> None:
        self._rows.portal_links[link.id] = link

    def use(self, link_id: str, now: datetime) -> bool:
        link = self._rows.portal_links.get(link_id)
        if link is None or link.used_at is not None or link.expires_at <= now:
            return False
        self._rows.portal_links[link_id] = replace(link, used_at=now)
        return True

    def purge(self, now: datetime) -> int:
        gone = [k for k, link in self._rows.portal_links.items() if link.expires_at <= now]
        for key in gone:
            del self._rows.portal_links[key]
        return len(gone)


class FakeUnitOfWork:
    """Implements plansmith.application.ports.UnitOfWork over a FakeStore."""

    organizations: FakeOrganizations
    api_keys: FakeApiKeys
    operators: FakeOperators
    accounts: FakeAccounts
    invoice_addresses: FakeInvoiceAddresses
    portal_links: FakePortalLinks

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self._working: Rows | None = None

    def __enter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("this unit of work is already open")
        self._bind(self.store.snapshot())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None  # uncommitted work is simply dropped

    def commit(self) -> None:
        if self._working is None:
            raise RuntimeError("commit() outside the 'with' block")
        self.store.rows = copy.deepcopy(self._working)
        self.store.commits += 1

    def rollback(self) -> None:
        if self._working is None:
            raise RuntimeError("rollback() outside the 'with' block")
        self._bind(self.store.snapshot())

    def _bind(self, working: Rows) -> None:
        self._working = working
        self.organizations = FakeOrganizations(self.store, working)
        self.api_keys = FakeApiKeys(self.store, working)
        self.operators = FakeOperators(self.store, working)
        self.accounts = FakeAccounts(self.store, working)
        self.invoice_addresses = FakeInvoiceAddresses(self.store, working)
        self.portal_links = FakePortalLinks(self.store, working)
