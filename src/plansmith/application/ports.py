"""What the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from plansmith.application.billing_ports import (
    BillingRunRepository,
    CouponRepository,
    InvoiceRepository,
    LedgerRepository,
    TaxRateRepository,
)
from plansmith.application.billing_snapshot import BillingBatches
from plansmith.application.outbox_ports import OutboxRepository
from plansmith.application.session_ports import (
    PortalLinkRepository,
    SignInThrottleRepository,
    WebSessionRepository,
)
from plansmith.domain.accounts import Account, InvoiceAddress
from plansmith.domain.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog import Plan, PlanFamily, PlanVersion, PlanVersionMove
from plansmith.domain.events import DomainEvent
from plansmith.domain.held_log import Span
from plansmith.domain.organizations import ApiKey, OperatorUser, Organization
from plansmith.domain.subscription_events import SubscriptionEvent
from plansmith.domain.subscriptions import BillableItem, Status, Subscription

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
    def all(self) -> Sequence[Organization]:
        """Every organization of the deployment, oldest first (operators' own tools only)."""
        ...

    def move_test_clock(self, organization_id: str, expected: datetime, to: datetime) -> bool:
        """Set a sandbox's test clock from ``expected`` to ``to``; False if it is not a sandbox
        or its clock is no longer at ``expected``."""
        ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def find_by_hash(self, secret_hash: str) -> ApiKey | None: ...
    def get(self, organization_id: str, key_id: str) -> ApiKey | None: ...
    def list(
        self, organization_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiKey]:
        """Keys ordered by (created_at, id), strictly after the given position."""
        ...

    def revoke(self, organization_id: str, key_id: str, at: datetime) -> bool:
        """Set revoked_at if the key still works at ``at``; False if it does not (or is not
        the organization's). One conditional statement, so two revokes cannot both win."""
        ...

    def expire(self, organization_id: str, key_id: str, at: datetime) -> bool:
        """Set expires_at to ``at`` if the key is neither revoked nor rolled already (only a
        roll sets an expiry); False otherwise. One conditional statement."""
        ...


class KeyUses(Protocol):
    """When each API key was last used. Written in its own short transaction: bookkeeping, no
    part of the request's own effect (nor of its Idempotency-Key's)."""

    def record(self, key_id: str, at: datetime, *, if_before: datetime) -> None:
        """Set last_used_at to ``at`` unless it is already ``if_before`` or later."""
        ...


class OperatorUserRepository(Protocol):
    def add(self, user: OperatorUser) -> None: ...
    def update(self, user: OperatorUser) -> None: ...
    def remove(self, user_id: str) -> None: ...
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
    @property
    def families(self) -> PlanFamilyRepository: ...
    @property
    def plans(self) -> PlanRepository: ...
    @property
    def plan_versions(self) -> PlanVersionRepository: ...
    @property
    def add_ons(self) -> AddOnRepository: ...
    @property
    def extra_packs(self) -> ExtraPackRepository: ...
    @property
    def subscriptions(self) -> SubscriptionRepository: ...
    @property
    def invoices(self) -> InvoiceRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def coupons(self) -> CouponRepository: ...
    @property
    def tax_rates(self) -> TaxRateRepository: ...
    @property
    def billing_runs(self) -> BillingRunRepository: ...
    @property
    def billing_batches(self) -> BillingBatches: ...
    @property
    def web_sessions(self) -> WebSessionRepository: ...
    @property
    def portal_links(self) -> PortalLinkRepository: ...
    @property
    def sign_in_throttles(self) -> SignInThrottleRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Write ``events`` to the outbox in this transaction: with its commit, or not at all."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class PlanFamilyRepository(Protocol):
    def add(self, family: PlanFamily) -> None: ...
    def update(self, family: PlanFamily) -> None: ...
    def get(self, organization_id: str, family_id: str) -> PlanFamily | None: ...
    def by_code(self, organization_id: str, code: str) -> PlanFamily | None: ...
    def list(self, organization_id: str) -> Sequence[PlanFamily]: ...


class PlanRepository(Protocol):
    def add(self, plan: Plan) -> None: ...
    def update(self, plan: Plan) -> None: ...
    def get(self, organization_id: str, plan_id: str) -> Plan | None: ...
    def by_code(self, organization_id: str, code: str) -> Plan | None: ...
    def list(self, organization_id: str) -> Sequence[Plan]:
        """Every plan, archived ones too, by family then rank."""
        ...


class PlanVersionRepository(Protocol):
    def add(self, version: PlanVersion) -> None: ...
    def update(self, version: PlanVersion) -> None:
        """Status, name and channels always; terms only while a draft (the database refuses)."""
        ...

    def for_plan(self, plan_id: str) -> Sequence[PlanVersion]:
        """Oldest first."""
        ...

    def for_plans(self, plan_ids: Sequence[str]) -> Sequence[PlanVersion]: ...
    def add_move(self, move: PlanVersionMove) -> None: ...
    def moves(self, plan_id: str) -> Sequence[PlanVersionMove]: ...
    def moves_of(self, plan_ids: Sequence[str]) -> Sequence[PlanVersionMove]:
        """The moves of every plan given, in one read, oldest first."""
        ...


class AddOnRepository(Protocol):
    def add(self, add_on: AddOn) -> None: ...
    def update(self, add_on: AddOn) -> None: ...
    def get(self, organization_id: str, add_on_id: str) -> AddOn | None: ...
    def by_code(self, organization_id: str, code: str) -> AddOn | None: ...
    def list(self, organization_id: str) -> Sequence[AddOn]: ...


class ExtraPackRepository(Protocol):
    def add(self, pack: ExtraPack) -> None: ...
    def update(self, pack: ExtraPack) -> None: ...
    def get(self, organization_id: str, pack_id: str) -> ExtraPack | None: ...
    def by_code(self, organization_id: str, code: str) -> ExtraPack | None: ...
    def list(self, organization_id: str) -> Sequence[ExtraPack]: ...


@dataclass(frozen=True)
class StoredItem:
    """A pending billable item as saved: which subscription and event it came from."""

    id: str
    subscription_id: str
    event_id: str
    item: BillableItem
    invoice_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class RecordedEvent:
    """A subscription event as its history keeps it (the words its API answers show)."""

    kind: str
    at: datetime
    effective: date
    from_status: Status | None
    to_status: Status
    details: dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    id: str
    subscription_id: str
    seq: int
    actor: str
    event: RecordedEvent


@dataclass(frozen=True)
class StoredNotice:
    """What a subscriber must be told before a plan-version move takes effect."""

    id: str
    subscription_id: str
    account_id: str
    move_id: str
    effective_on: str  # "now" or an ISO date: the subscriber's renewal
    text: str
    created_at: datetime


class SubscriptionRepository(Protocol):
    def add(self, subscription: Subscription) -> None:
        """Insert; Conflict(already_subscribed) if the account holds a plan of the family."""
        ...

    def update(self, subscription: Subscription, expected_revision: int) -> None:
        """Save with revision + 1, only if the stored revision is still the expected one;
        Conflict(concurrent_change) otherwise (another request or worker got there first)."""
        ...

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None: ...
    def for_account(self, organization_id: str, account_id: str) -> Sequence[Subscription]:
        """Oldest first."""
        ...

    def list(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Subscription]:
        """Ordered by (created_at, id), strictly after the given position."""
        ...

    def holding(self, organization_id: str, version_ids: Sequence[str]) -> Sequence[Subscription]:
        """Subscriptions that hold a place (trialing, active, past_due, paused) on the versions."""
        ...

    def using_add_on(self, organization_id: str, code: str) -> Sequence[Subscription]:
        """Subscriptions the renewal step will still price with the add-on: holding a place or
        with days to bill, with it in their terms or in their scheduled change."""
        ...

    def due(
        self,
        organization_id: str | None,
        as_of: datetime,
        limit: int,
        after: tuple[str, datetime, str] | None = None,
    ) -> Sequence[tuple[str, str, datetime]]:
        """(organization id, subscription id, due at) of subscriptions whose next period end
        is at or before ``as_of``, by (organization, due at, id) and strictly after ``after``;
        of one organization, or of all live ones with None."""
        ...

    def counts_by_version(self, organization_id: str) -> dict[str, int]:
        """Subscriptions holding a place, per plan version id."""
        ...

    def log(self, subscription_id: str) -> Sequence[Span]: ...
    def save_log(
        self, subscription: Subscription, write: Sequence[Span], delete_seqs: Sequence[int]
    ) -> None: ...
    def history(self, organization_id: str, account_id: str) -> Sequence[tuple[str, Span]]:
        """(family id, span) for every span of the account's subscriptions, oldest first."""
        ...

    def add_events(
        self,
        subscription: Subscription,
        events: Sequence[SubscriptionEvent],
        actor: str,
        at: datetime,
    ) -> Sequence[str]:
        """Append, returning the new event ids in order."""
        ...

    def events(self, subscription_id: str) -> Sequence[StoredEvent]: ...
    def add_items(self, subscription: Subscription, items: Sequence[StoredItem]) -> None: ...
    def items(self, subscription_id: str, *, pending_only: bool) -> Sequence[StoredItem]: ...
    def add_notices(self, notices: Sequence[StoredNotice]) -> None: ...
    def notices(self, subscription_id: str) -> Sequence[StoredNotice]: ...
    def next_due_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        """The earliest instant in (after, until] at which one of the organization's
        subscriptions falls due, if any."""
        ...
