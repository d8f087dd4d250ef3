"""What the API answers for an invoice prediction, and for a change's effect on it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, Field

from plansmith.application.usage.prediction import AccountPrediction, ChangeEffect
from plansmith.domain.subscriptions.prediction import PredictedLine, SubscriptionPrediction


def decimal_text(value: Fraction) -> str:
    """Exact decimal text: quantities are whole, or micro-units of a sum meter."""
    if value.denominator == 1:
        return str(value.numerator)
    return str(Decimal(value.numerator) / Decimal(value.denominator))


class PredictedLineOut(BaseModel):
    kind: str = Field(description="recurring or usage")
    component: str = Field(description="plan, add_on:<code> or usage:<meter>")
    description: str
    quantity_so_far: str = Field(
        description="Days held so far (recurring) or the meter's value so far, exact decimal"
    )
    quantity_projected: str = Field(
        description="Days held at the period's end, or the meter's value projected to it"
    )
    allowance: int | None = Field(description="Usage: the period's allowance with extra units")
    so_far: int = Field(description="Minor units, rounded once")
    estimate: int = Field(description="Minor units at the period's end, rounded once")
    tax_so_far: int
    tax_estimate: int

    @classmethod
    def of(cls, line: PredictedLine) -> PredictedLineOut:
        return cls(
            kind=line.kind,
            component=line.component,
            description=line.description,
            quantity_so_far=decimal_text(line.quantity_so_far),
            quantity_projected=decimal_text(line.quantity_projected),
            allowance=line.allowance,
            so_far=line.so_far,
            estimate=line.estimate,
            tax_so_far=line.tax_so_far,
            tax_estimate=line.tax_estimate,
        )


class SubscriptionPredictionOut(BaseModel):
    subscription_id: str
    currency: str
    period_start: date = Field(description="First local date of the billing period")
    period_end: date = Field(description="The local date after its last (excluded)")
    today: date = Field(description="The account's local date the prediction is made on")
    elapsed_days: int = Field(description="Days of the period through today, today counted whole")
    period_days: int
    so_far: int = Field(description="What the period is worth so far, tax included, minor units")
    estimate: int = Field(description="What the period will be worth at its end, tax included")
    subtotal_so_far: int
    subtotal_estimate: int
    tax_so_far: int
    tax_estimate: int
    lines: list[PredictedLineOut]

    @classmethod
    def of(cls, p: SubscriptionPrediction) -> SubscriptionPredictionOut:
        return cls(
            subscription_id=p.subscription_id,
            currency=p.currency,
            period_start=p.period.start,
            period_end=p.period.end,
            today=p.today,
            elapsed_days=p.elapsed_days,
            period_days=p.period.days,
            so_far=p.so_far,
            estimate=p.estimate,
            subtotal_so_far=p.subtotal_so_far,
            subtotal_estimate=p.subtotal_estimate,
            tax_so_far=p.tax_so_far,
            tax_estimate=p.tax_estimate,
            lines=[PredictedLineOut.of(line) for line in p.lines],
        )


class PredictionTotalOut(BaseModel):
    currency: str
    so_far: int
    estimate: int


class PredictionOut(BaseModel):
    object: str = "invoice_prediction"
    account_id: str
    time_zone: str
    at: datetime = Field(description="The instant the prediction is made at")
    method: str = Field(description="How so far and the estimate are computed")
    subscriptions: list[SubscriptionPredictionOut]
    totals: list[PredictionTotalOut] = Field(description="Summed per currency")

    @classmethod
    def of(cls, found: AccountPrediction) -> PredictionOut:
        return cls(
            account_id=found.account_id,
            time_zone=found.time_zone,
            at=found.at,
            method=found.method,
            subscriptions=[SubscriptionPredictionOut.of(p) for p in found.subscriptions],
            totals=[PredictionTotalOut(**vars(t)) for t in found.totals],
        )


class ChangeEffectOut(BaseModel):
    """The subscription's period estimate before and after the change previewed."""

    before: SubscriptionPredictionOut | None
    after: SubscriptionPredictionOut | None
    estimate_change: int = Field(description="after.estimate - before.estimate, minor units")
    method: str

    @classmethod
    def of(cls, effect: ChangeEffect) -> ChangeEffectOut:
        return cls(
            before=SubscriptionPredictionOut.of(effect.before) if effect.before else None,
            after=SubscriptionPredictionOut.of(effect.after) if effect.after else None,
            estimate_change=effect.estimate_change,
            method=effect.method,
        )
