"""Usage lines: at a period's end, one billable item per meter charged by the plan version in
force at that end, in arrears, rated once.

The allowance is the charge's ``included`` (plus the add-ons' allowance of the meter) when one
plan was held the whole period; after a plan change inside it, the sum over the plans held (the
held-terms log's spans) of included x days held / days in the period, rounded half up once (a
plan without a charge for the meter grants its plain allowance of it, if any). Extra packs add
their units on top: ``packs`` gives the units of the packs paid in the period per meter.
Whatever is left at the end expires: each period is measured and granted on its own. An
account's use of a meter is billed by one subscription (``owned``, see usage_standing).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import date, timedelta

from plansmith.domain.invoicing.invoice import LineKind, UsageDetail
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import BillableItem, Status, Subscription
from plansmith.domain.subscriptions.usage_standing import included_by
from plansmith.domain.usage.allowances import Holding, period_allowance, prorated_allowance
from plansmith.domain.usage.charges import Charge
from plansmith.domain.usage.measures import Measured
from plansmith.domain.usage.rating import rate

__all__ = [
    "Measure",
    "Packs",
    "charges_at_end",
    "period_allowance_of",
    "stop_usage_items",
    "usage_items",
]

Measure = Callable[[str, date, date], Measured]  # meter code, [start, end) -> its value
Packs = Callable[[str, date, date], Sequence[int]]  # pack units bought in the period


def no_packs(_meter: str, _start: date, _end: date) -> Sequence[int]:
    return ()


def charges_at_end(sub: Subscription, book: PriceBook) -> tuple[Charge, ...]:
    """The charges of the version in force at the period's end, in the subscription's
    currency; none for a trial (a trial bills nothing) or a subscription out of service."""
    if not sub.in_service or sub.status is Status.TRIALING:
        return ()
    return book.version(sub.terms.version_id).terms.charges_in(sub.terms.currency)


def _included(book: PriceBook, span: Span, meter: str, currency: str) -> int:
    # as the allowance standing counts it (usage_standing.included_by): the charge's included,
    # else the plan's allowance of the meter, plus the add-ons'; a trial bills nothing
    return 0 if span.trial else included_by(book, span.terms, meter)


def period_allowance_of(
    sub: Subscription,
    spans: Sequence[Span],
    book: PriceBook,
    charge: Charge,
    held_days: tuple[date, date] | None = None,
    period: tuple[date, date] | None = None,
) -> int:
    """The period's allowance for the charge's meter from the plans held in it; with
    ``held_days`` (a window of the ``period``, ADR 0034), from the plans held on those days:
    included x days held in the window / days in the period, rounded half up once."""
    start, end = period or (sub.period_start, sub.period_end)
    days = (end - start).days
    whole = held_days is None
    if held_days is not None:
        start, end = held_days
    held = [s for s in spans if s.days_within(start, end) > 0]
    if whole and len(held) <= 1:
        # one plan (the one at the end) the whole period, with the add-ons it holds
        return included_by(book, sub.terms, charge.meter)
    holdings = [
        Holding(
            _included(book, s, charge.meter, charge.currency.code),
            s.days_within(start, end),
        )
        for s in held
    ]
    return prorated_allowance(holdings, days)


def usage_items(
    sub: Subscription,
    spans: Sequence[Span],
    book: PriceBook,
    measure: Measure,
    packs: Packs = no_packs,
    owned: Collection[str] | None = None,
) -> tuple[BillableItem, ...]:
    """The usage items of the period ``sub`` is in (``[usage_start, period_end)``: from
    its start, or from a resume in it), as its end bills them; ``spans``: its held-terms log
    up to that end; ``owned``: the meters whose usage it bills (None: all it charges): an
    older subscription of the account charging a meter too bills that meter's usage, never
    both."""
    start, end = sub.usage_start, sub.period_end
    if start >= end:  # resumed on the period's last day: that day is in the stop's line
        return ()
    window = None if start == sub.period_start else (start, end)
    charges = charges_at_end(sub, book)
    whole = window is None or _first_window_of_new(sub)
    return _items(sub, spans, book, measure, packs, owned, charges, window, with_packs=whole)


def _first_window_of_new(sub: Subscription) -> bool:
    """A new subscription taken out on the date an earlier one stopped (ADR 0034): its first
    window starts the next day, and the packs of its period are its own, granted nowhere
    else. (A window after its own stop and resume does not get them again.)"""
    taken_out = local_date(sub.created_at, zone(sub.time_zone))
    return (
        sub.stopped_at is None
        and taken_out == sub.period_start
        and sub.usage_start == taken_out + timedelta(days=1)
    )


def stop_usage_items(
    sub: Subscription,
    spans: Sequence[Span],
    book: PriceBook,
    measure: Measure,
    packs: Packs = no_packs,
    owned: Collection[str] | None = None,
) -> tuple[BillableItem, ...]:
    """ADR 0034: the usage items of a period stopped in its middle, the local dates
    ``[start, stop date]`` measured, the allowance prorated by the days held before the stop
    date (the stop's credit covers the stop day onward); for a cycle change's cut, the dates
    before the change date, all held. ``spans``: its held-terms log."""
    stop = sub.stop_usage
    if stop is None:
        return ()
    # the version held at the stop (a cut: before the change), not one a restart took since
    version = stop.version_id or sub.terms.version_id
    charges = book.version(version).terms.charges_in(sub.terms.currency)
    measured = (stop.start, stop.on + timedelta(days=1))
    period = (sub.period_start, sub.period_end)
    if stop.period_start is not None and stop.period_end is not None:  # a cycle change's cut
        period = (stop.period_start, stop.period_end)
    elif not sub.period_start <= stop.on < sub.period_end:  # restarted in a later period since
        found = sub.schedule.period_containing(stop.on)
        period = (found.start, found.end)
    # a cut holds its last date (the new period starts the day after)
    held = (stop.start, stop.on + timedelta(days=1) if stop.cut else stop.on)
    first = stop.start == period[0]
    if stop.cut:  # its lines name the plan and cycle held on its last date
        last = [s for s in spans if s.days_within(stop.on, stop.on + timedelta(days=1))]
        sub = replace(sub, terms=last[-1].terms) if last else sub
    elif version != sub.terms.version_id:  # changed after a restart: name the stop's plan
        held_then = [s for s in spans if s.terms.version_id == version]
        sub = replace(sub, terms=held_then[-1].terms) if held_then else sub
    return _items(
        sub, spans, book, measure, packs, owned, charges, held, measured, period, with_packs=first
    )


def _items(
    sub: Subscription,
    spans: Sequence[Span],
    book: PriceBook,
    measure: Measure,
    packs: Packs,
    owned: Collection[str] | None,
    charges: Sequence[Charge],
    held_days: tuple[date, date] | None,
    measured_days: tuple[date, date] | None = None,
    period: tuple[date, date] | None = None,
    *,
    with_packs: bool,
) -> tuple[BillableItem, ...]:
    """One item per charge: the dates ``measured_days`` (the window ``held_days``, or the
    whole period) measured and rated against the allowance of the days held. Paid packs of
    the period add in full to the window that starts with the period (``with_packs``: they
    were paid for once; a window after a resume does not get them again)."""
    period_start, _end = period or (sub.period_start, sub.period_end)
    start, end = measured_days or held_days or (sub.period_start, sub.period_end)
    items = []
    for charge in charges:
        if owned is not None and charge.meter not in owned:
            continue
        measured = measure(charge.meter, start, end)
        bought = packs(charge.meter, period_start, end) if with_packs else ()
        included = period_allowance_of(sub, spans, book, charge, held_days, period)
        granted = period_allowance(included, bought)
        line = rate(charge, measured.quantity, allowance=granted, events=measured.events)
        usage = UsageDetail(charge.meter, line.quantity, granted, line.billable_quantity)
        items.append(
            BillableItem(
                kind=LineKind.USAGE,
                component=f"usage:{charge.meter}",
                description=f"Usage: {charge.meter}",
                currency=charge.currency.code,
                quantity=1,
                unit_amount=line.amount_minor,
                amount=line.amount_minor,
                period_start=start,
                period_end=end,
                plan_id=sub.terms.plan_id,
                cycle=sub.terms.cycle.name,
                usage=usage,
            )
        )
    return tuple(items)
