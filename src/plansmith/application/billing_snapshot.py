"""What the billing step reads (a snapshot) and what it decides (an outcome), and the port that
loads the one and writes the other, for a whole batch of subscriptions at once.

The step (billing_step) is a pure function from a subscription's entry in the snapshot to its
outcome, so a batch of 500 and a single subscription take one path: load the snapshot in a
constant number of queries, compute each outcome, write them all in bulk, take the invoice
numbers last. A capability that billing needs adds one snapshot field (and its query), one
outcome field (and its write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from plansmith.application.billing_ports import Redemption
from plansmith.domain.accounts import Account, InvoiceAddress
from plansmith.domain.held_log import Span
from plansmith.domain.invoice_pricing import ChargedLine
from plansmith.domain.invoicing import Invoice, TaxRate
from plansmith.domain.ledger import Transaction
from plansmith.domain.renewals import RenewalMove
from plansmith.domain.subscription_events import SubscriptionEvent
from plansmith.domain.subscriptions import BillableItem, PriceBook, Subscription


@dataclass(frozen=True)
class SubscriptionSnapshot:
    """One subscription and everything its billing step reads."""

    subscription: Subscription
    log: tuple[Span, ...]  # its held terms, by seq
    # uninvoiced items (id, item), in the order their events made them
    pending: tuple[tuple[str, BillableItem], ...]
    last_event_seq: int  # 0: none yet
    invoiced_keys: frozenset[str]  # billing keys it has an invoice for already
    account: Account
    address: InvoiceAddress | None  # the account's default invoice address
    account_tax_rate_id: str | None  # a rate chosen for the account itself
    redemptions: tuple[Redemption, ...]  # its coupons, oldest first
    charged: tuple[ChargedLine, ...]  # invoiced charges its pending credits may reverse


@dataclass(frozen=True)
class BillingSnapshot:
    """A batch of one organization's subscriptions, with the organization's catalog."""

    organization_id: str
    book: PriceBook
    moves: Mapping[str, RenewalMove]  # from version id -> where it goes at renewal
    tax_rates: tuple[TaxRate, ...]  # the organization's, oldest first
    # (account id, currency) -> customer-credit balance (negative: owed to the customer);
    # held until commit for the accounts that have some, when loaded to finalize.
    credit: Mapping[tuple[str, str], int]
    entries: Mapping[str, SubscriptionSnapshot]  # by subscription id


@dataclass(frozen=True)
class NewItem:
    """A billable item the step made: caused by ``events[event]`` of its outcome."""

    id: str
    item: BillableItem
    event: int


@dataclass(frozen=True)
class InvoiceOutcome:
    invoice: Invoice  # a draft, or finalized (open or paid) with its number still to take
    billing_key: str
    buyer: Mapping[str, object]
    taken: tuple[str, ...]  # stored items it takes (those still uninvoiced only)
    posting: Transaction | None  # when finalized: what the ledger gets
    redemption_uses: tuple[str, ...]  # when finalized: a use counted on each

    @property
    def finalized(self) -> bool:
        return self.posting is not None


@dataclass(frozen=True)
class BillingOutcome:
    """What billing one subscription decided; nothing of it is stored yet."""

    before: Subscription  # as read: its revision is the one the update expects
    subscription: Subscription  # caught up with its period ends
    events: tuple[SubscriptionEvent, ...]  # empty: no period end passed, nothing to save
    first_seq: int  # the seq of its first event
    spans_written: tuple[Span, ...]
    spans_deleted: tuple[int, ...]
    items: tuple[NewItem, ...]
    invoice: InvoiceOutcome | None
    actor: str
    at: datetime

    @property
    def renewed(self) -> bool:
        return bool(self.events)


class BillingBatches(Protocol):
    """Loads snapshots and writes outcomes, inside the caller's unit of work."""

    def snapshot(
        self, organization_id: str, subscription_ids: Sequence[str], *, hold_credit: bool
    ) -> BillingSnapshot:
        """The organization's subscriptions among these ids (others are left out), in a
        number of queries that depends neither on how many there are nor on the catalog's
        size. ``hold_credit``: hold the accounts that have customer credit until commit (a
        row lock), so nobody else uses it meanwhile, and read their credit under the lock."""
        ...

    def write(self, outcomes: Sequence[BillingOutcome]) -> Mapping[str, str]:
        """Write every outcome in bulk; returns invoice id -> number for the finalized ones,
        numbered in the order given, taken from each organization's counter as the last
        statement. Conflict if a subscription changed since it was read (revision), an item
        was invoiced meanwhile, or an invoice exists for its billing key already."""
        ...
