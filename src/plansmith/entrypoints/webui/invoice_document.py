"""One invoice as a document people read: seller and buyer, number, dates, lines with their
periods, the tax summary, the totals and the status, with money and dates in the account's
locale and every label in the reader's language (the account's, unless the caller says).

The seller is the organization as it brands itself (its display name, seller address and tax
id): as kept when a finalized invoice was issued, as the settings are now for a draft or an
upcoming invoice; the country named in the reader's locale. The document is neutral: labels,
strings and tables, no markup. The portal and the console include it with ``invoice_document.html``;
``invoice_pdf.render_pdf`` draws the very same document, section by section in ``SECTIONS``
order, so the page and the PDF cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from plansmith.application.billing.run import Upcoming
from plansmith.application.kernel.validation import country_codes
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TaxRate,
)
from plansmith.domain.invoicing.pricing import tax_summary
from plansmith.domain.organizations.branding import Seller
from plansmith.entrypoints.webui.formats import item_text
from plansmith.entrypoints.webui.i18n import direction, negotiate, translate
from plansmith.entrypoints.webui.invoice_formats import Formats, Shown, country_name
from plansmith.entrypoints.webui.words import invoice_state
from plansmith.entrypoints.webui.words import upcoming as upcoming_word

__all__ = ["SECTIONS", "Formats", "InvoiceDocument", "Shown", "build_document"]

# The order both renderers follow.
SECTIONS = ("header", "parties", "facts", "lines", "taxes", "totals", "notes")
Words = Callable[[str], str]


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
    strong: bool = False


@dataclass(frozen=True)
class TotalRow:
    label: str
    amount: Shown
    grand: bool = False


@dataclass(frozen=True)
class Labels:
    """The document's own words that are not in a section's data: captions and headings."""

    lines: str
    taxes: str
    totals: str
    page: str  # "Page %(page)s of %(pages)s", for the PDF's footer


@dataclass(frozen=True)
class InvoiceDocument:
    title: str
    number: str | None
    status: str
    status_key: str
    lang: str  # the language of its labels (ja, ar, ...)
    seller: Party
    buyer: Party
    facts: tuple[Fact, ...]
    lines: Table
    taxes: Table
    totals: tuple[TotalRow, ...]
    notes: tuple[Shown, ...]
    dated: datetime  # the PDF's creation date: when the invoice was issued (or made)
    labels: Labels
    sections: tuple[str, ...] = SECTIONS

    @property
    def direction(self) -> str:
        return direction(self.lang)

    @property
    def file_name(self) -> str:
        return f"{self.number or 'draft-invoice'}.pdf"


# -- building -----------------------------------------------------------------------------


def _words(language: str) -> Words:
    return partial(translate, language)


def _labels(_: Words) -> Labels:
    return Labels(
        lines=_("Invoice lines"),
        taxes=_("Tax summary"),
        totals=_("Totals"),
        page=_("Page %(page)s of %(pages)s"),
    )


def _lines_table(lines: Sequence[InvoiceLine], f: Formats, _: Words, lang: str) -> Table:
    """Discount, tax and total columns only when some line has them."""
    discounted = any(line.discount for line in lines)
    taxed = any(line.tax_rate_id is not None for line in lines)
    columns = [
        Column(_("Description"), weight=3.0),
        Column(_("Period"), weight=2.4),
        Column(_("Qty"), numeric=True, weight=0.7),
        Column(_("Unit price"), numeric=True, weight=1.3),
        Column(_("Amount"), numeric=True, weight=1.4),
    ]
    if discounted:
        columns.append(Column(_("Discount"), numeric=True, weight=1.3))
    if taxed:
        columns.append(Column(_("Tax"), numeric=True, weight=1.2))
    if discounted or taxed:
        columns.append(Column(_("Total"), numeric=True, weight=1.4))
    rows = []
    for line in lines:
        cells = [
            Shown(item_text(line.description, lang)),
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
    return f"{value.normalize():f}%"


def _taxes_table(
    lines: Sequence[InvoiceLine], rates: Mapping[str, TaxRate], f: Formats, _: Words
) -> Table:
    columns = (
        Column(_("Tax"), weight=3.0),
        Column(_("Rate"), weight=2.0),
        Column(_("Taxable amount"), numeric=True, weight=1.6),
        Column(_("Tax amount"), numeric=True, weight=1.6),
    )
    rows = []
    for row in tax_summary(lines, rates):
        rate = _percent(row.percent)
        how = _("%(rate)s (included)") if row.inclusive else _("%(rate)s (added)")
        rows.append(
            Row(
                (
                    Shown(row.name),
                    Shown(how % {"rate": rate}),
                    f.money(row.taxable),
                    f.money(row.tax),
                )
            )
        )
    return Table(columns, tuple(rows))


def _totals(
    invoice: Invoice, rates: Mapping[str, TaxRate], f: Formats, _: Words, *, so_far: bool
) -> tuple[TotalRow, ...]:
    t = invoice.totals
    inclusive = {rate_id for rate_id, rate in rates.items() if rate.inclusive}
    included = sum(line.tax for line in invoice.lines if line.tax_rate_id in inclusive)
    rows = [TotalRow(_("Subtotal"), f.money(t.subtotal))]
    if t.discount:
        # Negative when credits give back more discount than charges took: a credit mirrors
        # the discount of the charge it reverses (ADR 0007), so this adds to the total.
        label = _("Discount") if t.discount > 0 else _("Discount on credited time")
        rows.append(TotalRow(label, f.money(-t.discount)))
    if t.tax - included:
        rows.append(TotalRow(_("Tax"), f.money(t.tax - included)))
    # A future invoice is totalled as the billing run will cut it (a pay-per-day plan's whole
    # period on its first day): never "so far", which the prediction card says (seed 004).
    label = _("Total on the cut-off date") if so_far else _("Total")
    rows.append(TotalRow(label, f.money(t.total), so_far))
    if included:
        rows.append(TotalRow(_("Tax included in the total"), f.money(included)))
    if t.credit_applied:
        rows.append(TotalRow(_("Credit applied"), f.money(-t.credit_applied)))
    if not so_far and invoice.status is not InvoiceStatus.VOID:
        rows.append(TotalRow(_("Amount due"), f.money(t.amount_due), grand=True))
    return tuple(rows)


def _place(line: str, f: Formats) -> str:
    """An address line that is a country code ("JP", as invoice addresses end) as its name."""
    return country_name(line, f.locale) if line in country_codes() else line


def _buyer(buyer: Mapping[str, object], invoice: Invoice, f: Formats, _: Words) -> Party:
    raw = buyer.get("lines")
    lines = [_place(str(line), f) for line in raw] if isinstance(raw, list) else []
    if buyer.get("email"):
        lines.append(str(buyer["email"]))
    tax_id = invoice.tax_id or buyer.get("tax_id")
    if tax_id:
        lines.append(_("Tax ID: %(tax_id)s") % {"tax_id": tax_id})
    return Party(_("Bill to"), tuple(lines))


def _seller(seller: Seller, f: Formats, _: Words) -> Party:
    """The seller's name, address and tax id, as far as they are set."""
    lines = [seller.name]
    address = seller.address
    if address is not None:
        lines += address.lines
        city = " ".join(p for p in (address.postal_code, address.city) if p)
        lines += [city] if city else []
        lines.append(country_name(address.country, f.locale))
    if seller.tax_id:
        lines.append(_("Tax ID: %(tax_id)s") % {"tax_id": seller.tax_id})
    return Party(_("From"), tuple(lines))


def _notes(
    invoice: Invoice, credit_notes: Iterable[CreditNote], f: Formats, _: Words
) -> list[Shown]:
    notes = []
    note_text = _("Credit note %(number)s of %(date)s: %(amount)s (%(reason)s)")
    for note in credit_notes:
        amount = f.money(note.amount)
        values = {"number": note.number, "date": f.instant(note.created_at), "reason": note.reason}
        notes.append(
            Shown(
                note_text % {**values, "amount": amount.text},
                note_text % {**values, "amount": amount.fallback},
            )
        )
    if invoice.status is InvoiceStatus.VOID:
        voided = f.instant(invoice.voided_at)
        text = _("This invoice was voided on %(date)s: nothing is owed on it.")
        notes.append(Shown(text % {"date": voided}))
    if invoice.status is InvoiceStatus.DRAFT:
        notes.append(Shown(_("This is a draft: it may still change, and is numbered when final.")))
    return notes


def document_language(account: Account, language: str | None) -> str:
    """The language of the labels: the caller's, else the account's (else English)."""
    return language or negotiate(account_locale=account.locale)


def build_document(
    invoice: Invoice,
    *,
    seller: Seller,
    buyer: Mapping[str, object],
    account: Account,
    rates: Mapping[str, TaxRate],
    credit_notes: Iterable[CreditNote] = (),
    language: str | None = None,
) -> InvoiceDocument:
    """The document of a stored invoice (draft, open, paid, void or uncollectible)."""
    lang = document_language(account, language)
    _ = _words(lang)
    f = Formats(invoice.currency, account.locale, account.time_zone)
    status = invoice_state(invoice.status, lang)
    facts = [Fact(_("Invoice number"), Shown(invoice.number or _("Given when finalized")))]
    if invoice.finalized_at is not None:
        facts.append(Fact(_("Issue date"), Shown(f.instant(invoice.finalized_at))))
    else:
        facts.append(Fact(_("Created"), Shown(f.instant(invoice.created_at))))
    if invoice.period_start is not None:
        period = f.period(invoice.period_start, invoice.period_end)
        facts.append(Fact(_("Billing period"), Shown(period)))
    facts.append(Fact(_("Status"), Shown(status), strong=True))
    if invoice.paid_at is not None and invoice.status is InvoiceStatus.PAID:
        facts.append(Fact(_("Paid on"), Shown(f.instant(invoice.paid_at))))
    title = _("Invoice %(number)s") % {"number": invoice.number} if invoice.number else None
    return InvoiceDocument(
        title=title or _("Draft invoice"),
        number=invoice.number,
        status=status,
        status_key=invoice.status.value,
        lang=lang,
        seller=_seller(seller, f, _),
        buyer=_buyer(buyer, invoice, f, _),
        facts=tuple(facts),
        lines=_lines_table(invoice.lines, f, _, lang),
        taxes=_taxes_table(invoice.lines, rates, f, _),
        totals=_totals(invoice, rates, f, _, so_far=False),
        notes=tuple(_notes(invoice, credit_notes, f, _)),
        dated=invoice.finalized_at or invoice.created_at,
        labels=_labels(_),
    )


def upcoming_document(
    upcoming: Upcoming,
    *,
    seller: Seller,
    buyer: Mapping[str, object],
    account: Account,
    rates: Mapping[str, TaxRate],
    language: str | None = None,
) -> InvoiceDocument:
    """Seed 004's future invoice: its period, status "Upcoming", cut-off date, lines and the
    total so far, computed by the billing run's own code and saved nowhere."""
    lang = document_language(account, language)
    _ = _words(lang)
    invoice = upcoming.invoice
    f = Formats(invoice.currency, account.locale, account.time_zone)
    facts = (
        Fact(_("Billing period"), Shown(f.period(upcoming.period_start, upcoming.period_end))),
        Fact(_("Status"), Shown(upcoming_word(lang)), strong=True),
        Fact(_("Cut-off date"), Shown(f.instant(upcoming.cut_off))),
    )
    return InvoiceDocument(
        title=_("Upcoming invoice"),
        number=None,
        status=upcoming_word(lang),
        status_key="upcoming",
        lang=lang,
        seller=_seller(seller, f, _),
        buyer=_buyer(buyer, invoice, f, _),
        facts=facts,
        lines=_lines_table(invoice.lines, f, _, lang),
        taxes=_taxes_table(invoice.lines, rates, f, _),
        totals=_totals(invoice, rates, f, _, so_far=True),
        notes=(),
        dated=invoice.created_at,
        labels=_labels(_),
    )
