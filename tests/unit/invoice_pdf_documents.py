"""Invoice documents in several scripts, built the way the portal builds them (build_document),
for the PDF renderer's tests: English, Japanese (CJK fallback font, "￥"), Arabic (shaped, right
to left) and an English document that mixes both fallbacks in one PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TaxRate,
    Totals,
)
from plansmith.domain.organizations.branding import Seller, SellerAddress
from plansmith.entrypoints.webui.invoice_document import InvoiceDocument, build_document

AT = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
VAT = TaxRate("tax_1", "VAT", Decimal("10"), inclusive=False)


def _line(description: str, amount: int, *, start: int) -> InvoiceLine:
    tax = amount // 10
    return InvoiceLine(
        kind=LineKind.RECURRING,
        description=description,
        quantity=1,
        unit_amount=amount,
        amount=amount,
        discount=0,
        tax_rate_id=VAT.id,
        tax=tax,
        total=amount + tax,
        period_start=date(2026, start, 1),
        period_end=date(2026, start + 1, 1),
        source_id=f"sub_{start}",
    )


def _document(
    *, locale: str, currency: str, lines: tuple[str, ...], buyer: str, seller: str, number: str
) -> InvoiceDocument:
    items = tuple(_line(text, 1200 + 100 * n, start=n + 1) for n, text in enumerate(lines))
    total = sum(line.total for line in items)
    subtotal = sum(line.amount for line in items)
    invoice = Invoice(
        id=f"inv_{number}",
        organization_id="org_1",
        account_id="acc_1",
        subscription_id=None,
        currency=currency,
        status=InvoiceStatus.OPEN,
        number=number,
        period_start=items[0].period_start,
        period_end=items[-1].period_end,
        lines=items,
        totals=Totals(subtotal, 0, total - subtotal, total, 0, total),
        tax_id=None,
        created_at=AT,
        finalize_after=AT,
        finalized_at=AT,
    )
    account = Account(
        id="acc_1",
        organization_id="org_1",
        name=buyer,
        email="billing@example.com",
        currency=currency,
        time_zone="UTC",
        locale=locale,
        tax_id=None,
        external_id=None,
        default_invoice_address_id=None,
        created_at=AT,
        updated_at=AT,
    )
    address = SellerAddress(("1 Main Street",), "Springfield", "12345", "US")
    return build_document(
        invoice,
        seller=Seller(seller, address, "US-123"),
        buyer={"lines": [buyer, "2 Side Road", "JP"]},
        account=account,
        rates={VAT.id: VAT},
    )


def english() -> InvoiceDocument:
    return _document(
        locale="en_US",
        currency="USD",
        lines=("Team plan", "Extra seats", "Priority support"),
        buyer="Acme Corp.",
        seller="Example Billing Inc.",
        number="INV-0001",
    )


def japanese() -> InvoiceDocument:
    return _document(
        locale="ja_JP",
        currency="JPY",
        lines=("チームプラン", "追加シート"),
        buyer="株式会社サンプル",
        seller="Example Billing Inc.",
        number="INV-0002",
    )


def arabic() -> InvoiceDocument:
    return _document(
        locale="ar_EG",
        currency="EGP",
        lines=("خطة الفريق", "مقاعد إضافية"),
        buyer="شركة المثال",
        seller="Example Billing Inc.",
        number="INV-0003",
    )


def mixed() -> InvoiceDocument:
    """English labels, with Japanese and Arabic names: both fallback fonts in one PDF."""
    return _document(
        locale="en_GB",
        currency="EUR",
        lines=("Team plan — チーム", "Seats — مقاعد", "Support"),
        buyer="株式会社サンプル / شركة المثال",
        seller="Example Billing Ltd.",
        number="INV-0004",
    )


DOCUMENTS = {"en": english, "ja": japanese, "ar": arabic, "mixed": mixed}
