"""Invoice prediction (seed 004's "amount calculated so far and the end-of-month estimate"):
for one subscription's current billing period at an instant ``now``, what its days and usage
are worth so far and what the whole period will be worth at its end.

The method (docs/usage.md, "Invoice prediction"; ADR 0031):
- *Elapsed days* count today whole: on the period's first day one day has elapsed, on its
  last day all of them. A day is a local date in the account's zone, so a DST change (a
  23- or 25-hour day) or a leap day is one day like any other.
- *Recurring* is what the days held are worth at the daily rate (period price / days in the
  period), per component and quantity, summed over the spans of the held-terms log: so far,
  the days from the period's start through today; at the end, through the period's end (a
  stopped span keeps its own days). For a pay-per-day plan that is exactly the accrual its
  period end bills; for a plan billed in advance it is the share of the period's price the
  days so far are worth (so "so far" grows day by day), and the full price at the end.
  A trial's days are worth nothing.
- *Usage* so far is each charged meter's value over the period's dates up to now, less the
  period's allowance (prorated over the plans held, plus extra pack units given per meter),
  rated by the charge of the version in force. The estimate projects the value to the
  period's end: count and sum meters at their daily rate so far (value / elapsed days x days
  in the period, to the meter's resolution: whole events, micro-units of a sum); max meters
  and unique counts as they stand (a peak or a set of values does not grow with the days);
  a hard limit caps the projection at the allowance, since uses past it are refused.
- Exact inside (Fraction); each line is rounded half up once, so far and at the end, and its
  tax (the account's rate, as its invoices take it) once more on its rounded amount, as an
  invoice line's is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction

from plansmith.domain.invoicing.invoice import TaxRate
from plansmith.domain.invoicing.pricing import line_tax
from plansmith.domain.kernel.limits import MAX_ALLOWANCE
from plansmith.domain.kernel.money import round_half_up
from plansmith.domain.kernel.periods import Period, local_date, zone
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import Component, PriceBook, components
from plansmith.domain.subscriptions.proration import part_amount
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.subscriptions.usage_lines import charges_at_end, period_allowance_of
from plansmith.domain.usage.allowances import period_allowance
from plansmith.domain.usage.charges import Charge, LimitKind
from plansmith.domain.usage.measures import Measured
from plansmith.domain.usage.meters import Aggregation
from plansmith.domain.usage.rating import rate

__all__ = [
    "METHOD",
    "AccountTotal",
    "PredictedLine",
    "SubscriptionPrediction",
    "account_totals",
    "predict",
    "prediction_period",
]

METHOD = (
    "Elapsed days count today whole. Recurring: the days held so far (through today) at the "
    "daily rate, per component; at the end, the days held through the period's end. Usage: "
    "each meter's value so far less the period's allowance, rated by its charge; the estimate "
    "projects count and sum meters at their daily rate so far (value / elapsed days x days in "
    "the period), keeps max and unique-count meters as they stand, caps a hard limit at the "
    "allowance. Each line rounded half up once; tax per line at the account's rate."
)

_MICROS = 1_000_000
_NOTHING = Measured(Fraction(0), 0)


@dataclass(frozen=True)
class PredictedLine:
    """One line of the period: a recurring component or a charged meter."""

    kind: str  # "recurring" or "usage"
    component: str  # "plan", "add_on:<code>" or "usage:<meter>"
    description: str
    quantity_so_far: Fraction  # days held so far (recurring) or the meter's value so far
    quantity_projected: Fraction  # days held at the end, or the value projected to the end
    allowance: int | None  # usage: the period's allowance with pack units; None: recurring
    so_far: int  # minor units, rounded once
    estimate: int
    tax_so_far: int
    tax_estimate: int


@dataclass(frozen=True)
class SubscriptionPrediction:
    subscription_id: str
    currency: str
    period: Period
    today: date
    elapsed_days: int  # through today, whole
    lines: tuple[PredictedLine, ...]
    tax_inclusive: bool  # the taxes are inside the amounts (not added on top)

    @property
    def subtotal_so_far(self) -> int:
        return sum(line.so_far for line in self.lines)

    @property
    def subtotal_estimate(self) -> int:
        return sum(line.estimate for line in self.lines)

    @property
    def tax_so_far(self) -> int:
        return sum(line.tax_so_far for line in self.lines)

    @property
    def tax_estimate(self) -> int:
        return sum(line.tax_estimate for line in self.lines)

    @property
    def so_far(self) -> int:
        """What the period is worth so far, tax included, as its invoice would total it."""
        return self.subtotal_so_far + (0 if self.tax_inclusive else self.tax_so_far)

    @property
    def estimate(self) -> int:
        return self.subtotal_estimate + (0 if self.tax_inclusive else self.tax_estimate)


@dataclass(frozen=True)
class AccountTotal:
    currency: str
    so_far: int
    estimate: int


def prediction_period(sub: Subscription, now: datetime, log: Sequence[Span] = ()) -> Period | None:
    """The period a prediction at ``now`` is for: the one the subscription is in (the one its
    schedule gives for today when the stored one has ended and the billing run has not moved
    it yet). A stopped subscription (canceled, paused) is predicted for the period it stopped
    in while that period lasts and it held terms on some of its days (what those days are
    worth, as its accrual or its credit for the rest leaves it); None otherwise."""
    tz = zone(sub.time_zone)
    today = local_date(now, tz)
    if sub.in_service:
        if today < sub.period_end:
            return sub.period
        return sub.schedule.period_containing(today)
    held = any(not s.trial and s.days_within(sub.period_start, sub.period_end) for s in log)
    if (held or sub.has_open_accrual) and today < sub.period_end:
        return sub.period
    return None


def predict(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    now: datetime,
    usage: Mapping[str, Measured],
    aggregations: Mapping[str, Aggregation],
    *,
    packs: Mapping[str, int] | None = None,
    tax_rate: TaxRate | None = None,
) -> SubscriptionPrediction | None:
    """``sub``'s prediction at ``now``. ``usage``: each meter's value over the period's dates
    so far (from the daily aggregates), by meter code; ``aggregations``: each meter's kind;
    ``packs``: extra allowance units per meter for the period (extra packs bought in it).
    None when the subscription bills nothing more (see :func:`prediction_period`)."""
    period = prediction_period(sub, now, log)
    if period is None:
        return None
    today = local_date(now, zone(sub.time_zone))
    elapsed = min(max((today - period.start).days + 1, 1), period.days)
    through = min(today + timedelta(days=1), period.end)
    in_period = replace(sub, period_start=period.start, period_end=period.end)
    lines = list(_recurring(log, book, period, through))
    for charge in charges_at_end(sub, book):
        kind = aggregations.get(charge.meter, Aggregation.COUNT)
        measured = usage.get(charge.meter, _NOTHING)
        granted = period_allowance(
            period_allowance_of(in_period, log, book, charge),
            [(packs or {}).get(charge.meter, 0)],
        )
        lines.append(_usage(charge, kind, measured, granted, elapsed, period.days))
    taxed = tuple(
        replace(
            line,
            tax_so_far=line_tax(line.so_far, tax_rate),
            tax_estimate=line_tax(line.estimate, tax_rate),
        )
        for line in lines
    )
    inclusive = tax_rate is not None and tax_rate.inclusive
    return SubscriptionPrediction(
        sub.id, sub.terms.currency, period, today, elapsed, taxed, inclusive
    )


def _recurring(
    log: Iterable[Span], book: PriceBook, period: Period, through: date
) -> Iterable[PredictedLine]:
    """Per (component, price, quantity): the days held so far and at the end, each worth the
    period price / days in the period, rounded once."""
    held: dict[Component, list[int]] = {}
    for span in log:
        if span.trial:
            continue
        so_far = span.days_within(period.start, through)
        at_end = span.days_within(period.start, period.end)
        if not at_end:
            continue
        for part in components(span.terms, book):
            days = held.setdefault(part, [0, 0])
            days[0] += so_far
            days[1] += at_end
    for part, (so_far, at_end) in held.items():
        yield PredictedLine(
            kind="recurring",
            component=part.key,
            description=f"{part.name} × {part.quantity}",
            quantity_so_far=Fraction(so_far),
            quantity_projected=Fraction(at_end),
            allowance=None,
            so_far=part_amount(part.period_amount, so_far, period.days),
            estimate=part_amount(part.period_amount, at_end, period.days),
            tax_so_far=0,
            tax_estimate=0,
        )


def projected(
    kind: Aggregation, measured: Measured, elapsed: int, days: int
) -> tuple[Fraction, int]:
    """The meter's value and events projected to the period's end from ``elapsed`` of its
    ``days``: count and sum at their daily rate (to whole events, to micro-units of a sum),
    max and unique count as they stand."""
    if kind in (Aggregation.MAX, Aggregation.UNIQUE_COUNT):
        return measured.quantity, measured.events
    scale = Fraction(days, elapsed)
    events = round_half_up(measured.events * scale)
    if kind is Aggregation.COUNT:
        return Fraction(round_half_up(measured.quantity * scale)), events
    return Fraction(round_half_up(measured.quantity * scale * _MICROS), _MICROS), events


def _usage(
    charge: Charge,
    kind: Aggregation,
    measured: Measured,
    granted: int,
    elapsed: int,
    days: int,
) -> PredictedLine:
    quantity, events = projected(kind, measured, elapsed, days)
    if charge.limit is LimitKind.HARD:
        quantity = min(quantity, max(measured.quantity, Fraction(granted)))
    quantity = min(quantity, Fraction(MAX_ALLOWANCE))
    now_line = rate(charge, measured.quantity, allowance=granted, events=measured.events)
    end_line = rate(charge, quantity, allowance=granted, events=events)
    return PredictedLine(
        kind="usage",
        component=f"usage:{charge.meter}",
        description=f"Usage: {charge.meter}",
        quantity_so_far=measured.quantity,
        quantity_projected=quantity,
        allowance=granted,
        so_far=now_line.amount_minor,
        estimate=end_line.amount_minor,
        tax_so_far=0,
        tax_estimate=0,
    )


def account_totals(predictions: Iterable[SubscriptionPrediction]) -> tuple[AccountTotal, ...]:
    """So far and estimate summed per currency (currencies in order of appearance)."""
    sums: dict[str, list[int]] = {}
    for p in predictions:
        pair = sums.setdefault(p.currency, [0, 0])
        pair[0] += p.so_far
        pair[1] += p.estimate
    return tuple(AccountTotal(c, s, e) for c, (s, e) in sums.items())
