"""Events of invoices, credit notes, plan-version moves and billing runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, TypedDict

from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class InvoiceEvent(DomainEvent):
    """An invoice's status changed; the amounts are its totals after the change."""

    OBJECT: ClassVar[str] = "invoice"

    organization_id: str
    account_id: str
    subscription_id: str | None
    invoice_id: str
    number: str | None
    status: str
    currency: str
    subtotal: int
    discount: int
    tax: int
    total: int
    credit_applied: int
    amount_due: int
    period_start: date | None
    period_end: date | None

    @property
    def object_id(self) -> str:
        return self.invoice_id


class InvoiceFields(TypedDict):
    organization_id: str
    account_id: str
    subscription_id: str | None
    invoice_id: str
    number: str | None
    status: str
    currency: str
    subtotal: int
    discount: int
    tax: int
    total: int
    credit_applied: int
    amount_due: int
    period_start: date | None
    period_end: date | None
    at: datetime


def invoice_fields(invoice: Invoice, at: datetime) -> InvoiceFields:
    """The fields every invoice event has, from the invoice after the change."""
    totals = invoice.totals
    return InvoiceFields(
        organization_id=invoice.organization_id,
        account_id=invoice.account_id,
        subscription_id=invoice.subscription_id,
        invoice_id=invoice.id,
        number=invoice.number,
        status=invoice.status.value,
        currency=invoice.currency,
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        total=totals.total,
        credit_applied=totals.credit_applied,
        amount_due=totals.amount_due,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        at=at,
    )


@dataclass(frozen=True, kw_only=True)
class InvoiceFinalized(InvoiceEvent):
    TYPE: ClassVar[str] = "invoice.finalized"


@dataclass(frozen=True, kw_only=True)
class InvoicePaid(InvoiceEvent):
    """Nothing more is owed: paid out of band, by customer credit, or by a credit note."""

    TYPE: ClassVar[str] = "invoice.paid"
    paid_amount: int  # what was paid out of band now (0: credit settled it)


@dataclass(frozen=True, kw_only=True)
class InvoiceVoided(InvoiceEvent):
    TYPE: ClassVar[str] = "invoice.voided"
    previous_status: str


@dataclass(frozen=True, kw_only=True)
class InvoiceMarkedUncollectible(InvoiceEvent):
    TYPE: ClassVar[str] = "invoice.marked_uncollectible"


@dataclass(frozen=True, kw_only=True)
class CreditNoteIssued(DomainEvent):
    """Ordered with its invoice's events: a note that settles an invoice comes before the
    invoice's ``invoice.paid``."""

    TYPE: ClassVar[str] = "credit_note.issued"
    OBJECT: ClassVar[str] = "credit_note"

    organization_id: str
    account_id: str
    credit_note_id: str
    invoice_id: str
    number: str
    reason: str
    currency: str
    amount: int  # tax included
    tax: int
    to_amount_due: int  # of it, what reduced what the invoice still owed
    to_customer_credit: int  # the rest: credit for the next invoices

    @property
    def object_id(self) -> str:
        return self.credit_note_id

    @property
    def aggregate_id(self) -> str:
        return self.invoice_id


@dataclass(frozen=True, kw_only=True)
class PlanVersionMoveScheduled(DomainEvent):
    """Subscribers of ``from_version_ids`` move to ``to_version_id``: ``now`` or
    ``at_renewal``; ``subscriptions`` were told."""

    TYPE: ClassVar[str] = "plan_version.move_scheduled"
    OBJECT: ClassVar[str] = "plan_version"

    organization_id: str
    move_id: str
    plan_id: str
    from_version_ids: tuple[str, ...]
    to_version_id: str
    apply: str
    subscriptions: int

    @property
    def object_id(self) -> str:
        return self.to_version_id


@dataclass(frozen=True, kw_only=True)
class BillingRunFinished(DomainEvent):
    """A billing run ended finished; organization_id is None for a run over every one."""

    TYPE: ClassVar[str] = "billing_run.finished"
    OBJECT: ClassVar[str] = "billing_run"

    run_id: str
    as_of: datetime
    renewed: int
    invoiced: int
    finalized: int
    skipped: int
    errors: int

    @property
    def object_id(self) -> str:
        return self.run_id
