"""What a plan family offers a customer, and the customer's choice in it: the plans offered
on a channel with a price per cycle, a plan, cycle and quantity as entered (checked, and quoted
with the domain's own pricing, so the line on a form is what the change charges), and the review
with the fingerprint a confirmation must match.

Both the portal's screens and its confirm read these; they hold no words of a page beyond the
sentences a refusal is shown with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from plansmith.application.catalog.extras import Offer
from plansmith.application.kernel.errors import Refusal
from plansmith.application.subscriptions.lifecycle import Result, SubscriptionView
from plansmith.application.subscriptions.queries import FamilyPlans
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.add_ons import AddOn
from plansmith.domain.catalog.pricing import Quote, quote, unit_price
from plansmith.domain.catalog.terms import PlanTerms, PricingModel
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import BillingSchedule, Cycle, zone
from plansmith.domain.subscriptions.events import ChangeScheduled

FIELDS = ("plan", "cycle", "quantity")
# The held additional packages have no price for the cycle chosen: the change would be refused.
NO_ADD_ON_PRICE = "Your additional packages are not offered for this billing cycle"
LABELS = {"plan": "Plan", "cycle": "Billing cycle", "quantity": "Quantity"}
_QUANTITY = re.compile(r"[0-9]+")


def fixable(error: DomainError) -> bool:
    """A refusal the person can act on (a wrong value, or not now), not a missing object."""
    return error.status in (409, 422)


def readable(error: DomainError) -> Refusal:
    """A domain message as a sentence: "quantity is ..." -> "Quantity is ..."; it keeps the
    error, so a page in another language says it by its code instead."""
    message = error.message
    for name, label in LABELS.items():
        if message.startswith(name + " "):
            return Refusal(label + message[len(name) :], error)
    return Refusal(message[:1].upper() + message[1:], error)


def _refused(sentence: str, name: str) -> Refusal:
    """The form's own refusal of a field, with an error a page can say in its language."""
    return Refusal(sentence, InvalidValue(sentence, field=name))


# -- what a family offers -----------------------------------------------------------------


@dataclass(frozen=True)
class CyclePrice:
    """What one seat (or the subscription, for a flat plan) costs for one cycle."""

    cycle: Cycle
    unit_amount: int
    list_unit_amount: int  # before the cycle discount
    discount: Decimal  # percent; 0 without a discount


@dataclass(frozen=True)
class PlanOption:
    """A plan the customer may choose: one offered on the portal, or the plan held now."""

    code: str
    name: str
    rank: int
    terms: PlanTerms
    prices: tuple[CyclePrice, ...]
    current: bool = False  # held now: priced at the version held, which a change keeps

    @property
    def per_seat(self) -> bool:
        return self.terms.pricing is PricingModel.PER_SEAT

    def price(self, cycle: Cycle) -> CyclePrice | None:
        return next((p for p in self.prices if p.cycle == cycle), None)


def _option(
    code: str, name: str, rank: int, terms: PlanTerms, currency: str, *, current: bool = False
) -> PlanOption:
    money_in = Currency.of(currency)
    prices = []
    for cycle in terms.cycles(currency):
        listed, discount, amount = unit_price(terms, cycle, money_in)
        prices.append(CyclePrice(cycle, amount, listed, discount))
    return PlanOption(code, name, rank, terms, tuple(prices), current)


def plan_options(
    offers: Iterable[Offer], family_code: str, held: SubscriptionView | None, currency: str
) -> list[PlanOption]:
    """The family's plans offered on the portal, and the plan held (at its own version: a
    change that keeps the plan keeps the version, so that is the price it is charged at)."""
    options = []
    held_code = held.plan.code if held is not None else None
    for offer in offers:
        plan = offer.view.plan
        if offer.view.family.code == family_code and plan.code != held_code:
            terms = offer.version.terms
            # Customers read the plan's name; a version's name is the operator's label.
            options.append(_option(plan.code, plan.name, plan.rank, terms, currency))
    if held is not None:
        version, plan = held.version, held.plan
        held_option = _option(
            plan.code, plan.name, plan.rank, version.terms, currency, current=True
        )
        options.append(held_option)
    return sorted(options, key=lambda o: (o.rank, o.code))


@dataclass(frozen=True)
class Screen:
    """One family as the change screens see it: the account, its plans there, the options,
    and the catalog's add-ons (by code), which price the packages the plan carries."""

    account: Account
    plans: FamilyPlans
    options: list[PlanOption]
    add_ons: Mapping[str, AddOn] = field(default_factory=dict)

    @property
    def held(self) -> SubscriptionView | None:
        return self.plans.current

    def held_add_ons(self) -> Mapping[str, int]:
        held = self.held
        return held.subscription.terms.add_ons if held is not None else {}

    def check(self, fields: Wish) -> Choice:
        """The choice checked and quoted, with the packages it keeps (or sets) priced."""
        currency = self.account.currency
        return check_choice(fields, self.options, currency, self.held_add_ons(), self.add_ons)

    def add_ons_per_cycle(self) -> dict[str, int | None]:
        """What the packages held cost a period of each cycle offered (None: not sold for
        it), for the Change form's total as the customer picks a cycle."""
        currency, held = self.account.currency, self.held_add_ons()
        sums: dict[str, int | None] = {}
        for cycle in {p.cycle for o in self.options for p in o.prices}:
            errors: dict[str, str] = {}
            lines = _add_on_lines(held, self.add_ons, currency, cycle, errors)
            sums[cycle.name] = None if errors else sum(line.period_amount for line in lines)
        return sums

    def first(self) -> Choice:
        currency = self.account.currency
        return first_choice(self.options, self.held, currency, self.add_ons)


# -- the customer's choice ----------------------------------------------------------------


@dataclass(frozen=True)
class Wish:
    """The form as a browser posts it; any field may be missing or wrong."""

    plan: str = ""
    cycle: str = ""
    quantity: str = ""
    expect: str = ""  # the fingerprint of the reviewed preview (confirm only)
    add_ons: str = ""  # the whole set of packages ("code=1;code=2", "none"); "" keeps them


def add_ons_text(add_ons: Mapping[str, int]) -> str:
    """A set of packages as a form carries it from the review to the payment step."""
    held = sorted((code, n) for code, n in add_ons.items() if n > 0)
    return ";".join(f"{code}={n}" for code, n in held) or "none"


def parse_add_ons(text: str) -> dict[str, int] | None:
    """The set a form carries; None when the text is not one (a tampered form)."""
    if text == "none":
        return {}
    found: dict[str, int] = {}
    for part in text.split(";"):
        code, _, count = part.partition("=")
        if not code or code in found or not _QUANTITY.fullmatch(count) or len(count) > 9:
            return None
        found[code] = int(count)
    return found


@dataclass(frozen=True)
class AddOnLine:
    """A package the choice carries, priced for its cycle and currency (as the plan's line)."""

    code: str
    name: str
    unit_amount: int
    quantity: int

    @property
    def period_amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class Choice:
    """A plan, cycle and quantity as entered, with the quote or the errors by field
    ("" for errors that belong to no one field: shown at the top of the form)."""

    plan: str
    cycle: str
    quantity: str
    option: PlanOption | None = None
    quote: Quote | None = None
    errors: dict[str, str] = field(default_factory=dict)
    add_on_lines: tuple[AddOnLine, ...] = ()  # the packages kept (or set), priced
    wanted: Mapping[str, int] | None = None  # the whole set asked for; None keeps the held

    @property
    def total(self) -> int:
        """What the plan and its packages cost a period: the Plans tab's total."""
        assert self.quote is not None
        return self.quote.total + sum(line.period_amount for line in self.add_on_lines)

    @property
    def add_ons_field(self) -> str:
        return add_ons_text(self.wanted) if self.wanted is not None else ""

    @property
    def ok(self) -> bool:
        return not self.errors and self.option is not None and self.quote is not None

    @property
    def other_errors(self) -> list[str]:
        return [message for name, message in self.errors.items() if name not in FIELDS]

    def failed(self, error: DomainError) -> Choice:
        """The same choice with a use case's refusal placed by field."""
        errors = dict(self.errors)
        for part in error.errors if isinstance(error, InvalidInput) else [error]:
            kept = part.field in FIELDS or (part.field or "").startswith("add_ons.")
            name = part.field if kept else ""
            errors.setdefault(name or "", readable(part))
        return replace(self, errors=errors)


def first_choice(
    options: Sequence[PlanOption],
    held: SubscriptionView | None,
    currency: str,
    catalog: Mapping[str, AddOn] | None = None,
) -> Choice:
    """What the form starts with: the terms held, or the first plan at its minimum."""
    if held is not None:
        terms = held.subscription.terms
        plan, cycle, quantity = held.plan.code, terms.cycle, terms.quantity
    elif options:
        option = options[0]
        cycle = Cycle.MONTHLY if option.price(Cycle.MONTHLY) else option.prices[0].cycle
        plan, quantity = option.code, option.terms.min_seats
    else:
        return Choice("", "", "")
    fields = Wish(plan=plan, cycle=cycle.name, quantity=str(quantity))
    held_add_ons = held.subscription.terms.add_ons if held is not None else {}
    return check_choice(fields, options, currency, held_add_ons, catalog)


def check_choice(
    fields: Wish,
    options: Sequence[PlanOption],
    currency: str,
    held_add_ons: Mapping[str, int] | None = None,
    catalog: Mapping[str, AddOn] | None = None,
) -> Choice:
    """The choice checked against the options shown, and quoted when it can be; the packages
    held (or the set asked for) are priced for the cycle, so the total is what a period costs."""
    errors: dict[str, str] = {}
    wanted = parse_add_ons(fields.add_ons) if fields.add_ons else None
    if fields.add_ons and wanted is None:
        errors[""] = _refused("Choose one of the packages listed", "add_ons")
    option = next((o for o in options if o.code == fields.plan), None)
    if option is None:
        errors["plan"] = _refused(
            "Choose a plan" if not fields.plan else "Choose one of the plans listed", "plan"
        )
    quantity = fields.quantity.strip()
    significant = quantity.lstrip("0")
    if not _QUANTITY.fullmatch(quantity) or not significant:
        errors["quantity"] = _refused("Quantity is a whole number of at least 1", "quantity")
    elif len(significant) > len(str(MAX_QUANTITY)) or int(significant) > MAX_QUANTITY:
        # Compared by length first: a thousand digits are never read as a number.
        errors["quantity"] = _refused(f"Quantity is at most {MAX_QUANTITY:,}", "quantity")
    cycle = next((p.cycle for o in options for p in o.prices if p.cycle.name == fields.cycle), None)
    if cycle is None:
        errors["cycle"] = _refused("Choose a billing cycle", "cycle")
    figure = None
    if option is not None and cycle is not None and "quantity" not in errors:
        try:
            figure = quote(option.terms, cycle, Currency.of(currency), int(quantity))
        except DomainError as error:
            name = error.field if error.field in FIELDS else ""
            errors[name or ""] = readable(error)
    carried = wanted if wanted is not None else (held_add_ons or {})
    lines = _add_on_lines(carried, catalog or {}, currency, cycle, errors)
    return Choice(fields.plan, fields.cycle, fields.quantity, option, figure, errors, lines, wanted)


def _add_on_lines(
    add_ons: Mapping[str, int],
    catalog: Mapping[str, AddOn],
    currency: str,
    cycle: Cycle | None,
    errors: dict[str, str],
) -> tuple[AddOnLine, ...]:
    """Each package at its catalog price for the cycle (as the price book prices it)."""
    lines = []
    for code, quantity in sorted(add_ons.items()):
        add_on = catalog.get(code)
        if quantity <= 0 or cycle is None:
            continue
        if add_on is None:
            errors.setdefault("", _refused("Choose one of the packages listed", "add_ons"))
            continue
        price = next(
            (p for p in add_on.prices if p.currency == currency and p.cycle == cycle), None
        )
        if price is None:
            errors.setdefault("cycle", _refused(NO_ADD_ON_PRICE, "cycle"))
            continue
        lines.append(AddOnLine(code, add_on.name, price.amount, quantity))
    return tuple(lines)


# -- reviewing ----------------------------------------------------------------------------


def fingerprint(result: Result) -> str:
    """What a confirmation must match: the preview the customer reviewed, with what it does
    (the kind of its last event: a pause is not a cancel even when the amounts match) and the
    day it takes effect."""
    sub = result.view.subscription
    items = ",".join(str(i.amount) for i in result.items)
    nxt = result.next_invoice
    scheduled = sub.scheduled.effective.isoformat() if sub.scheduled else "-"
    last = result.events[-1] if result.events else None
    did = f"{type(last).__name__}.{last.effective.isoformat()}" if last else "-.-"
    return f"{sub.id}.{sub.revision}.{did}.{items}.{nxt.cut_off}.{nxt.total}.{scheduled}"


def new_fingerprint(choice: Choice, trial_days: int, start: date) -> str:
    assert choice.quote is not None
    return f"new.{choice.plan}.{choice.quote.total}.{trial_days}.{start.isoformat()}"


@dataclass(frozen=True)
class Start:
    """What subscribing does, told before it is done (subscribing saves, so it has no preview):
    the first period (or the trial) from today, and whether it is charged now."""

    start: date
    end: date  # of the trial, or of the first period
    trial_days: int
    pay_per_day: bool

    @property
    def charged_now(self) -> bool:
        return not self.trial_days and not self.pay_per_day


def start_of(terms: PlanTerms, cycle: str, time_zone: str, today: date, trial: bool) -> Start:
    """As subscribe starts a plan today: its trial when ``trial`` (what subscribe grants:
    see ``with_trial``), else the first full period of the cycle (in the account's zone)."""
    if trial:
        return Start(today, today + timedelta(days=terms.trial_days), terms.trial_days, False)
    end = BillingSchedule(today, Cycle.parse(cycle), zone(time_zone)).period(0).end
    return Start(today, end, 0, terms.pay_per_day)


@dataclass(frozen=True)
class Review:
    """The review screen: the choice, and the preview of the change or the start."""

    choice: Choice
    change: Result | None = None
    start: Start | None = None

    @property
    def expect(self) -> str:
        if self.change is not None:
            return fingerprint(self.change)
        assert self.start is not None
        return new_fingerprint(self.choice, self.start.trial_days, self.start.start)

    @property
    def scheduled(self) -> bool:
        return self.change is not None and isinstance(self.change.events[-1], ChangeScheduled)

    @property
    def effective(self) -> date:
        if self.change is not None:
            return self.change.events[-1].effective
        assert self.start is not None
        return self.start.start
