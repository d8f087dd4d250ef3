"""The clock, paging, and the unit of work: one transaction over every capability's
repositories (each declared in its capability's ports module), committed only by a use case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

# The unit of work gathers every capability's repositories; a capability's ports module is its
# public contract, the one part of it any other may import (see the import contracts).
from plansmith.application.accounts.ports import AccountRepository, InvoiceAddressRepository
from plansmith.application.billing.ports import (
    BillingBatches,
    BillingRunRepository,
    UpcomingReads,
)
from plansmith.application.catalog.ports import (
    AddOnRepository,
    ExtraPackRepository,
    PlanFamilyRepository,
    PlanRepository,
    PlanVersionRepository,
    PriceBooks,
)
from plansmith.application.events.ports import OutboxRepository
from plansmith.application.invoicing.ports import (
    CouponRepository,
    InvoiceRepository,
    LedgerRepository,
    TaxRateRepository,
)
from plansmith.application.organizations.ports import (
    ApiKeyRepository,
    BrandingRepository,
    OperatorUserRepository,
    OrganizationRepository,
    PortalLinkRepository,
    SignInThrottleRepository,
    WebSessionRepository,
)
from plansmith.application.payments.ports import (
    CollectionBatches,
    CollectionRepository,
    DunningPolicyRepository,
    PaymentMethodRepository,
    PaymentRepository,
    StandingReads,
)
from plansmith.application.screens.ports import SubscriptionReports
from plansmith.application.subscriptions.ports import SubscriptionRepository
from plansmith.application.usage.ports import (
    MeterRepository,
    PackRepository,
    UsageRepository,
    UsageSettingsRepository,
)
from plansmith.application.webhooks.ports import WebhookRepository
from plansmith.domain.kernel.events import DomainEvent

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
    def price_books(self) -> PriceBooks: ...
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
    def upcoming_reads(self) -> UpcomingReads: ...
    @property
    def subscription_reports(self) -> SubscriptionReports: ...
    @property
    def web_sessions(self) -> WebSessionRepository: ...
    @property
    def portal_links(self) -> PortalLinkRepository: ...
    @property
    def sign_in_throttles(self) -> SignInThrottleRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def branding(self) -> BrandingRepository: ...
    @property
    def payment_methods(self) -> PaymentMethodRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...
    @property
    def collections(self) -> CollectionRepository: ...
    @property
    def standing_reads(self) -> StandingReads: ...
    @property
    def dunning_policies(self) -> DunningPolicyRepository: ...
    @property
    def meters(self) -> MeterRepository: ...
    @property
    def usage(self) -> UsageRepository: ...
    @property
    def usage_settings(self) -> UsageSettingsRepository: ...
    @property
    def usage_packs(self) -> PackRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def collection_batches(self) -> CollectionBatches: ...

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
