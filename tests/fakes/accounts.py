"""Fakes of the organization, API key, key use, operator, account and invoice address ports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from plansmith.application.accounts.ports import AccountRepository, InvoiceAddressRepository
from plansmith.application.organizations.ports import (
    ApiKeyRepository,
    KeyUses,
    OperatorUserRepository,
    OrganizationRepository,
)
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.organizations.organization import ApiKey, OperatorUser, Organization
from tests.fakes.store import FakeStore, Repo, Rows, clash, page


class FakeOrganizations(Repo):
    def add(self, organization: Organization) -> None:
        rows = self._rows.organizations
        if organization.id in rows or any(o.name == organization.name for o in rows.values()):
            raise clash()
        rows[organization.id] = organization

    def get(self, organization_id: str) -> Organization | None:
        return self._rows.organizations.get(organization_id)

    def find_by_name(self, name: str) -> Organization | None:
        return next((o for o in self._rows.organizations.values() if o.name == name), None)

    def all(self) -> Sequence[Organization]:
        return sorted(self._rows.organizations.values(), key=lambda o: (o.created_at, o.id))

    def hold(self, organization_id: str) -> Organization | None:
        return self.get(organization_id)  # one fake unit of work runs at a time

    def sandboxes(
        self, owner_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Organization]:
        owned = [o for o in self.all() if o.owner_id == owner_id and o.archived_at is None]
        return [o for o in owned if after is None or (o.created_at, o.id) > after][:limit]

    def count_sandboxes(self, owner_id: str) -> int:
        return len(self.sandboxes(owner_id, after=None, limit=len(self._rows.organizations)))

    def archive(self, sandbox_id: str, at: datetime) -> bool:
        org = self._rows.organizations.get(sandbox_id)
        if org is None or org.owner_id is None or org.archived_at is not None:
            return False
        self._rows.organizations[sandbox_id] = replace(org, archived_at=at)
        return True

    def made_by_form(self, owner_id: str, token: str) -> Organization | None:
        sandbox_id = self._rows.sandbox_forms.get((owner_id, token))
        return None if sandbox_id is None else self._rows.organizations.get(sandbox_id)

    def remember_form(self, owner_id: str, token: str, sandbox_id: str, at: datetime) -> None:
        if (owner_id, token) in self._rows.sandbox_forms:
            raise clash()
        self._rows.sandbox_forms[(owner_id, token)] = sandbox_id

    def move_test_clock(self, organization_id: str, expected: datetime, to: datetime) -> bool:
        org = self._rows.organizations.get(organization_id)
        if org is None or not org.sandbox or org.test_clock_at != expected:
            return False
        self._rows.organizations[organization_id] = replace(org, test_clock_at=to)
        return True


class FakeApiKeys(Repo):
    def add(self, key: ApiKey) -> None:
        rows = self._rows.api_keys
        if key.id in rows or any(k.secret_hash == key.secret_hash for k in rows.values()):
            raise clash()
        rows[key.id] = key

    def find_by_hash(self, secret_hash: str) -> ApiKey | None:
        return next((k for k in self._rows.api_keys.values() if k.secret_hash == secret_hash), None)

    def caller(self, secret_hash: str) -> tuple[ApiKey, Organization] | None:
        key = self.find_by_hash(secret_hash)
        organization = self._rows.organizations.get(key.organization_id) if key else None
        return (key, organization) if key and organization else None

    def get(self, organization_id: str, key_id: str) -> ApiKey | None:
        key = self._rows.api_keys.get(key_id)
        return key if key and key.organization_id == organization_id else None

    def list(
        self, organization_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiKey]:
        found = [
            ((k.created_at, k.id), k)
            for k in self._rows.api_keys.values()
            if k.organization_id == organization_id
        ]
        return page(found, after, limit)

    def revoke(self, organization_id: str, key_id: str, at: datetime) -> bool:
        key = self.get(organization_id, key_id)
        if key is None or key.revoked_at is not None:
            return False
        if key.expires_at is not None and key.expires_at <= at:
            return False
        self._rows.api_keys[key_id] = replace(key, revoked_at=at)
        return True

    def revoke_all(self, organization_id: str, at: datetime) -> int:
        keys = [k for k in self._rows.api_keys.values() if k.organization_id == organization_id]
        working = [k for k in keys if k.revoked_at is None and k.works_at(at)]
        for key in working:
            self._rows.api_keys[key.id] = replace(key, revoked_at=at)
        return len(working)

    def expire(self, organization_id: str, key_id: str, at: datetime) -> bool:
        key = self.get(organization_id, key_id)
        if key is None or key.revoked_at is not None or key.expires_at is not None:
            return False
        self._rows.api_keys[key_id] = replace(key, expires_at=at)
        return True


class FakeKeyUses:
    """Writes straight to the committed rows: in SQL it is its own short transaction."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def record(self, key_id: str, at: datetime, *, if_before: datetime) -> None:
        key = self._store.rows.api_keys.get(key_id)
        if key is None or (key.last_used_at is not None and key.last_used_at >= if_before):
            return
        self._store.rows.api_keys[key_id] = replace(key, last_used_at=at)


class FakeOperators(Repo):
    def add(self, user: OperatorUser) -> None:
        rows = self._rows.operators
        if user.id in rows or any(u.email == user.email for u in rows.values()):
            raise clash()
        rows[user.id] = user

    def update(self, user: OperatorUser) -> None:
        if user.id in self._rows.operators:
            self._rows.operators[user.id] = user

    def remove(self, user_id: str) -> None:
        self._rows.operators.pop(user_id, None)

    def find_by_email(self, email: str) -> OperatorUser | None:
        return next((u for u in self._rows.operators.values() if u.email == email), None)

    def get(self, user_id: str) -> OperatorUser | None:
        return self._rows.operators.get(user_id)


class FakeAccounts(Repo):
    def add(self, account: Account) -> None:
        self._store.check("accounts.add")
        rows = self._rows.accounts
        taken = account.external_id is not None and (
            self.find_by_external_id(account.organization_id, account.external_id) is not None
        )
        if account.id in rows or taken:
            raise clash()
        rows[account.id] = account

    def get(self, organization_id: str, account_id: str) -> Account | None:
        account = self._rows.accounts.get(account_id)
        return account if account and account.organization_id == organization_id else None

    def get_many(self, organization_id: str, account_ids: Iterable[str]) -> Mapping[str, Account]:
        found = (self.get(organization_id, account_id) for account_id in account_ids)
        return {a.id: a for a in found if a is not None}

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
            if not search:
                return True
            needle = search.lower()
            texts = (a.name, a.email, a.external_id or "")
            return any(needle in t.lower() for t in texts) or a.id == search

        found = [
            ((a.created_at, a.id), a)
            for a in self._rows.accounts.values()
            if a.organization_id == organization_id and matches(a)
        ]
        return page(found, after, limit)


class FakeInvoiceAddresses(Repo):
    def add(self, address: InvoiceAddress) -> None:
        self._store.check("invoice_addresses.add")
        if address.id in self._rows.invoice_addresses:
            raise clash()
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


# mypy checks each fake against its port here: a port change breaks the fake at lint time.
_store, _rows = FakeStore(), Rows()
_organizations: OrganizationRepository = FakeOrganizations(_store, _rows)
_api_keys: ApiKeyRepository = FakeApiKeys(_store, _rows)
_key_uses: KeyUses = FakeKeyUses(_store)
_operators: OperatorUserRepository = FakeOperators(_store, _rows)
_accounts: AccountRepository = FakeAccounts(_store, _rows)
_addresses: InvoiceAddressRepository = FakeInvoiceAddresses(_store, _rows)
