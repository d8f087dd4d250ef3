"""Request and response bodies for subscriptions in the API: the requests, the subscription
itself, its notices, history per family and the advance of renewals. The items, events and
result a request makes are in result_schemas.

Money is integer minor units of the subscription's currency, with an ``*_formatted`` string
(en_US, the API's language) and, for what a period costs, seed 002's "price × quantity = total".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt

from plansmith.adapters.money_format import format_money
from plansmith.application.subscriptions.lifecycle import SubscriptionView
from plansmith.application.subscriptions.ports import (
    StoredNotice,
)
from plansmith.application.subscriptions.queries import FamilyPlans, HistoryEntry
from plansmith.domain.catalog.plans import Channel, Timing
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.kernel.money import Money
from plansmith.domain.subscriptions.price_book import Component
from plansmith.entrypoints.api.schemas import AtMost, OneOf, Strict

ADD_ONS_HELP = "{add-on code: quantity}; the whole set the subscription holds"
Quantity = Annotated[StrictInt, AtMost(MAX_QUANTITY, 1)]  # seats
Units = Annotated[StrictInt, AtMost(MAX_QUANTITY, 0)]  # of an add-on; 0 drops it
When = Annotated[str, OneOf(Timing)]


def money(amount: int, currency: str) -> str:
    return format_money(Money.of(amount, currency))


def formula(parts: Sequence[Component], currency: str) -> str:
    """Seed 002's Total = Price × Quantity, one term per part (the plan, then each add-on)."""
    terms = " + ".join(f"{money(p.unit_amount, currency)} × {p.quantity}" for p in parts)
    return f"{terms} = {money(sum(p.period_amount for p in parts), currency)}"


# -- requests ---------------------------------------------------------------------------------


class SubscriptionCreate(Strict):
    account_id: str
    plan: str = Field(description="Plan code", examples=["pro"])
    cycle: str = Field("month", description="month, quarter, half_year, year, week or N_months")
    quantity: Quantity | None = Field(None, description="Seats; default the plan's minimum")
    currency: str | None = Field(None, description="The account's currency (the default)")
    add_ons: dict[str, Units] = Field({}, description=ADD_ONS_HELP)
    trial: StrictBool | None = Field(
        None, description="Default: the plan's trial, unless the account had one in the family"
    )
    channel: Annotated[str, OneOf(Channel)] | None = Field(
        None, description="Only a version offered there: signup, ..."
    )


class ChangeRequest(Strict):
    plan: str | None = Field(None, description="Plan code of the same family")
    cycle: str | None = None
    quantity: Quantity | None = None
    add_ons: dict[str, Units] | None = Field(None, description=ADD_ONS_HELP)
    when: When | None = Field(None, description="now | term_end; default: the family's policy")


class CancelRequest(Strict):
    when: When = Field(description="term_end (bill nothing more) or now (credit the rest)")


# -- responses --------------------------------------------------------------------------------


class PlanRef(BaseModel):
    id: str
    code: str
    name: str


class VersionRef(BaseModel):
    id: str
    number: int
    name: str = Field(description="The name customers see, e.g. 'Bronze Legacy'")


class PartOut(BaseModel):
    component: str = Field(description="plan, or add_on:<code>")
    name: str
    unit_amount: int = Field(description="Per seat (or unit) for one full period")
    quantity: int
    amount: int
    formula: str

    @classmethod
    def of(cls, part: Component, currency: str) -> PartOut:
        return cls(
            component=part.key,
            name=part.name,
            unit_amount=part.unit_amount,
            quantity=part.quantity,
            amount=part.period_amount,
            formula=formula([part], currency),
        )


class PeriodOut(BaseModel):
    start: date
    end: date = Field(description="The first day after the period")


class ScheduledChangeOut(BaseModel):
    plan_id: str
    plan_name: str
    version_id: str
    cycle: str
    quantity: int
    add_ons: dict[str, int]
    effective: date
    summary: str
    requested_at: datetime


class SubscriptionOut(BaseModel):
    object: str = "subscription"
    id: str
    account_id: str
    family: str = Field(description="Family code")
    plan: PlanRef
    version: VersionRef
    status: str = Field(description="trialing, active, past_due, paused, canceled, expired")
    shown_status: str = Field(description="Try, Active or Inactive")
    cycle: str
    currency: str
    quantity: int
    add_ons: dict[str, int]
    unit_amount: int = Field(description="The plan's price per seat for one period")
    total: int = Field(description="One full period: the plan and its add-ons")
    total_formatted: str
    formula: str = Field(examples=["¥4,990 × 3 + ¥500 × 1 = ¥15,470"])
    parts: list[PartOut]
    current_period: PeriodOut
    anchor: date
    trial_end: date | None
    cancel_at_period_end: bool
    scheduled_change: ScheduledChangeOut | None
    next_payment_on: date | None
    registered_at: datetime
    ended_on: date | None
    pay_per_day: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: SubscriptionView, family_code: str) -> SubscriptionOut:
        sub, currency = view.subscription, view.subscription.terms.currency
        scheduled = None
        if sub.scheduled is not None:
            terms = sub.scheduled.terms
            scheduled = ScheduledChangeOut(
                plan_id=terms.plan_id,
                plan_name=view.scheduled_plan_name or "",
                version_id=terms.version_id,
                cycle=terms.cycle.name,
                quantity=terms.quantity,
                add_ons=dict(terms.add_ons),
                effective=sub.scheduled.effective,
                summary=sub.scheduled.summary,
                requested_at=sub.scheduled.requested_at,
            )
        return cls(
            id=sub.id,
            account_id=sub.account_id,
            family=family_code,
            plan=PlanRef(id=view.plan.id, code=view.plan.code, name=view.plan.name),
            version=VersionRef(
                id=view.version.id, number=view.version.number, name=view.version.name
            ),
            status=sub.status.value,
            shown_status=sub.shown_status,
            cycle=sub.terms.cycle.name,
            currency=currency,
            quantity=sub.terms.quantity,
            add_ons=dict(sub.terms.add_ons),
            unit_amount=view.parts[0].unit_amount,
            total=view.period_amount,
            total_formatted=money(view.period_amount, currency),
            formula=formula(view.parts, currency),
            parts=[PartOut.of(p, currency) for p in view.parts],
            current_period=PeriodOut(start=sub.period_start, end=sub.period_end),
            anchor=sub.anchor,
            trial_end=sub.trial_end,
            cancel_at_period_end=sub.cancel_at_period_end,
            scheduled_change=scheduled,
            next_payment_on=sub.next_payment_on(),
            registered_at=sub.registered_at,
            ended_on=sub.ended_on,
            pay_per_day=sub.pay_per_day,
            created_at=sub.created_at,
            updated_at=sub.updated_at,
        )


class NoticeOut(BaseModel):
    object: str = "subscription_notice"
    id: str
    subscription_id: str
    account_id: str
    move_id: str
    effective_on: str = Field(description='"now" or the ISO date of the renewal')
    text: str
    created_at: datetime

    @classmethod
    def of(cls, notice: StoredNotice) -> NoticeOut:
        return cls.model_validate(notice, from_attributes=True)


class HistoryOut(BaseModel):
    subscription_id: str
    plan_id: str
    plan_name: str
    status: str = Field(description="active, trial, paused, canceled, expired or replaced")
    started_on: date
    ended_on: date | None = Field(description="The first day it was no longer held")

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryOut:
        return cls.model_validate(entry, from_attributes=True)


class FamilyPlansOut(BaseModel):
    object: str = "family_plans"
    family: str = Field(description="Family code")
    family_name: str
    current: SubscriptionOut | None = Field(description="Trialing, active, past due or paused")
    latest: SubscriptionOut | None = Field(description="The newest, e.g. a canceled one")
    history: list[HistoryOut] = Field(description="Newest first")

    @classmethod
    def of(cls, plans: FamilyPlans) -> FamilyPlansOut:
        code = plans.family.code
        return cls(
            family=code,
            family_name=plans.family.name,
            current=SubscriptionOut.of(plans.current, code) if plans.current else None,
            latest=SubscriptionOut.of(plans.latest, code) if plans.latest else None,
            history=[HistoryOut.of(e) for e in plans.history],
        )


class RenewalFailureOut(BaseModel):
    subscription_id: str
    code: str
    message: str


class AdvancedOut(BaseModel):
    object: str = "subscription_advance"
    as_of: datetime
    renewed: int = Field(description="Subscriptions that passed at least one period end")
    items: int = Field(description="Billable items made")
    skipped: int = Field(description="Taken by another worker at the same time")
    failed: list[RenewalFailureOut] = Field(
        default_factory=list, description="Could not renew now; retried by the next run"
    )
