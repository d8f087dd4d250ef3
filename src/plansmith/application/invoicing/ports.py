"""What the invoicing use cases need from storage, one port per aggregate: invoices (with
numbering, pending items and credit notes), the ledger, coupons and tax rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from plansmith.domain.invoicing.coupons import Coupon
from plansmith.domain.invoicing.invoice import CreditNote, Invoice, TaxRate
from plansmith.domain.invoicing.ledger import LedgerAccount, Transaction
from plansmith.domain.invoicing.pricing import ChargedLine
from plansmith.domain.organizations.branding import Seller


@dataclass(frozen=True)
class Redemption:
    id: str
    coupon: Coupon
    subscription_id: str
    invoices_used: int  # finalized invoices it discounted
    in_drafts: int = 0  # drafts (in their grace period) that carry it: uses once finalized

    @property
    def uses(self) -> int:
        """What the coupon's duration is counted against: a draft that carries it will use
        it, so the next invoice must not get it as well."""
        return self.invoices_used + self.in_drafts

    # the run of the retry that took over its request's Idempotency-Key


class InvoiceRepository(Protocol):
    """Invoices with their lines and credit notes, the pending items they take, and the
    organization's gapless document numbers."""

    def add_invoice(
        self, invoice: Invoice, billing_key: str | None, buyer: dict[str, object]
    ) -> None:
        """Insert a draft; Conflict(invoice_exists) if the subscription has one for that key."""
        ...

    def has_invoice(self, subscription_id: str, billing_key: str) -> bool: ...
    def update_invoice(
        self, invoice: Invoice, expected_status: str, *, seller: Seller | None = None
    ) -> None:
        """Save status, number, totals and stamps only if the stored status is still the
        expected one; Conflict(concurrent_change) otherwise. ``seller``: when finalizing, the
        seller the invoice keeps from then on (written in the same statement)."""
        ...

    def get_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None: ...
    def get_invoices(self, organization_id: str, invoice_ids: Sequence[str]) -> Sequence[Invoice]:
        """The organization's invoices of these ids (in no given order), read at once."""
        ...

    def hold_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        """The invoice, its row held until commit (a row lock): whoever changes it or checks
        a limit on it (credit notes, what it owes) reads it after the previous one is done."""
        ...

    def buyer(self, invoice_id: str) -> dict[str, object]: ...
    def seller(self, invoice_id: str) -> Seller | None:
        """The seller kept when the invoice was finalized; None for a draft."""
        ...

    def invoices(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int | None,
    ) -> Sequence[Invoice]:
        """Ordered by (created_at, id), strictly after the given position; ``limit`` None:
        every one (an account's whole history, read at once)."""
        ...

    def drafts_to_finalize(
        self, organization_id: str | None, as_of: datetime, limit: int
    ) -> Sequence[tuple[str, str]]:
        """(organization id, invoice id) of drafts whose grace period is over, by grace end;
        of one organization, or of all but sandboxes with None."""
        ...

    def take_items(self, invoice_id: str, item_ids: Sequence[str]) -> None:
        """Mark pending items as invoiced; Conflict if any was taken already."""
        ...

    def with_pending_items(
        self, organization_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> Sequence[tuple[str, str]]:
        """(organization id, subscription id) with uninvoiced items, by organization and
        subscription id, strictly after ``after``."""
        ...

    def next_number(self, organization_id: str, kind: str) -> int:
        """The next number of the organization's sequence, inside the caller's transaction."""
        ...

    def next_finalize_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        """The earliest grace end in (after, until] of the organization's drafts, if any."""
        ...

    def charged_lines(
        self, subscription_ids: Sequence[str], ending_after: date
    ) -> Mapping[str, Sequence[ChargedLine]]:
        """Per subscription, its invoiced recurring and charge lines (any invoice status) whose
        period ends after ``ending_after``, oldest first: in the order its events made them.
        What a credit for unused time reverses."""
        ...

    def add_credit_note(self, note: CreditNote) -> None: ...
    def credit_notes(self, invoice_id: str) -> Sequence[CreditNote]:
        """Oldest first."""
        ...


class LedgerRepository(Protocol):
    """The append-only double-entry ledger and the customer credit it holds."""

    def post(self, transaction: Transaction) -> None:
        """Append; Conflict(already_posted) if that kind was posted for that document."""
        ...

    def posted(self, kind: str, reference: str) -> Transaction | None: ...
    def hold_credit(self, account_id: str) -> None:
        """Hold the account's customer credit until commit (a row lock), so that of two
        transactions about to use it, the second reads what the first left."""
        ...

    def ledger_balance(
        self, account_id: str, ledger_account: LedgerAccount, currency: str
    ) -> int: ...
    def transactions(self, organization_id: str, account_id: str) -> Sequence[Transaction]:
        """Ordered by (at, id)."""
        ...


class CouponRepository(Protocol):
    """Coupons and their redemptions by subscriptions."""

    def add_coupon(self, coupon: Coupon) -> None: ...
    def coupon_by_code(self, organization_id: str, code: str) -> Coupon | None: ...
    def coupons(self, organization_id: str) -> Sequence[Coupon]:
        """By code."""
        ...

    def redeem(
        self,
        redemption_id: str,
        organization_id: str,
        coupon_id: str,
        subscription_id: str,
        at: datetime,
    ) -> None:
        """Conflict(already_redeemed) if the subscription has that coupon."""
        ...

    def redemptions(self, subscription_id: str) -> Sequence[Redemption]:
        """Oldest first, each with the drafts that carry its coupon (``in_drafts``)."""
        ...

    def count_redemption_use(self, redemption_id: str) -> None: ...


class TaxRateRepository(Protocol):
    """Tax rates and the one an account is taxed at."""

    def add_tax_rate(self, rate: TaxRate, organization_id: str, at: datetime) -> None: ...
    def tax_rates(self, organization_id: str) -> Sequence[TaxRate]:
        """Oldest first."""
        ...

    def set_account_tax_rate(
        self, organization_id: str, account_id: str, rate_id: str | None
    ) -> None: ...
    def account_tax_rate(self, account_id: str) -> str | None: ...
