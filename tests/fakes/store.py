"""The in-memory "database" the fakes share: one dict per table, copied per unit of work.

A FakeStore holds the committed rows. Entering a FakeUnitOfWork copies them into a working set
that the repositories read and write; commit() copies the working set back, and leaving the
block without commit() throws it away, exactly like a rolled-back transaction. The constraints
the database enforces (unique keys, guarded updates) are checked here too, raising what the SQL
repositories (or the SQL unit of work, for a bare unique violation) raise.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from plansmith.application.billing.ports import RunRecord
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments.ports import Collection
from plansmith.application.subscriptions.ports import StoredEvent, StoredItem, StoredNotice
from plansmith.application.usage.ports import EventRow
from plansmith.application.webhooks.ports import Delivery, Endpoint
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.catalog.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog.plans import Plan, PlanFamily, PlanVersion, PlanVersionMove
from plansmith.domain.invoicing.coupons import Coupon
from plansmith.domain.invoicing.invoice import CreditNote, Invoice, TaxRate
from plansmith.domain.invoicing.ledger import Transaction
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.branding import Branding, Seller
from plansmith.domain.organizations.organization import ApiKey, OperatorUser, Organization
from plansmith.domain.organizations.sessions import PortalLinkRecord, WebSession
from plansmith.domain.organizations.sign_in_throttle import Throttle
from plansmith.domain.payments.dunning import DunningPolicy
from plansmith.domain.payments.payments import Payment, PaymentMethod
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.usage.meters import Meter
from plansmith.domain.usage.packs import PackPurchase
from plansmith.domain.usage.thresholds import ThresholdCrossing


class InjectedFailure(RuntimeError):
    """Raised by a fake repository method named in FakeStore.fail_on (a crashed write)."""


class Refused(RuntimeError):
    """What a database trigger refuses (a published version's terms, a ledger row changed):
    a bug in the caller, never a user's mistake, as in SQL."""


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    billing_key: str | None
    buyer: dict[str, object]
    seller: Seller | None = None  # kept when finalized


@dataclass(frozen=True)
class ItemRow:
    stored: StoredItem
    organization_id: str
    account_id: str
    position: int  # within the call that added it: orders the items of one event


@dataclass(frozen=True)
class SpanRow:
    subscription_id: str
    organization_id: str
    account_id: str
    family_id: str
    span: Span


@dataclass(frozen=True)
class RedemptionRow:
    id: str
    organization_id: str
    coupon_id: str
    subscription_id: str
    invoices_used: int
    created_at: datetime


@dataclass(frozen=True)
class TaxRateRow:
    rate: TaxRate
    organization_id: str
    created_at: datetime


@dataclass(frozen=True)
class MethodRow:
    method: PaymentMethod
    removed_at: datetime | None = None


@dataclass(frozen=True)
class CollectionMethodRow:
    organization_id: str
    method: str  # charge_automatically or send_invoice
    net_days: int


@dataclass
class Rows:
    organizations: dict[str, Organization] = field(default_factory=dict)
    sandbox_forms: dict[tuple[str, str], str] = field(default_factory=dict)  # -> sandbox id
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    operators: dict[str, OperatorUser] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    invoice_addresses: dict[str, InvoiceAddress] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    portal_links: dict[str, PortalLinkRecord] = field(default_factory=dict)
    throttles: dict[str, Throttle] = field(default_factory=dict)
    families: dict[str, PlanFamily] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    plan_versions: dict[str, PlanVersion] = field(default_factory=dict)
    plan_version_moves: dict[str, PlanVersionMove] = field(default_factory=dict)
    add_ons: dict[str, AddOn] = field(default_factory=dict)
    extra_packs: dict[str, ExtraPack] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    spans: dict[tuple[str, int], SpanRow] = field(default_factory=dict)
    events: dict[str, StoredEvent] = field(default_factory=dict)
    items: dict[str, ItemRow] = field(default_factory=dict)
    notices: dict[str, tuple[str, StoredNotice]] = field(default_factory=dict)  # (org, notice)
    invoices: dict[str, InvoiceRow] = field(default_factory=dict)
    credit_notes: dict[str, CreditNote] = field(default_factory=dict)
    document_sequences: dict[tuple[str, str], int] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    coupons: dict[str, Coupon] = field(default_factory=dict)
    redemptions: dict[str, RedemptionRow] = field(default_factory=dict)
    tax_rates: dict[str, TaxRateRow] = field(default_factory=dict)
    account_tax_rates: dict[str, str] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)
    run_jobs: set[tuple[str, int]] = field(default_factory=set)
    outbox: dict[str, PublishedEvent] = field(default_factory=dict)  # by id; ordered by seq
    branding: dict[str, tuple[Branding, bytes | None]] = field(default_factory=dict)
    payment_methods: dict[str, MethodRow] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    collections: dict[str, Collection] = field(default_factory=dict)  # by invoice id
    account_collection: dict[str, CollectionMethodRow] = field(default_factory=dict)
    dunning_policies: dict[str, DunningPolicy] = field(default_factory=dict)
    meters: dict[str, Meter] = field(default_factory=dict)
    usage_events: dict[tuple[str, str], EventRow] = field(default_factory=dict)
    usage_daily: dict[tuple[str, str, date], tuple[int, int, int | None]] = field(
        default_factory=dict
    )
    usage_unique: set[tuple[str, str, date, str]] = field(default_factory=set)
    usage_grace: dict[str, timedelta] = field(default_factory=dict)
    usage_packs: dict[str, PackPurchase] = field(default_factory=dict)
    allowance_thresholds: dict[tuple[str, str, date, int, int], ThresholdCrossing] = field(
        default_factory=dict
    )
    webhook_endpoints: dict[str, Endpoint] = field(default_factory=dict)
    webhook_deliveries: dict[tuple[str, str], Delivery] = field(default_factory=dict)

    def sandbox_ids(self) -> set[str]:
        """Organizations left out of every run over all organizations."""
        return {o.id for o in self.organizations.values() if o.sandbox}


@dataclass
class FakeStore:
    rows: Rows = field(default_factory=Rows)
    commits: int = 0
    fail_on: set[str] = field(default_factory=set)  # e.g. {"accounts.update"}

    def snapshot(self) -> Rows:
        return self.snapshot_of(self.rows)

    @staticmethod
    def snapshot_of(rows: Rows) -> Rows:
        return copy.deepcopy(rows)

    def check(self, operation: str) -> None:
        if operation in self.fail_on:
            raise InjectedFailure(operation)


class Repo:
    """A fake repository: the store (for injected failures) and the working rows."""

    def __init__(self, store: FakeStore, rows: Rows) -> None:
        self._store = store
        self._rows = rows


def clash() -> Conflict:
    """What the SQL unit of work turns a unique violation into."""
    return Conflict(
        "the change clashes with one made at the same time; fetch the current state and retry",
        code=ec.CONCURRENT_CHANGE,
    )


Position = tuple[datetime, str]
T = TypeVar("T")


def page(found: list[tuple[Position, T]], after: Position | None, limit: int | None) -> list[T]:
    """Keyset paging over (created_at, id), as adapters/db/paging.py does."""
    found.sort(key=lambda pair: pair[0])
    return [x for key, x in found if after is None or key > after][:limit]
