"""What the account use cases need from outside: account and invoice address storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from plansmith.domain.accounts.account import Account, InvoiceAddress


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...
    def get(self, organization_id: str, account_id: str) -> Account | None: ...
    def get_many(self, organization_id: str, account_ids: Iterable[str]) -> Mapping[str, Account]:
        """The organization's accounts among these ids, by id, in one read (unknown ids left
        out): a page of invoices reads its accounts at once, not one by one."""
        ...

    def update(self, account: Account) -> None: ...
    def find_by_external_id(self, organization_id: str, external_id: str) -> Account | None: ...
    def list(
        self,
        organization_id: str,
        *,
        search: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Account]:
        """Accounts ordered by (created_at, id), strictly after the given position."""
        ...


class InvoiceAddressRepository(Protocol):
    def add(self, address: InvoiceAddress) -> None: ...
    def get(self, organization_id: str, address_id: str) -> InvoiceAddress | None: ...
    def update(self, address: InvoiceAddress) -> None: ...
    def list_for_account(self, organization_id: str, account_id: str) -> Sequence[InvoiceAddress]:
        """Oldest first."""
        ...
