"""Use cases for invoices: finalize (number + ledger), void, mark uncollectible or paid
outside plansmith, issue a credit note. Invoices are made by the billing step
(billing_step, over invoice_drafts); finalizing here uses the same pure ``finalized``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from plansmith.application.invoicing.drafts import (
    finalized,
    finalized_events,
    invoice_number,
)
from plansmith.application.invoicing.made_order import made_order
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.events import (
    CreditNoteIssued,
    InvoiceMarkedUncollectible,
    InvoicePaid,
    InvoiceVoided,
    invoice_fields,
)
from plansmith.domain.invoicing.invoice import CreditNote, Invoice, InvoiceStatus, credit_note_tax
from plansmith.domain.invoicing.ledger import LedgerAccount, Transaction
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.branding import Seller

CREDIT_NOTE_PREFIX = "CN-"


def _invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    invoice = uow.invoices.get_invoice(organization_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    return invoice


def held_invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    """The invoice, held until the unit of work ends. Every use case that changes an invoice
    or checks a limit on it (the room left to credit, what it owes) reads it this way, so two
    at once run one after the other and the second sees what the first did."""
    invoice = uow.invoices.hold_invoice(organization_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    return invoice


def seller_of(uow: UnitOfWork, organization_id: str) -> Seller:
    """Who the organization's invoices are from, as its settings stand now."""
    branding = uow.branding.get(organization_id)
    if branding is None:
        raise NotFound(f"no organization {organization_id!r}", field="organization_id")
    return branding.seller


def finalize_in(
    uow: UnitOfWork, invoice: Invoice, now: datetime, seller: Seller | None = None
) -> Invoice:
    """Inside an open unit of work: number it, apply customer credit, post it, and keep the
    seller with it (``seller``: as read once for a batch of one organization's drafts; read
    here otherwise)."""
    invoice.moved(InvoiceStatus.OPEN, now)  # refuses anything but a draft, clearly
    if seller is None:
        seller = seller_of(uow, invoice.organization_id)
    uow.ledger.hold_credit(invoice.account_id)  # another finalize must not use it as well
    balance = uow.ledger.ledger_balance(
        invoice.account_id, LedgerAccount.CUSTOMER_CREDIT, invoice.currency
    )
    if balance < 0:  # the customer holds a balance: the older open invoices take it first
        balance = min(0, balance + owed_before(uow, invoice))
    redemptions = (
        uow.coupons.redemptions(invoice.subscription_id) if invoice.subscription_id else ()
    )
    done = finalized(invoice, balance, redemptions, now)
    number = uow.invoices.next_number(invoice.organization_id, "invoice")
    final = replace(done.invoice, number=invoice_number(number))
    uow.invoices.update_invoice(final, expected_status=InvoiceStatus.DRAFT.value, seller=seller)
    uow.ledger.post(done.posting)
    for redemption_id in done.redemption_uses:
        uow.coupons.count_redemption_use(redemption_id)
    uow.publish(finalized_events(final, now))
    return final


def open_owing(
    uow: UnitOfWork, organization_id: str, account_id: str, currency: str
) -> list[Invoice]:
    """The account's open invoices in ``currency`` that still owe something: what a balance
    pays before anything newer (ADR 0037)."""
    return [
        i
        for i in uow.invoices.invoices(
            organization_id, account_id=account_id, status="open", after=None, limit=None
        )
        if i.currency == currency and i.totals.amount_due > 0
    ]


def balance_for_new_invoice(
    uow: UnitOfWork, organization_id: str, account_id: str, currency: str
) -> int:
    """What of the account's balance in ``currency`` an invoice made now may take: what it
    holds beyond what its open invoices owe, which take it first (ADR 0037). 0 if none."""
    held = -uow.ledger.ledger_balance(account_id, LedgerAccount.CUSTOMER_CREDIT, currency)
    if held <= 0:
        return 0
    owed = sum(i.totals.amount_due for i in open_owing(uow, organization_id, account_id, currency))
    return max(0, held - owed)


def owed_before(uow: UnitOfWork, invoice: Invoice) -> int:
    """What the account's invoices in the draft's currency made no later than it still owe
    (open ones, and drafts made before it: one made at the same instant for an older
    subscription may be finalized after it): a balance pays them before the draft (oldest
    first, ADR 0037), so a credit made at the instant the draft is finalized goes where it
    would whichever is finalized first."""
    others = [
        i
        for status in (InvoiceStatus.OPEN, InvoiceStatus.DRAFT)
        for i in uow.invoices.invoices(
            invoice.organization_id,
            account_id=invoice.account_id,
            status=status.value,
            after=None,
            limit=None,
        )
        if i.currency == invoice.currency
        and i.id != invoice.id
        and i.created_at <= invoice.created_at
        and i.totals.amount_due > 0
    ]
    order = made_order(uow, [*others, invoice])
    made = order(invoice)[:2]  # when made and by which subscription; never by number
    return sum(
        i.totals.amount_due
        for i in others
        if order(i)[:2] < made or (order(i)[:2] == made and i.status is InvoiceStatus.OPEN)
    )


def finalize_invoice(
    uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str
) -> Invoice:
    """Finalize a draft now, without waiting for its grace period."""
    with uow:
        final = finalize_in(uow, held_invoice(uow, organization_id, invoice_id), clock.now())
        uow.commit()
    return final


def shown(invoice: Invoice) -> str:
    """What a confirmation page showed of an invoice (its state and figures): a confirmation
    carrying another value is refused, nothing done."""
    totals = invoice.totals
    return f"{invoice.status.value}.{totals.total}.{totals.credit_applied}.{totals.amount_due}"


def _as_shown(invoice: Invoice, expect: str | None) -> None:
    if expect is not None and shown(invoice) != expect:
        raise Conflict("the invoice changed since it was shown; nothing was done", field="expect")


def balance_applications(uow: UnitOfWork, invoice_id: str) -> list[Transaction]:
    """The ``balance_applied`` postings on an invoice since it was finalized, in order: their
    references are its id and a count (``inv_….1``, ``inv_….2``). The caller holds the
    invoice, so none is added meanwhile."""
    found: list[Transaction] = []
    while applied := uow.ledger.posted("balance_applied", f"{invoice_id}.{len(found) + 1}"):
        found.append(applied)
    return found


def void_invoice(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    *,
    expect: str | None = None,
) -> Invoice:
    """A draft is discarded; an open or uncollectible one is reversed in the ledger, in one
    transaction: its finalizing posting and each later balance application, so all the
    balance paid on it (then and since) is the customer's again. A paid invoice (whatever
    paid it) or one with credit notes is refused, nothing done.
    With ``expect`` (``shown`` of the invoice on a confirmation page): only if it is still so."""
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        _as_shown(invoice, expect)
        voided = invoice.moved(InvoiceStatus.VOID, now)
        if uow.invoices.credit_notes(invoice.id):
            raise Conflict(
                "this invoice has credit notes; credit what is left instead of voiding it",
                field="invoice_id",
                code=ec.HAS_CREDIT_NOTES,
            )
        uow.invoices.update_invoice(voided, expected_status=invoice.status.value)
        posted = uow.ledger.posted("invoice_finalized", invoice.id)
        if posted is not None:
            # What the balance paid comes back to it: the account after the invoice, the
            # order of every payment, so a void and a payment never wait in a circle.
            uow.ledger.hold_credit(invoice.account_id)
            uow.ledger.post(postings.voided(new_id("txn"), posted, now))
            for applied in balance_applications(uow, invoice.id):
                uow.ledger.post(postings.balance_returned(new_id("txn"), applied, now))
        was = invoice.status.value
        uow.publish([InvoiceVoided(**invoice_fields(voided, now), previous_status=was)])
        uow.commit()
    return voided


def mark_uncollectible(
    uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str
) -> Invoice:
    """Stop expecting an open invoice to be paid. Nothing is posted: what it owes stays a
    receivable (it may still be paid, or voided) until the operator's own books write it off."""
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        now = clock.now()
        written_off = invoice.moved(InvoiceStatus.UNCOLLECTIBLE, now)
        uow.invoices.update_invoice(written_off, expected_status=invoice.status.value)
        uow.publish([InvoiceMarkedUncollectible(**invoice_fields(written_off, now))])
        uow.commit()
    return written_off


def mark_paid(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    *,
    expect: str | None = None,
) -> Invoice:
    """Record that what the invoice still owes was paid outside plansmith (a bank transfer).
    With ``expect`` (``shown`` of the invoice on a confirmation page): only if it is still so."""
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        _as_shown(invoice, expect)
        paid = invoice.moved(InvoiceStatus.PAID, now)
        due = invoice.totals.amount_due
        paid = replace(paid, totals=replace(paid.totals, amount_due=0))
        uow.invoices.update_invoice(paid, expected_status=invoice.status.value)
        if due > 0:
            uow.ledger.post(postings.paid(new_id("txn"), invoice, due, now))
        uow.publish([InvoicePaid(**invoice_fields(paid, now), paid_amount=due)])
        uow.commit()
    return paid


def issue_credit_note(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    amount: int,
    reason: str,
) -> CreditNote:
    """Credit part or all of a finalized invoice: what it still owes goes down first, the
    rest becomes customer credit, used by the next invoices first."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidValue(
            "a credit note is a positive whole number of minor units", field="amount"
        )
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidValue("say why the invoice is credited", field="reason", code=ec.REQUIRED)
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        note = credit_note_in(uow, invoice, amount, reason.strip(), now)
        uow.commit()
    return note


def credit_note_in(
    uow: UnitOfWork, invoice: Invoice, amount: int, reason: str, now: datetime
) -> CreditNote:
    """Inside an open unit of work holding ``invoice``: credit ``amount`` of it (what it owes
    goes down first, the rest to the customer's balance), numbered and posted."""
    organization_id = invoice.organization_id
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
        raise Conflict(
            f"a {invoice.status} invoice cannot be credited; only open or paid ones",
            field="invoice_id",
            code=ec.NOT_CREDITABLE,
        )
    credited = sum(n.amount for n in uow.invoices.credit_notes(invoice.id))
    room = max(invoice.totals.total, 0) - credited
    if amount > room:
        raise InvalidValue(
            f"at most {room} minor units of this invoice are left to credit",
            field="amount",
            code=ec.CREDIT_TOO_LARGE,
        )
    number = uow.invoices.next_number(organization_id, "credit_note")
    tax = credit_note_tax(invoice, amount)
    note = CreditNote(
        new_id("cn"),
        organization_id,
        invoice.id,
        f"{CREDIT_NOTE_PREFIX}{number:06d}",
        reason,
        amount,
        tax,
        now,
    )
    owed = invoice.totals.amount_due if invoice.status is InvoiceStatus.OPEN else 0
    uow.invoices.add_credit_note(note)
    uow.ledger.post(postings.credit_note(new_id("txn"), invoice, note.id, amount, tax, owed, now))
    left = owed - min(amount, owed)
    issued = CreditNoteIssued(
        organization_id=organization_id,
        at=now,
        account_id=invoice.account_id,
        credit_note_id=note.id,
        invoice_id=invoice.id,
        number=note.number,
        reason=note.reason,
        currency=invoice.currency,
        amount=amount,
        tax=tax,
        to_amount_due=owed - left,
        to_customer_credit=amount - (owed - left),
    )
    uow.publish([issued])
    if invoice.status is InvoiceStatus.OPEN:
        reduced = replace(invoice, totals=replace(invoice.totals, amount_due=left))
        if left == 0:
            reduced = reduced.moved(InvoiceStatus.PAID, now)
            uow.publish([InvoicePaid(**invoice_fields(reduced, now), paid_amount=0)])
        uow.invoices.update_invoice(reduced, expected_status=invoice.status.value)
    return note


def get_invoice(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    with uow:
        return _invoice(uow, organization_id, invoice_id)
