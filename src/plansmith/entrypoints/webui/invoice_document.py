"""One invoice as a document people read: seller and buyer, number, dates, lines with their
periods, the tax summary, the totals and the status, with money and dates in the account's
locale.

The document is neutral: labels, strings and tables, no markup. The portal and the console
include it with ``invoice_document.html``; ``invoice_pdf.render_pdf`` draws the very same
document, section by section in ``SECTIONS`` order, so the page and the PDF cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, get_currency_symbol

from plansmith.adapters.money_format import format_money
from plansmith.application.billing.run import Upcoming
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TaxRate,
)
from plansmith.domain.invoicing.pricing import tax_summary
from plansmith.domain.kernel.money import Currency, Money
from plansmith.entrypoints.webui.words import invoice_state
from plansmith.entrypoints.webui.words import upcoming as upcoming_word

# The order both renderers follow.
SECTIONS = ("header", "parties", "facts", "lines", "taxes", "totals", "notes")
_NBSP = "\u00a0"


@dataclass(frozen=True)
class Shown:
    """A value as shown, and the same in plain characters (money with its ISO code) for a
    PDF font that lacks a symbol."""

    text: str
    plain: str = ""

    def __str__(self) -> str:
        return self.text

    @property
    def fallback(self) -> str:
        return self.plain or self.text


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    weight: float = 1.0  # its share of the width in the PDF


@dataclass(frozen=True)
class Row:
    cells: tuple[Shown, ...]
    kind: str = ""  # the line kind (recurring, credit, ...), for styling


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Party:
    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    label: str
    value: Shown


@dataclass(frozen=True)
class TotalRow:
    label: str
    amount: Shown
    grand: bool = False


@dataclass(frozen=True)
class InvoiceDocument:
    title: str
    number: str | None
    status: str
    status_key: str
    lang: str
    seller: Party
    buyer: Party
    facts: tuple[Fact, ...]
    lines: Table
    taxes: Table
    totals: tuple[TotalRow, ...]
    notes: tuple[Shown, ...]
    dated: datetime  # the PDF's creation date: when the invoice was issued (or made)
    sections: tuple[str, ...] = SECTIONS

    @property
    def file_name(self) -> str:
        return f"{self.number or 'draft-invoice'}.pdf"


# -- formats ------------------------------------------------------------------------------


class Formats:
    """Money, numbers and dates as the account's locale writes them."""

    def __init__(self, currency: str, locale: str, time_zone: str) -> None:
        self.currency = Currency.of(currency)
        self.locale = locale
        self.zone = ZoneInfo(time_zone)

    def money(self, amount: int) -> Shown:
        text = format_money(Money(amount, self.currency), self.locale)
        return Shown(text, _plain_money(text, self.currency.code, self.locale))

    def number(self, value: int | Decimal) -> str:
        # Latin digits, like the money beside it (format_money writes them so).
        return format_decimal(value, locale=self.locale, numbering_system="latn")

    def day(self, value: date | None) -> str:
        return format_date(value, "medium", locale=self.locale) if value is not None else "—"

    def instant(self, value: datetime | None) -> str:
        return self.day(value.astimezone(self.zone).date()) if value is not None else "—"

    def period(self, start: date | None, end: date | None) -> str:
        """A half-open [start, end) as its first and last day."""
        if start is None:
            return "—"
        if end is None:
            return self.day(start)
        last = max(start, end - timedelta(days=1))
        if last == start:
            return self.day(start)
        return f"{self.day(start)} \u2013 {self.day(last)}"


def _plain_money(text: str, code: str, locale: str) -> str:
    """ "￥1,000" -> "JPY 1,000": the symbol swapped for the ISO code, kept off the digits."""
    symbol = get_currency_symbol(code, locale)
    if symbol == code or symbol not in text:
        return ""
    plain = text.replace(symbol, code)
    plain = re.sub(rf"{code}(?=[\d\-\u2212])", code + _NBSP, plain)
    return re.sub(rf"(?<=\d){code}", _NBSP + code, plain)


# -- building -----------------------------------------------------------------------------


def _lines_table(lines: Sequence[InvoiceLine], f: Formats) -> Table:
    """Discount, tax and total columns only when some line has them."""
    discounted = any(line.discount for line in lines)
    taxed = any(line.tax_rate_id is not None for line in lines)
    columns = [
        Column("Description", weight=3.0),
        Column("Period", weight=2.4),
        Column("Qty", numeric=True, weight=0.7),
        Column("Unit price", numeric=True, weight=1.3),
        Column("Amount", numeric=True, weight=1.4),
    ]
    if discounted:
        columns.append(Column("Discount", numeric=True, weight=1.3))
    if taxed:
        columns.append(Column("Tax", numeric=True, weight=1.2))
    if discounted or taxed:
        columns.append(Column("Total", numeric=True, weight=1.4))
    rows = []
    for line in lines:
        cells = [
            Shown(line.description),
            Shown(f.period(line.period_start, line.period_end)),
            Shown(f.number(line.quantity)),
            f.money(line.unit_amount),
            f.money(line.amount),
        ]
        if discounted:
            cells.append(f.money(-line.discount))
        if taxed:
            cells.append(f.money(line.tax))
        if discounted or taxed:
            cells.append(f.money(line.total))
        rows.append(Row(tuple(cells), line.kind.value))
    return Table(tuple(columns), tuple(rows))


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _taxes_table(lines: Sequence[InvoiceLine], rates: Mapping[str, TaxRate], f: Formats) -> Table:
    columns = (
        Column("Tax", weight=3.0),
        Column("Rate", weight=2.0),
        Column("Taxable amount", numeric=True, weight=1.6),
        Column("Tax amount", numeric=True, weight=1.6),
    )
    rows = tuple(
        Row(
            (
                Shown(row.name),
                Shown(f"{_percent(row.percent)}% ({'included' if row.inclusive else 'added'})"),
                f.money(row.taxable),
                f.money(row.tax),
            )
        )
        for row in tax_summary(lines, rates)
    )
    return Table(columns, rows)


def _totals(
    invoice: Invoice, rates: Mapping[str, TaxRate], f: Formats, *, so_far: bool
) -> tuple[TotalRow, ...]:
    t = invoice.totals
    inclusive = {rate_id for rate_id, rate in rates.items() if rate.inclusive}
    included = sum(line.tax for line in invoice.lines if line.tax_rate_id in inclusive)
    rows = [TotalRow("Subtotal", f.money(t.subtotal))]
    if t.discount:
        # Negative when credits give back more discount than charges took: a credit mirrors
        # the discount of the charge it reverses (ADR 0007), so this adds to the total.
        label = "Discount" if t.discount > 0 else "Discount on credited time"
        rows.append(TotalRow(label, f.money(-t.discount)))
    if t.tax - included:
        rows.append(TotalRow("Tax", f.money(t.tax - included)))
    rows.append(TotalRow("Total so far" if so_far else "Total", f.money(t.total), so_far))
    if included:
        rows.append(TotalRow("Tax included in the total", f.money(included)))
    if t.credit_applied:
        rows.append(TotalRow("Credit applied", f.money(-t.credit_applied)))
    if not so_far and invoice.status is not InvoiceStatus.VOID:
        rows.append(TotalRow("Amount due", f.money(t.amount_due), grand=True))
    return tuple(rows)


def _buyer(buyer: Mapping[str, object], invoice: Invoice) -> Party:
    raw = buyer.get("lines")
    lines = [str(line) for line in raw] if isinstance(raw, list) else []
    if buyer.get("email"):
        lines.append(str(buyer["email"]))
    tax_id = invoice.tax_id or buyer.get("tax_id")
    if tax_id:
        lines.append(f"Tax ID: {tax_id}")
    return Party("Bill to", tuple(lines))


def _notes(invoice: Invoice, credit_notes: Iterable[CreditNote], f: Formats) -> list[Shown]:
    notes = []
    for note in credit_notes:
        head = f"Credit note {note.number} of {f.instant(note.created_at)}: "
        amount = f.money(note.amount)
        notes.append(
            Shown(f"{head}{amount} ({note.reason})", f"{head}{amount.fallback} ({note.reason})")
        )
    if invoice.status is InvoiceStatus.VOID:
        voided = f.instant(invoice.voided_at)
        notes.append(Shown(f"This invoice was voided on {voided}: nothing is owed on it."))
    if invoice.status is InvoiceStatus.DRAFT:
        notes.append(Shown("This is a draft: it may still change, and is numbered when final."))
    return notes


def build_document(
    invoice: Invoice,
    *,
    seller: str,
    buyer: Mapping[str, object],
    account: Account,
    rates: Mapping[str, TaxRate],
    credit_notes: Iterable[CreditNote] = (),
) -> InvoiceDocument:
    """The document of a stored invoice (draft, open, paid, void or uncollectible)."""
    f = Formats(invoice.currency, account.locale, account.time_zone)
    status = invoice_state(invoice.status)
    facts = [Fact("Invoice number", Shown(invoice.number or "Given when finalized"))]
    if invoice.finalized_at is not None:
        facts.append(Fact("Issue date", Shown(f.instant(invoice.finalized_at))))
    else:
        facts.append(Fact("Created", Shown(f.instant(invoice.created_at))))
    if invoice.period_start is not None:
        period = f.period(invoice.period_start, invoice.period_end)
        facts.append(Fact("Billing period", Shown(period)))
    facts.append(Fact("Status", Shown(status)))
    if invoice.paid_at is not None and invoice.status is InvoiceStatus.PAID:
        facts.append(Fact("Paid on", Shown(f.instant(invoice.paid_at))))
    return InvoiceDocument(
        title=f"Invoice {invoice.number}" if invoice.number else "Draft invoice",
        number=invoice.number,
        status=status,
        status_key=invoice.status.value,
        lang=account.locale,
        seller=Party("From", (seller,)),
        buyer=_buyer(buyer, invoice),
        facts=tuple(facts),
        lines=_lines_table(invoice.lines, f),
        taxes=_taxes_table(invoice.lines, rates, f),
        totals=_totals(invoice, rates, f, so_far=False),
        notes=tuple(_notes(invoice, credit_notes, f)),
        dated=invoice.finalized_at or invoice.created_at,
    )


def upcoming_document(
    upcoming: Upcoming,
    *,
    seller: str,
    buyer: Mapping[str, object],
    account: Account,
    rates: Mapping[str, TaxRate],
) -> InvoiceDocument:
    """Seed 004's future invoice: its period, status "Upcoming", cut-off date, lines and the
    total so far, computed by the billing run's own code and saved nowhere."""
    invoice = upcoming.invoice
    f = Formats(invoice.currency, account.locale, account.time_zone)
    facts = (
        Fact("Billing period", Shown(f.period(upcoming.period_start, upcoming.period_end))),
        Fact("Status", Shown(upcoming_word())),
        Fact("Cut-off date", Shown(f.instant(upcoming.cut_off))),
    )
    return InvoiceDocument(
        title="Upcoming invoice",
        number=None,
        status=upcoming_word(),
        status_key="upcoming",
        lang=account.locale,
        seller=Party("From", (seller,)),
        buyer=_buyer(buyer, invoice),
        facts=facts,
        lines=_lines_table(invoice.lines, f),
        taxes=_taxes_table(invoice.lines, rates, f),
        totals=_totals(invoice, rates, f, so_far=True),
        notes=(),
        dated=invoice.created_at,
    )
