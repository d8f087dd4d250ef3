"""What a subscription grants of a meter in a period: an allowance key IS a meter code.

Included for the period, per plan held: the charge's ``included`` when the plan version charges
the meter (in the subscription's currency), else the plan terms' ``allowances[meter]``; plus
each add-on held's ``allowances[meter]`` x its quantity. After a plan change inside the period
the plans held are prorated (sum of included x days held / days in the period, exact, rounded
half up once). Extra packs bought (and paid) in the period add their units on top.

The limit is the charge's (``hard`` or ``soft``) when the plan held at the period's end charges
the meter; an allowance nothing prices the excess of is ``hard``: a use past it would be free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription, Terms
from plansmith.domain.usage.allowances import Holding, Standing, prorated_allowance
from plansmith.domain.usage.charges import Charge, LimitKind

__all__ = [
    "Charging",
    "Grant",
    "charge_of",
    "charged_by",
    "granted_meters",
    "hard_limited",
    "included_by",
    "owned_meters",
    "period_grant",
    "standing",
    "taken_out_before",
]


@dataclass(frozen=True)
class Grant:
    """A meter's allowance in a subscription's period, before packs and usage."""

    meter: str
    included: int
    limit: LimitKind
    charged: bool  # a charge prices the excess (soft) or denies it (hard)


def charge_of(book: PriceBook, terms: Terms, meter: str) -> Charge | None:
    version = book.versions.get(terms.version_id)
    if version is None:
        return None
    found = [c for c in version.terms.charges_in(terms.currency) if c.meter == meter]
    return found[0] if found else None


def included_by(book: PriceBook, terms: Terms, meter: str) -> int:
    """What these terms include of the meter for one full period."""
    charge = charge_of(book, terms, meter)
    version = book.versions.get(terms.version_id)
    plan = version.terms.allowances.get(meter, 0) if version is not None else 0
    included = charge.included if charge is not None else plan
    for code, quantity in terms.add_ons.items():
        add_on = book.add_ons.get(code)
        if add_on is not None:
            included += add_on.allowances.get(meter, 0) * quantity
    return included


def granted_meters(book: PriceBook, terms: Terms) -> set[str]:
    """The meters these terms grant an allowance of or charge."""
    version = book.versions.get(terms.version_id)
    if version is None:
        return set()
    meters = {c.meter for c in version.terms.charges_in(terms.currency)}
    meters |= set(version.terms.allowances)
    for code in terms.add_ons:
        add_on = book.add_ons.get(code)
        if add_on is not None:
            meters |= set(add_on.allowances)
    return meters


def period_grant(sub: Subscription, spans: Sequence[Span], book: PriceBook, meter: str) -> Grant:
    """The meter's grant in the period ``sub`` is in; ``spans``: its held-terms log."""
    start, end = sub.period_start, sub.period_end
    held = [s for s in spans if s.days_within(start, end) > 0]
    if len(held) <= 1:
        included = included_by(book, sub.terms, meter)
    else:
        holdings = [
            Holding(included_by(book, s.terms, meter), s.days_within(start, end)) for s in held
        ]
        included = prorated_allowance(holdings, (end - start).days)
    charge = charge_of(book, sub.terms, meter)
    limit = charge.limit if charge is not None else LimitKind.HARD
    return Grant(meter, included, LimitKind(limit), charge is not None)


def standing(grant: Grant, packs: Iterable[int], used: Fraction | int) -> Standing:
    return Standing.of(grant.included, packs, used)


@dataclass(frozen=True)
class Charging:
    """A subscription as the rule of one bill per meter sees it."""

    subscription_id: str
    created_at: datetime
    version_id: str
    currency: str
    in_service: bool
    stopped_at: datetime | None = None  # its last stop (cancel now, pause), if any


def charged_by(book: PriceBook, version_id: str, currency: str) -> set[str]:
    version = book.versions.get(version_id)
    return {c.meter for c in version.terms.charges_in(currency)} if version is not None else set()


def owned_meters(book: PriceBook, sub: Charging, account: Iterable[Charging]) -> set[str]:
    """The meters whose usage ``sub`` bills: those it charges that no subscription of the
    same account in service, taken out before it (then by id), charges too. An account's use
    of a meter is billed once, by the oldest subscription charging it."""
    mine = charged_by(book, sub.version_id, sub.currency)
    for other in account:
        if other.subscription_id == sub.subscription_id or not other.in_service:
            continue
        if taken_out_before(other, sub):
            mine -= charged_by(book, other.version_id, other.currency)
    return mine


def taken_out_before(one: Charging, other: Charging) -> bool:
    """``one`` was taken out before ``other``: by ``created_at``, then id. Of two taken out
    at one instant, one also stopped at that instant came first: the other was taken out
    after its stop (a new subscription on the stop's date, ADR 0034; a sandbox's test clock
    stands still), whatever their random ids."""
    if one.created_at != other.created_at:
        return one.created_at < other.created_at
    one_stopped, other_stopped = (
        c.stopped_at is not None and c.stopped_at == c.created_at for c in (one, other)
    )
    if one_stopped != other_stopped:
        return one_stopped
    return one.subscription_id < other.subscription_id


def hard_limited(book: PriceBook) -> set[str]:
    """The meters some version or add-on of the catalog may hold under a hard limit: those a
    charge limits hard and those granted as a plain allowance (nothing prices their excess).
    Ingest holds nothing for the others."""
    found: set[str] = set()
    for version in book.versions.values():
        charged = {c.meter for c in version.terms.charges}
        found |= {c.meter for c in version.terms.charges if c.limit == LimitKind.HARD}
        found |= set(version.terms.allowances) - charged
    for add_on in book.add_ons.values():
        found |= set(add_on.allowances)
    return found
