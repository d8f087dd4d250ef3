"""What the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from plansmith.domain.accounts import Account, InvoiceAddress
from plansmith.domain.organizations import ApiKey, OperatorUser, Organization

T = TypeVar("T")


class Clock(Protocol):
    """The only source of 'now'; tests pass a clock they can set and advance."""

    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; next_cursor is None on the last page."""

    items: Sequence[T]
    next_cursor: str | None


class OrganizationRepository(Protocol):
    def add(self, organization: Organization) -> None: ...
    def get(self, organization_id: str) -> Organization | None: ...
    def find_by_name(self, name: str) -> Organization | None: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def find_by_hash(self, secret_hash: str) -> ApiKey | None: ...


class OperatorUserRepository(Protocol):
    def add(self, user: OperatorUser) -> None: ...
    def find_by_email(self, email: str) -> OperatorUser | None: ...
    def get(self, user_id: str) -> OperatorUser | None: ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...
    def get(self, organization_id: str, account_id: str) -> Account | None: ...
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


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without commit() rolls everything back."""

    # Read-only, so any repository that satisfies the protocol will do.
    @property
    def organizations(self) -> OrganizationRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def operators(self) -> OperatorUserRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def invoice_addresses(self) -> InvoiceAddressRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
