"""Pricing what a subscription holds: the price book (the catalog objects its terms refer to,
loaded by the use case, with the priced parts cached by terms), the priced components of the
terms (the plan, then each add-on, for a full period), each within what one line may bill,
and the checks that the add-ons asked for exist, are sold, fit the family and plan and count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plansmith.domain.catalog.add_ons import AddOn
from plansmith.domain.catalog.plans import Plan, PlanFamily, PlanVersion
from plansmith.domain.catalog.pricing import NotOffered, quote
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_LINE_AMOUNT, MAX_QUANTITY, TooLarge, at_most, figure
from plansmith.domain.kernel.money import Currency
from plansmith.domain.subscriptions.subscription import Terms

# At most this many priced terms are remembered per book (a billing run needs a few dozen).
PRICED_HELD = 1024


@dataclass(frozen=True)
class PriceBook:
    """The catalog objects a subscription's terms refer to, loaded by the use case."""

    families: Mapping[str, PlanFamily]  # by id
    plans: Mapping[str, Plan]  # by id
    versions: Mapping[str, PlanVersion]  # by id
    add_ons: Mapping[str, AddOn]  # by code
    # Priced parts by terms: a billing run prices the same few terms for many subscriptions.
    priced: dict[tuple[object, ...], tuple[Component, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def version(self, version_id: str) -> PlanVersion:
        return self.versions[version_id]

    def plan(self, plan_id: str) -> Plan:
        return self.plans[plan_id]


@dataclass(frozen=True)
class Component:
    """One priced part of the terms: the plan, or one add-on, for a full period."""

    key: str  # "plan" or "add_on:<code>"
    name: str
    unit_amount: int  # per seat (or unit) for one full period of the cycle
    quantity: int
    plan_id: str | None = None  # the plan, for the plan's own part (coupons may target it)

    @property
    def period_amount(self) -> int:
        return self.unit_amount * self.quantity


def components(terms: Terms, book: PriceBook) -> tuple[Component, ...]:
    """The plan and each add-on with its price for the terms' cycle and currency."""
    key = (
        terms.version_id,
        terms.plan_id,
        terms.cycle,
        terms.currency,
        terms.quantity,
        tuple(sorted(terms.add_ons.items())),
    )
    found = book.priced.get(key)
    if found is None:
        if len(book.priced) >= PRICED_HELD:
            # A book lives as long as its catalog revision, and terms (any quantity) come
            # from outside: start over rather than grow without bound.
            book.priced.clear()
        found = book.priced[key] = _price(terms, book)
    return found


def _price(terms: Terms, book: PriceBook) -> tuple[Component, ...]:
    version = book.version(terms.version_id)
    currency = Currency.of(terms.currency)
    q = quote(version.terms, terms.cycle, currency, terms.quantity)
    # Lines name the plan as customers know it, not the operator's version label ("… Legacy").
    plan = book.plans.get(terms.plan_id)
    name = plan.name if plan is not None else version.name
    parts = [Component("plan", name, q.unit_amount, q.quantity, terms.plan_id)]
    for code, quantity in sorted(terms.add_ons.items()):
        add_on = book.add_ons.get(code)
        if add_on is None:
            raise InvalidValue(
                f"no add-on {code!r}", field=f"add_ons.{code}", code=ec.UNKNOWN_REFERENCE
            )
        price = next(
            (p for p in add_on.prices if p.currency == terms.currency and p.cycle == terms.cycle),
            None,
        )
        if price is None:
            raise NotOffered(
                f"{add_on.name} has no {terms.currency} price per {terms.cycle.name}",
                field=f"add_ons.{code}",
            )
        parts.append(Component(f"add_on:{code}", add_on.name, price.amount, quantity))
    for part in parts:
        _within_a_line(part)
    return tuple(parts)


def _within_a_line(part: Component) -> None:
    """Prices and quantities within their bounds make at most MAX_LINE_AMOUNT a period; a
    catalog stored before the bounds existed may not: refused here, never overflowing."""
    if part.period_amount > MAX_LINE_AMOUNT:
        where = "quantity" if part.key == "plan" else f"add_ons.{part.key.split(':', 1)[1]}"
        raise TooLarge(
            f"{part.name}: {figure(part.unit_amount)} × {figure(part.quantity)} comes to more "
            f"than one line may ({figure(MAX_LINE_AMOUNT)} minor units)",
            field=where,
        )


def check_add_ons(
    add_ons: Mapping[str, int], book: PriceBook, family: PlanFamily, plan: Plan
) -> None:
    """Each add-on exists, is not archived, fits this family and plan, and has a valid count."""
    for code, quantity in add_ons.items():
        where = f"add_ons.{code}"
        add_on = book.add_ons.get(code)
        if add_on is None:
            raise InvalidValue(f"no add-on {code!r}", field=where, code=ec.UNKNOWN_REFERENCE)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise InvalidValue("an add-on quantity is a whole number of 0 or more", field=where)
        at_most(quantity, MAX_QUANTITY, where, "an add-on quantity")
        if quantity > 1 and not add_on.quantity_allowed:
            raise InvalidValue(f"{add_on.name} is bought once: quantity 1", field=where)
        if quantity == 0:
            continue
        if add_on.archived_at is not None:
            raise InvalidValue(f"{add_on.name} is no longer sold", field=where, code=ec.ARCHIVED)
        if add_on.fits_families and family.code not in add_on.fits_families:
            raise InvalidValue(
                f"{add_on.name} does not fit {family.name} plans", field=where, code=ec.NOT_FITTING
            )
        if add_on.fits_plans and plan.code not in add_on.fits_plans:
            raise InvalidValue(
                f"{add_on.name} does not fit the {plan.name} plan", field=where, code=ec.NOT_FITTING
            )
