"""An invoice and its lines as rows and back: its state, its discounts, its lines."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from plansmith.domain.invoicing.invoice import (
    Discount,
    DiscountKind,
    Invoice,
    InvoiceLine,
    LineKind,
    UsageDetail,
)
from plansmith.domain.organizations.branding import Seller, SellerAddress


def _discount_data(d: Discount) -> dict[str, Any]:
    return {
        "coupon_id": d.coupon_id,
        "name": d.name,
        "kind": d.kind.value,
        "percent": str(d.percent),
        "amount": d.amount,
        "plan_ids": sorted(d.plan_ids),
    }


def _discount(data: dict[str, Any]) -> Discount:
    return Discount(
        data["coupon_id"],
        data["name"],
        DiscountKind(data["kind"]),
        percent=Decimal(data["percent"]),
        amount=int(data["amount"]),
        plan_ids=frozenset(data["plan_ids"]),
    )


def seller_data(seller: Seller) -> dict[str, Any]:
    """The seller an invoice keeps (the migration 0016 writes the same shape)."""
    address = seller.address
    return {
        "name": seller.name,
        "address": None
        if address is None
        else {
            "lines": list(address.lines),
            "city": address.city,
            "postal_code": address.postal_code,
            "country": address.country,
        },
        "tax_id": seller.tax_id,
    }


def seller_of(data: Mapping[str, Any] | None) -> Seller | None:
    if data is None:
        return None
    address = data.get("address")
    return Seller(
        str(data["name"]),
        None
        if address is None
        else SellerAddress(
            tuple(address["lines"]), address["city"], address["postal_code"], address["country"]
        ),
        str(data.get("tax_id") or ""),
    )


def _line(r: Mapping[Any, Any]) -> InvoiceLine:
    return InvoiceLine(
        kind=LineKind(r["kind"]),
        description=r["description"],
        quantity=r["quantity"],
        unit_amount=r["unit_amount"],
        amount=r["amount"],
        discount=r["discount"],
        tax_rate_id=r["tax_rate_id"],
        tax=r["tax"],
        total=r["total"],
        period_start=r["period_start"],
        period_end=r["period_end"],
        source_id=r["source_id"],
        plan_id=r["plan_id"],
        cycle=r["cycle"],
        days=r["days"],
        period_days=r["period_days"],
        subscription_id=r["subscription_id"],
        usage=None if r["usage"] is None else UsageDetail.from_data(r["usage"]),
    )


# -- rows: one builder per table, shared with the billing run's batch writes -----------------


def invoice_state(invoice: Invoice) -> dict[str, Any]:
    """What finalizing, paying and voiding change on an invoice row."""
    totals = invoice.totals
    return {
        "status": invoice.status.value,
        "number": invoice.number,
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "tax": totals.tax,
        "total": totals.total,
        "credit_applied": totals.credit_applied,
        "amount_due": totals.amount_due,
        "finalized_at": invoice.finalized_at,
        "paid_at": invoice.paid_at,
        "voided_at": invoice.voided_at,
    }


def invoice_row(
    invoice: Invoice,
    billing_key: str | None,
    buyer: dict[str, object],
    seller: Seller | None = None,
) -> dict[str, Any]:
    return {
        **invoice_state(invoice),
        "id": invoice.id,
        "organization_id": invoice.organization_id,
        "account_id": invoice.account_id,
        "subscription_id": invoice.subscription_id,
        "billing_key": billing_key,
        "currency": invoice.currency,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "tax_id": invoice.tax_id,
        "buyer": buyer,
        "seller": seller_data(seller) if seller is not None else None,
        "discounts": [_discount_data(d) for d in invoice.discounts],
        "created_at": invoice.created_at,
        "finalize_after": invoice.finalize_after,
        "billing_run_id": invoice.billing_run_id,
    }


def line_rows(invoice: Invoice) -> list[dict[str, Any]]:
    return [
        {
            "invoice_id": invoice.id,
            "position": position,
            "kind": line.kind.value,
            "description": line.description[:300],
            "quantity": line.quantity,
            "unit_amount": line.unit_amount,
            "amount": line.amount,
            "discount": line.discount,
            "tax_rate_id": line.tax_rate_id,
            "tax": line.tax,
            "total": line.total,
            "period_start": line.period_start,
            "period_end": line.period_end,
            "source_id": line.source_id,
            "plan_id": line.plan_id,
            "subscription_id": line.subscription_id,
            "cycle": line.cycle,
            "days": line.days,
            "period_days": line.period_days,
            "usage": None if line.usage is None else line.usage.to_data(),
        }
        for position, line in enumerate(invoice.lines)
    ]
