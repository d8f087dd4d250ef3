"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db.accounts.repositories import SqlAccounts, SqlInvoiceAddresses
from plansmith.adapters.db.billing.run_repositories import SqlRunRecords
from plansmith.adapters.db.billing.upcoming_reads import SqlUpcomingReads
from plansmith.adapters.db.billing.writer import SqlBillingBatches
from plansmith.adapters.db.catalog.price_books import (
    PriceBookCache,
    SqlPriceBooks,
    bump_touched,
    forget_touched,
)
from plansmith.adapters.db.catalog.repositories import (
    SqlAddOns,
    SqlExtraPacks,
    SqlPlanFamilies,
    SqlPlans,
    SqlPlanVersions,
)
from plansmith.adapters.db.events.outbox import SqlOutbox, write_events
from plansmith.adapters.db.invoicing.coupons import SqlCoupons
from plansmith.adapters.db.invoicing.invoices import SqlInvoices
from plansmith.adapters.db.invoicing.ledger import SqlLedger
from plansmith.adapters.db.invoicing.tax_rates import SqlTaxRates
from plansmith.adapters.db.organizations.branding import SqlBranding
from plansmith.adapters.db.organizations.repositories import (
    SqlApiKeys,
    SqlOperatorUsers,
    SqlOrganizations,
)
from plansmith.adapters.db.organizations.sessions import (
    SqlPortalLinks,
    SqlSignInThrottles,
    SqlWebSessions,
)
from plansmith.adapters.db.payments.batches import SqlCollectionBatches
from plansmith.adapters.db.payments.collections import SqlCollections, SqlDunningPolicies
from plansmith.adapters.db.payments.methods import SqlPaymentMethods
from plansmith.adapters.db.payments.payments import SqlPayments
from plansmith.adapters.db.payments.standing_reads import SqlStandingReads
from plansmith.adapters.db.reading import ReadScope
from plansmith.adapters.db.subscriptions.reports import SqlSubscriptionReports
from plansmith.adapters.db.subscriptions.repositories import SqlSubscriptions
from plansmith.adapters.db.usage.events import SqlUsage
from plansmith.adapters.db.usage.meters import SqlMeters, SqlUsageSettings
from plansmith.adapters.db.usage.packs import SqlPacks
from plansmith.adapters.db.webhooks.repositories import SqlWebhooks
from plansmith.adapters.idempotency import fence_current_claim
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.events import DomainEvent


class SqlUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        price_books: PriceBookCache | None = None,
        scope: ReadScope | None = None,
    ) -> None:
        self._session_factory = session_factory
        # A request that only reads: every unit of work of it shares the scope's session (one
        # transaction), which the scope's owner closes at the end of the request.
        self._scope = scope
        # The process's price books; a unit of work made without one keeps its own (no reuse).
        self._price_books = price_books if price_books is not None else PriceBookCache()
        self._session: Session | None = None
        self._published: list[DomainEvent] = []

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; make a new one per use case")
        if self._scope is not None:
            self._session = session = self._scope.session(self._session_factory)
        else:
            self._session = session = self._session_factory()
        self.organizations = SqlOrganizations(session)
        self.api_keys = SqlApiKeys(session)
        self.operators = SqlOperatorUsers(session)
        self.accounts = SqlAccounts(session)
        self.invoice_addresses = SqlInvoiceAddresses(session)
        self.families = SqlPlanFamilies(session)
        self.plans = SqlPlans(session)
        self.plan_versions = SqlPlanVersions(session)
        self.add_ons = SqlAddOns(session)
        self.extra_packs = SqlExtraPacks(session)
        self.price_books = SqlPriceBooks(session, self._price_books)
        self.subscriptions = SqlSubscriptions(session)
        self.billing_batches = SqlBillingBatches(session)
        self.upcoming_reads = SqlUpcomingReads(session)
        self.subscription_reports = SqlSubscriptionReports(session)
        self.invoices = SqlInvoices(session)
        self.ledger = SqlLedger(session)
        self.coupons = SqlCoupons(session)
        self.tax_rates = SqlTaxRates(session)
        self.billing_runs = SqlRunRecords(session)
        self.web_sessions = SqlWebSessions(session)
        self.portal_links = SqlPortalLinks(session)
        self.sign_in_throttles = SqlSignInThrottles(session)
        self.outbox = SqlOutbox(session)
        self.branding = SqlBranding(session)
        self.payment_methods = SqlPaymentMethods(session)
        self.payments = SqlPayments(session)
        self.collections = SqlCollections(session)
        self.standing_reads = SqlStandingReads(session)
        self.dunning_policies = SqlDunningPolicies(session)
        self.meters = SqlMeters(session)
        self.usage = SqlUsage(session)
        self.usage_settings = SqlUsageSettings(session)
        self.usage_packs = SqlPacks(session)
        self.webhooks = SqlWebhooks(session)
        self.collection_batches = SqlCollectionBatches(session)
        self._published = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        self._published = []
        forget_touched(self._session)
        if self._scope is not None:  # the request's shared session: its owner closes it
            if exc is not None:
                self._session.rollback()
            self._session = None
            return
        try:
            self._session.rollback()  # a no-op after commit()
        finally:
            self._session.close()
            self._session = None
        if isinstance(exc, IntegrityError):
            # A unique constraint or guard trigger refused a statement: most often a request
            # that raced another one past the use case's own checks.
            raise _clash() from exc

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside a 'with' block")
        return self._session

    def publish(self, events: Sequence[DomainEvent]) -> None:
        # Held until commit, then written in one statement just before the COMMIT: a batch
        # of many subscriptions writes its events at once, and only ever with its changes.
        self.session  # noqa: B018 - refuses outside the block
        self._published.extend(events)

    def commit(self) -> None:
        session = self.session
        try:
            write_events(session, self._published)
            self._published = []
            # The API's idempotency claim is marked in this same transaction, so a request
            # whose writes committed can never run a second time under the same key.
            fence_current_claim(session)
            # Catalog writes bump their organization's revision with them: no process quotes
            # from its copy of the price book once this commit is visible.
            bump_touched(session)
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise _clash() from exc

    def rollback(self) -> None:
        self._published = []
        forget_touched(self.session)
        self.session.rollback()


def _clash() -> Conflict:
    return Conflict(
        "the change clashes with one made at the same time; fetch the current state and retry",
        code=ec.CONCURRENT_CHANGE,
    )
