"""What a subscription request makes, as the API shows it: the billable items (and those
stored), the events (and those recorded), the next invoice and the result that gathers them. The
help texts of what a billed item says about the terms it bills are here too, shared with the
invoice lines; money is integer minor units with an en_US ``*_formatted`` string.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from plansmith.application.subscriptions.lifecycle import NextInvoice, Result
from plansmith.application.subscriptions.ports import (
    RecordedEvent,
    StoredEvent,
    StoredItem,
)
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.subscription import BillableItem
from plansmith.entrypoints.api.subscriptions.prediction_schemas import ChangeEffectOut
from plansmith.entrypoints.api.subscriptions.schemas import SubscriptionOut, money

# What a billed item or invoice line says about the terms it bills (items and lines alike).
DAYS_HELP = (
    "The days it bills, for part of a period (a change, a stop, a restart) or pay per day "
    "(every day in service); null for a full period"
)
PERIOD_DAYS_HELP = "The days of the period those `days` are out of; null for a full period"
CYCLE_HELP = (
    "The billing cycle of the terms it bills: day, week, month, quarter, half_year, year, "
    "or N_days / N_weeks / N_months"
)
PLAN_HELP = "The plan, on the plan's own items (null on an add-on's)"


class ItemOut(BaseModel):
    object: str = "billable_item"
    kind: str = Field(description="recurring, credit, charge or accrual")
    component: str
    description: str
    currency: str
    quantity: int
    unit_amount: int
    amount: int = Field(description="Signed: credits are negative")
    amount_formatted: str
    period_start: date
    period_end: date
    days: int | None = Field(description=DAYS_HELP)
    period_days: int | None = Field(description=PERIOD_DAYS_HELP)
    cycle: str | None = Field(description=CYCLE_HELP, examples=["month"])
    plan_id: str | None = Field(description=PLAN_HELP)
    subscription_id: str

    @staticmethod
    def fields_of(item: BillableItem, subscription_id: str) -> dict[str, Any]:
        return {
            "subscription_id": subscription_id,
            "cycle": item.cycle,
            "plan_id": item.plan_id,
            "kind": item.kind.value,
            "component": item.component,
            "description": item.description,
            "currency": item.currency,
            "quantity": item.quantity,
            "unit_amount": item.unit_amount,
            "amount": item.amount,
            "amount_formatted": money(item.amount, item.currency),
            "period_start": item.period_start,
            "period_end": item.period_end,
            "days": item.days,
            "period_days": item.period_days,
        }

    @classmethod
    def of(cls, item: BillableItem, subscription_id: str) -> ItemOut:
        return cls(**cls.fields_of(item, subscription_id))


class StoredItemOut(ItemOut):
    object: str = "subscription_item"
    id: str
    event_id: str
    invoice_id: str | None = Field(description="Null while pending")
    created_at: datetime

    @classmethod
    def stored(cls, stored: StoredItem) -> StoredItemOut:
        return cls(
            **cls.fields_of(stored.item, stored.subscription_id),
            id=stored.id,
            event_id=stored.event_id,
            invoice_id=stored.invoice_id,
            created_at=stored.created_at,
        )


class NextInvoiceOut(BaseModel):
    object: str = "next_invoice"
    cut_off: date | None = Field(description="The period end it is made on")
    currency: str
    total: int
    total_formatted: str
    items: list[ItemOut]

    @classmethod
    def of(cls, nxt: NextInvoice, subscription_id: str) -> NextInvoiceOut:
        return cls(
            cut_off=nxt.cut_off,
            currency=nxt.currency,
            total=nxt.total,
            total_formatted=money(nxt.total, nxt.currency),
            items=[ItemOut.of(i, subscription_id) for i in nxt.items],
        )


class EventOut(BaseModel):
    object: str = "subscription_event"
    kind: str
    at: datetime
    effective: date
    from_status: str | None
    to_status: str
    details: dict[str, Any]

    @staticmethod
    def fields_of(event: SubscriptionEvent | RecordedEvent) -> dict[str, Any]:
        return {
            "kind": event.kind,
            "at": event.at,
            "effective": event.effective,
            "from_status": event.from_status.value if event.from_status else None,
            "to_status": event.to_status.value,
            "details": dict(event.details),
        }

    @classmethod
    def of(cls, event: SubscriptionEvent) -> EventOut:
        return cls(**cls.fields_of(event))


class StoredEventOut(EventOut):
    id: str
    seq: int
    actor: str = Field(description="customer, operator or system")

    @classmethod
    def stored(cls, stored: StoredEvent) -> StoredEventOut:
        return cls(**cls.fields_of(stored.event), id=stored.id, seq=stored.seq, actor=stored.actor)


class ResultOut(BaseModel):
    object: str = "subscription_result"
    applied: bool = Field(description="false for a preview: nothing was saved")
    subscription: SubscriptionOut
    items: list[ItemOut] = Field(description="Billable items the request makes")
    events: list[EventOut]
    next_invoice: NextInvoiceOut
    prediction: ChangeEffectOut | None = Field(
        default=None,
        description="A change's preview only (null otherwise): the period's estimate before "
        "and after the change",
    )

    @classmethod
    def of(cls, result: Result, family_code: str) -> ResultOut:
        sub_id = result.view.subscription.id
        return cls(
            applied=result.applied,
            subscription=SubscriptionOut.of(result.view, family_code),
            items=[ItemOut.of(i, sub_id) for i in result.items],
            events=[EventOut.of(e) for e in result.events],
            next_invoice=NextInvoiceOut.of(result.next_invoice, sub_id),
        )
