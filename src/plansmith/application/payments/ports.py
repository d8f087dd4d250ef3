"""What the payment use cases need: a payment gateway, and storage for payment methods,
payments, collections (the dunning state of an invoice) and each organization's policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import Transaction
from plansmith.domain.payments.dunning import DunningPolicy
from plansmith.domain.payments.payments import GatewayAnswer, Payment, PaymentMethod
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import Subscription


@dataclass(frozen=True)
class CardDetails:
    """A card as typed into plansmith's own sandbox card form. Lives only in memory for the
    request that tokenizes it: never stored, never logged (its repr hides the number)."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self) -> str:
        return f"CardDetails(number='…{self.number[-4:]}', exp={self.exp_month}/{self.exp_year})"


@dataclass(frozen=True)
class CardToSave:
    account_id: str
    email: str
    name: str
    customer_ref: str | None  # the gateway's customer, if the account has one already
    source: str  # a token from tokenize(), or the gateway's own payment-method id


@dataclass(frozen=True)
class SavedCard:
    token: str
    customer_ref: str | None
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeRequest:
    idempotency_key: str  # one per payment: the same key twice captures once
    amount: int  # minor units
    currency: str
    token: str
    customer_ref: str | None
    description: str


@dataclass(frozen=True)
class RefundRequest:
    idempotency_key: str
    charge_reference: str  # the gateway's id of the charge given back
    amount: int
    currency: str


def distinct_keys(requests: Sequence[ChargeRequest]) -> None:
    """ValueError naming the idempotency keys given more than once in one ``charge_many``
    (two requests under one key would race each other for one capture)."""
    counts = Counter(request.idempotency_key for request in requests)
    twice = sorted(key for key, count in counts.items() if count > 1)
    if twice:
        raise ValueError(
            f"charge_many was given these idempotency keys more than once: {', '.join(twice)}; "
            "one key per payment, once per call"
        )


class PaymentGateway(Protocol):
    """A payment gateway. ``charge`` and ``refund`` never raise for a decline or a timeout:
    they answer failed or unknown. Called outside any database transaction."""

    @property
    def name(self) -> str: ...

    def tokenize(self, card: CardDetails, today: date) -> str:
        """A token for a card typed into plansmith's own form (the sandbox's); InvalidValue
        naming the field for a wrong number (Luhn), a past expiry or a bad CVC."""
        ...

    def save_card(self, card: CardToSave) -> SavedCard:
        """Keep the card at the gateway for later charges off session."""
        ...

    def forget_card(self, token: str, customer_ref: str | None) -> None: ...

    def charge(self, request: ChargeRequest) -> GatewayAnswer: ...

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        """One answer per request, in the requests' order: what a collection run sends a
        batch of invoices with. Each request keeps its own idempotency key and fares exactly
        as ``charge(request)`` would: the same key twice captures once (in this call or any
        other), a timeout answers unknown, a decline failed; it never raises for a decline or
        a timeout, and one request's trouble answers that request only. Called outside any
        database transaction. The keys of one call are distinct (the caller makes them so):
        a key given twice raises ValueError before anything is sent (see ``distinct_keys``)."""
        ...

    def refund(self, request: RefundRequest) -> GatewayAnswer: ...


@dataclass(frozen=True)
class Collection:
    """An invoice being collected automatically: its dunning state."""

    invoice_id: str
    organization_id: str
    account_id: str
    next_attempt_at: datetime | None  # None: nothing more scheduled
    first_failure_at: datetime | None  # the first failed attempt (retries keep its wall time)
    failures: int
    stages_done: int  # escalation stages applied so far
    state: str  # scheduled, paid, exhausted, stopped


class PaymentMethodRepository(Protocol):
    def add(self, method: PaymentMethod) -> None: ...
    def get(self, organization_id: str, method_id: str) -> PaymentMethod | None:
        """A card not removed."""
        ...

    def get_any(self, method_id: str) -> PaymentMethod | None:
        """Removed or not (to resolve a payment made with it)."""
        ...

    def get_many(self, organization_id: str, method_ids: Sequence[str]) -> Sequence[PaymentMethod]:
        """The organization's cards of these ids, removed or not (a page of payments shows
        the card each was made with), read at once."""
        ...

    def of_account(self, account_id: str) -> Sequence[PaymentMethod]:
        """Cards not removed, the default first, then newest first."""
        ...

    def default_of(self, account_id: str) -> PaymentMethod | None: ...
    def make_default(self, account_id: str, method_id: str) -> None: ...
    def remove(self, method_id: str, at: datetime) -> None: ...
    def customer_ref(self, account_id: str, gateway: str) -> str | None:
        """The gateway customer of the account's cards, if any card carries one."""
        ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None:
        """Insert; Conflict(payment_in_progress) if the invoice has a payment in flight."""
        ...

    def get(self, organization_id: str, payment_id: str) -> Payment | None: ...
    def settle(self, payment: Payment, expected: Sequence[str]) -> bool:
        """Write status, reference, decline, settled_at and invoice (a portal change's
        payment gets its invoice when it settles) if the stored status is still one of
        ``expected``; False if someone settled it first."""
        ...

    def in_flight(self, invoice_id: str) -> Payment | None:
        """The invoice's pending or unknown payment, if any."""
        ...

    def unsettled(self, organization_id: str | None, limit: int) -> Sequence[Payment]:
        """Pending or unknown payments that no invoice's collection asks about (top-ups,
        refunds, a portal change's payment), oldest first."""
        ...

    def of_account(
        self, account_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Payment]:
        """Newest first, strictly before ``before``."""
        ...

    def of_invoice(self, invoice_id: str) -> Sequence[Payment]:
        """Oldest first."""
        ...

    def of_organization(
        self,
        organization_id: str,
        *,
        status: str | None,
        kind: str | None,
        before: tuple[datetime, str] | None,
        limit: int,
        account_id: str | None = None,
    ) -> Sequence[Payment]:
        """Newest first; ``account_id``: that account's only."""
        ...

    def by_reference(self, gateway: str, reference: str) -> Payment | None: ...


class CollectionRepository(Protocol):
    def get(self, invoice_id: str) -> Collection | None: ...
    def hold(self, invoice_id: str) -> Collection | None:
        """Read under the invoice's lock (the caller holds the invoice already)."""
        ...

    def save(self, collection: Collection, at: datetime) -> None:
        """Insert or replace."""
        ...

    def due(
        self, organization_id: str | None, now: datetime, limit: int, after: str | None
    ) -> Sequence[tuple[str, str]]:
        """(organization id, invoice id) to collect now, by invoice id after ``after``: open
        invoices owing money of accounts charged automatically with no collection yet, and
        scheduled collections whose next attempt is due. ``None``: every live organization."""
        ...

    def next_attempt_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        """The earliest scheduled attempt in (after, until]: where a test clock stops."""
        ...

    def credits_waiting(self, organization_id: str | None) -> Sequence[tuple[str, str, str]]:
        """(organization id, account id, currency) of each account holding a balance in a
        currency in which it has open invoices owing money: a credit to spread over them.
        ``None``: every live organization."""
        ...

    def of_organization(self, organization_id: str, state: str | None) -> Sequence[Collection]:
        """Oldest next attempt first."""
        ...

    def of_account(self, account_id: str) -> Sequence[Collection]: ...

    def state_of(self, account_id: str) -> tuple[str, int, Sequence[Collection]]:
        """(collection method, net days, the account's collections by invoice id), in one
        statement: what a page of invoices shows beside each (its due date, its next retry)."""
        ...

    def method_of(self, account_id: str) -> tuple[str, int]:
        """(charge_automatically or send_invoice, net days): how the account pays."""
        ...

    def set_method(
        self, organization_id: str, account_id: str, method: str, net_days: int, at: datetime
    ) -> None: ...


class DunningPolicyRepository(Protocol):
    def get(self, organization_id: str) -> DunningPolicy | None:
        """None: the default policy applies."""
        ...

    def put(self, organization_id: str, policy: DunningPolicy, at: datetime) -> None: ...


@dataclass(frozen=True)
class HeldBatch:
    """A batch of one organization's invoices as a collection finds them, read at once with
    the invoices held: what decides whether each can be charged in the batch."""

    invoices: Sequence[Invoice]  # held until the unit of work ends, in id order; no lines
    in_flight: Mapping[str, Payment]  # invoice id: its payment pending or unknown
    collected: frozenset[str]  # invoice ids that have a dunning state already
    holding_credit: frozenset[tuple[str, str]]  # (account id, currency) with a balance
    cards: Mapping[str, PaymentMethod]  # account id: its default card
    subscription_status: Mapping[str, str]  # subscription id: its status


class CollectionBatches(Protocol):
    """A collection batch's reads and writes, each one statement (or a fixed few) whatever
    the batch's size."""

    def hold(
        self, organization_id: str, invoice_ids: Sequence[str], *, to_charge: bool = True
    ) -> HeldBatch:
        """The organization's invoices of these ids, held (row locks, in id order, so two
        batches never wait in a circle), with what else the collection reads of them
        (``to_charge`` False: to record answers, so no balances and no cards)."""
        ...

    def add_payments(self, payments: Sequence[Payment]) -> None:
        """Insert; Conflict(payment_in_progress) if any of their invoices has one in flight
        (then nothing of them is written)."""
        ...

    def settle_payments(self, payments: Sequence[Payment]) -> None:
        """Write each one's outcome; the caller holds their invoices and read them in flight."""
        ...

    def post(self, transactions: Sequence[Transaction]) -> None:
        """Ledger transactions with their entries; Conflict(already_posted) if one was."""
        ...

    def update_invoices(self, invoices: Sequence[Invoice]) -> None:
        """Write what paying changed (status, amounts, stamps) of held invoices."""
        ...


@dataclass(frozen=True)
class AccountStanding:
    """What the entitlement check reads of one account besides its usage, in one statement."""

    account: Account
    catalog_revision: int  # the catalog revision this transaction sees (0 before any write)
    subscriptions: tuple[tuple[Subscription, tuple[Span, ...]], ...]  # oldest first, with logs
    # The most dunning stages applied to one of its unpaid (scheduled or exhausted) invoices,
    # None when nothing is unpaid: stages apply in order, so the most says the overdue state.
    unpaid_stages: int | None
    policy: DunningPolicy | None  # the organization's own, None: the default
    packs: Mapping[tuple[date, str], tuple[int, ...]]  # paid units per (period start, meter)


class StandingReads(Protocol):
    """The entitlement check's read, inside the caller's unit of work."""

    def account_standing(
        self, organization_id: str, account_id: str | None, external_id: str | None
    ) -> AccountStanding | None:
        """The account named by its id or its external id (one of them), with its
        subscriptions and logs, collections state, paid packs of its subscriptions' stored
        periods and the catalog revision, in one statement (None: no such account)."""
        ...
