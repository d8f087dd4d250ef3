"""The fake of the UnitOfWork port: every repository a fake over one working copy of the store."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.kernel.events import DomainEvent
from tests.fakes.accounts import (
    FakeAccounts,
    FakeApiKeys,
    FakeInvoiceAddresses,
    FakeOperators,
    FakeOrganizations,
)
from tests.fakes.billing import FakeBillingRuns, FakeCoupons, FakeTaxRates
from tests.fakes.billing_batches import FakeBillingBatches
from tests.fakes.branding import FakeBranding
from tests.fakes.catalog import (
    FakeAddOns,
    FakeExtraPacks,
    FakePlanFamilies,
    FakePlans,
    FakePlanVersions,
    FakePriceBooks,
)
from tests.fakes.collection_batches import FakeCollectionBatches
from tests.fakes.invoices import FakeInvoices, FakeLedger
from tests.fakes.outbox import FakeOutbox, write_events
from tests.fakes.payments import (
    FakeCollections,
    FakeDunningPolicies,
    FakePaymentMethods,
    FakePayments,
)
from tests.fakes.sessions import FakePortalLinks, FakeSignInThrottles, FakeWebSessions
from tests.fakes.standing_reads import FakeStandingReads
from tests.fakes.store import FakeStore, Rows
from tests.fakes.subscription_reports import FakeSubscriptionReports
from tests.fakes.subscriptions import FakeSubscriptions
from tests.fakes.upcoming_reads import FakeUpcomingReads
from tests.fakes.usage import FakeMeters, FakePacks, FakeUsage, FakeUsageSettings
from tests.fakes.webhooks import FakeWebhooks


class FakeUnitOfWork:
    """One transaction over a FakeStore: entering copies the committed rows, commit() copies
    them back, leaving without commit() drops them. Like the SQL one, it refuses to be
    entered twice at once (a new one per use case), and holds published events until
    commit(), which writes them to the outbox with the rest; a rollback drops them."""

    organizations: FakeOrganizations
    api_keys: FakeApiKeys
    operators: FakeOperators
    accounts: FakeAccounts
    invoice_addresses: FakeInvoiceAddresses
    families: FakePlanFamilies
    plans: FakePlans
    plan_versions: FakePlanVersions
    add_ons: FakeAddOns
    extra_packs: FakeExtraPacks
    subscriptions: FakeSubscriptions
    invoices: FakeInvoices
    ledger: FakeLedger
    coupons: FakeCoupons
    tax_rates: FakeTaxRates
    billing_runs: FakeBillingRuns
    billing_batches: FakeBillingBatches
    upcoming_reads: FakeUpcomingReads
    subscription_reports: FakeSubscriptionReports
    outbox: FakeOutbox
    web_sessions: FakeWebSessions
    portal_links: FakePortalLinks
    sign_in_throttles: FakeSignInThrottles
    branding: FakeBranding
    payment_methods: FakePaymentMethods
    payments: FakePayments
    collections: FakeCollections
    standing_reads: FakeStandingReads
    dunning_policies: FakeDunningPolicies
    meters: FakeMeters
    usage: FakeUsage
    usage_settings: FakeUsageSettings
    usage_packs: FakePacks
    webhooks: FakeWebhooks
    collection_batches: FakeCollectionBatches

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self._working: Rows | None = None
        self._published: list[DomainEvent] = []

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
        self._published = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self._working is None:
            raise RuntimeError("publish() outside the 'with' block")
        self._published.extend(events)

    def commit(self) -> None:
        if self._working is None:
            raise RuntimeError("commit() outside the 'with' block")
        write_events(self._working, self._published)
        self._published = []
        self.store.rows = self.store.snapshot_of(self._working)
        self.store.commits += 1

    def rollback(self) -> None:
        if self._working is None:
            raise RuntimeError("rollback() outside the 'with' block")
        self._bind(self.store.snapshot())

    def _bind(self, working: Rows) -> None:
        self._working = working
        self._published = []
        store = self.store
        self.organizations = FakeOrganizations(store, working)
        self.api_keys = FakeApiKeys(store, working)
        self.operators = FakeOperators(store, working)
        self.accounts = FakeAccounts(store, working)
        self.invoice_addresses = FakeInvoiceAddresses(store, working)
        self.families = FakePlanFamilies(store, working)
        self.plans = FakePlans(store, working)
        self.plan_versions = FakePlanVersions(store, working)
        self.add_ons = FakeAddOns(store, working)
        self.extra_packs = FakeExtraPacks(store, working)
        self.price_books = FakePriceBooks(
            self.families, self.plans, self.plan_versions, self.add_ons
        )
        self.subscriptions = FakeSubscriptions(store, working)
        self.invoices = FakeInvoices(store, working)
        self.ledger = FakeLedger(store, working)
        self.coupons = FakeCoupons(store, working)
        self.tax_rates = FakeTaxRates(store, working)
        self.billing_runs = FakeBillingRuns(store, working)
        self.billing_batches = FakeBillingBatches(store, working)
        self.upcoming_reads = FakeUpcomingReads(store, working)
        self.subscription_reports = FakeSubscriptionReports(store, working)
        self.outbox = FakeOutbox(store, working)
        self.web_sessions = FakeWebSessions(store, working)
        self.portal_links = FakePortalLinks(store, working)
        self.sign_in_throttles = FakeSignInThrottles(store, working)
        self.branding = FakeBranding(store, working)
        self.payment_methods = FakePaymentMethods(store, working)
        self.payments = FakePayments(store, working)
        self.collections = FakeCollections(store, working)
        self.standing_reads = FakeStandingReads(store, working)
        self.dunning_policies = FakeDunningPolicies(store, working)
        self.meters = FakeMeters(store, working)
        self.usage = FakeUsage(store, working)
        self.usage_settings = FakeUsageSettings(store, working)
        self.usage_packs = FakePacks(store, working)
        self.webhooks = FakeWebhooks(store, working)
        self.collection_batches = FakeCollectionBatches(store, working)


def fake_uow(store: FakeStore) -> UnitOfWork:
    """A fake unit of work typed as the port: what use cases get in tests."""
    return FakeUnitOfWork(store)


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_uow: UnitOfWork = FakeUnitOfWork(FakeStore())
