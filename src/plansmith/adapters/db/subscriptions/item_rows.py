"""A subscription's billable items as rows and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from plansmith.application.subscriptions.ports import StoredItem
from plansmith.domain.invoicing.invoice import LineKind, UsageDetail
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription


def item_of_row(row: Row[Any]) -> StoredItem:
    r = row._mapping
    item = BillableItem(
        kind=LineKind(r["kind"]),
        component=r["component"],
        description=r["description"],
        currency=r["currency"],
        quantity=r["quantity"],
        unit_amount=r["unit_amount"],
        amount=r["amount"],
        period_start=r["period_start"],
        period_end=r["period_end"],
        days=r["days"],
        period_days=r["period_days"],
        plan_id=r["plan_id"],
        cycle=r["cycle"],
        usage=None if r["usage"] is None else UsageDetail.from_data(r["usage"]),
    )
    return StoredItem(
        r["id"], r["subscription_id"], r["event_id"], item, r["invoice_id"], r["created_at"]
    )


def item_rows(sub: Subscription, items: Sequence[StoredItem]) -> list[dict[str, Any]]:
    return [
        {
            "id": stored.id,
            "organization_id": sub.organization_id,
            "account_id": sub.account_id,
            "subscription_id": sub.id,
            "event_id": stored.event_id,
            "position": position,
            "kind": stored.item.kind.value,
            "component": stored.item.component,
            "description": stored.item.description[:300],
            "currency": stored.item.currency,
            "quantity": stored.item.quantity,
            "unit_amount": stored.item.unit_amount,
            "amount": stored.item.amount,
            "period_start": stored.item.period_start,
            "period_end": stored.item.period_end,
            "days": stored.item.days,
            "period_days": stored.item.period_days,
            "invoice_id": stored.invoice_id,
            "plan_id": stored.item.plan_id,
            "cycle": stored.item.cycle,
            "created_at": stored.created_at,
            "usage": None if stored.item.usage is None else stored.item.usage.to_data(),
            "usage_key": (
                None
                if stored.item.usage is None
                else f"{sub.id}:{stored.item.usage.meter}:{stored.item.period_start.isoformat()}"
            ),
        }
        for position, stored in enumerate(items)
    ]
