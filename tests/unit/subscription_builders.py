"""Builders for the subscription tests: one small catalog, as a PriceBook for the pure domain
and through the catalog use cases for the database tests, and a driver that applies domain
Outcomes the way the use cases save them (log of held terms, items, events).

Every price is an explicit entry of ``PRICES`` so the tests' reference models read the price
table itself, never the code under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plan_families
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog.extras import AddOnInput, create_add_on
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.add_ons import AddOn
from plansmith.domain.catalog.plans import (
    ChangePolicy,
    Plan,
    PlanFamily,
    PlanVersion,
    Timing,
    VersionStatus,
)
from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.kernel.periods import Cycle, local_midnight, zone
from plansmith.domain.subscriptions import changes as rules
from plansmith.domain.subscriptions import stops
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span, apply_held
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import advance
from plansmith.domain.subscriptions.subscription import BillableItem, Outcome, Subscription, Terms

T0 = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
CURRENCIES = ("JPY", "USD", "KWD")
# Month cycles have 28-31 day periods; the others 13-14, 89-92 and 365-366.
CYCLES = (
    Cycle.MONTHLY,
    Cycle.QUARTERLY,
    Cycle.ANNUAL,
    Cycle.parse("2_months"),
    Cycle.parse("2_weeks"),
)

# Per seat (per-seat plans) or per subscription (flat plans) for one month, by currency.
MONTHLY: Mapping[str, Mapping[str, int]] = {
    "solo": {"JPY": 2980, "USD": 1999, "KWD": 5750},
    "basic": {"JPY": 1490, "USD": 1250, "KWD": 3125},
    "pro": {"JPY": 3270, "USD": 2899, "KWD": 8375},
    "studio": {"JPY": 9990, "USD": 7900, "KWD": 24501},
    "ai": {"JPY": 500, "USD": 499, "KWD": 1250},
    "chat": {"JPY": 310, "USD": 275, "KWD": 877},
}
# (code, rank, flat): two flat and two per-seat plans, interleaved by rank.
PLANS = (("solo", 0, True), ("basic", 1, False), ("pro", 2, False), ("studio", 3, True))
ADD_ONS = (("ai", False), ("chat", True))  # (code, bought in quantities)
ALL_NOW = ChangePolicy(Timing.NOW, Timing.NOW, Timing.NOW, cycle_change=True)


def price(code: str, currency: str, cycle: Cycle) -> int:
    """The table price of a plan seat or add-on unit for one period of ``cycle``."""
    monthly = MONTHLY[code][currency]
    if cycle == Cycle.parse("2_weeks"):
        return monthly * 45 // 100
    months = cycle.count
    # Longer cycles are cheaper per month: 3 % off per extra month, at most 30 %.
    return monthly * months * (100 - min(3 * (months - 1), 30)) // 100


def prices_of(code: str) -> tuple[Price, ...]:
    return tuple(Price(cur, cyc, price(code, cur, cyc)) for cur in CURRENCIES for cyc in CYCLES)


def is_flat(plan_code: str) -> bool:
    return next(flat for code, _, flat in PLANS if code == plan_code)


# -- the pure-domain catalog ---------------------------------------------------------------


def price_book(
    policy: ChangePolicy = ALL_NOW,
    *,
    trial_days: int = 0,
    pay_per_day: bool = False,
    max_seats: int | None = None,
) -> PriceBook:
    family = PlanFamily("fam-service", "org-1", "service", "Service plans", policy, T0)
    other = PlanFamily("fam-support", "org-1", "support", "Support plans", policy, T0)
    plans: dict[str, Plan] = {}
    versions: dict[str, PlanVersion] = {}
    for code, rank, flat in (*PLANS, ("helpdesk", 0, True)):
        family_id = other.id if code == "helpdesk" else family.id
        plans[f"plan-{code}"] = Plan(
            f"plan-{code}", "org-1", family_id, code, code.title(), rank, None, T0
        )
        terms = PlanTerms(
            pricing=PricingModel.FLAT if flat else PricingModel.PER_SEAT,
            prices=prices_of("solo" if code == "helpdesk" else code),
            max_seats=None if flat else max_seats,
            trial_days=trial_days,
            pay_per_day=pay_per_day,
        )
        versions[f"ver-{code}"] = PlanVersion(
            f"ver-{code}",
            f"plan-{code}",
            1,
            VersionStatus.CURRENT,
            code.title(),
            terms,
            frozenset(),
            T0,
            T0,
        )
    add_ons = {
        code: AddOn(
            f"addon-{code}",
            "org-1",
            code,
            code.upper() if code == "ai" else code.title(),
            prices_of(code),
            quantity_allowed,
            frozenset(),
            frozenset(),
            frozenset(),
            {},
            "",
            None,
            T0,
        )
        for code, quantity_allowed in ADD_ONS
    }
    return PriceBook({family.id: family, other.id: other}, plans, versions, add_ons)


def terms(
    plan: str = "basic",
    *,
    cycle: Cycle = Cycle.MONTHLY,
    currency: str = "JPY",
    quantity: int = 1,
    add_ons: Mapping[str, int] | None = None,
) -> Terms:
    return Terms(f"plan-{plan}", f"ver-{plan}", cycle, currency, quantity).with_add_ons(
        add_ons or {}
    )


def local_at(day: date, tz: str, hour: int = 0, minute: int = 0) -> datetime:
    """The instant of a local wall-clock time (on DST days, hours count from midnight)."""
    return local_midnight(day, zone(tz)) + timedelta(hours=hour, minutes=minute)


def noon(day: date, tz: str) -> datetime:
    """An instant on local date ``day``: the domain takes both the date and the instant."""
    return local_at(day, tz, 12)


@dataclass
class Driver:
    """A subscription moved by the pure rules, keeping what the use cases would save."""

    book: PriceBook
    sub: Subscription
    log: list[Span] = field(default_factory=list)
    items: list[BillableItem] = field(default_factory=list)
    events: list[SubscriptionEvent] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        book: PriceBook,
        held: Terms,
        today: date,
        *,
        tz: str = "UTC",
        trial: bool = False,
    ) -> Driver:
        family = book.families[book.plan(held.plan_id).family_id]
        new = rules.NewSubscription("sub-1", "org-1", "acct-1", family, held, tz, trial)
        out = rules.subscribe(new, book, today, noon(today, tz))
        driver = cls(book, out.subscription)
        driver.apply(out)
        return driver

    def apply(self, out: Outcome) -> Outcome:
        self.sub = out.subscription
        self.log = apply_held(self.log, out.held)
        self.items += out.items
        self.events += out.events
        return out

    def _now(self, day: date) -> datetime:
        return noon(day, self.sub.time_zone)

    def advance(self, day: date) -> Outcome:
        return self.apply(advance(self.sub, self.log, self.book, day, self._now(day)))

    def change(self, day: date, target: Terms, when: Timing | None = None) -> Outcome:
        out = rules.change(self.sub, target, self.book, self.log, day, self._now(day), when)
        return self.apply(out)

    def cancel(self, day: date, when: Timing = Timing.NOW) -> Outcome:
        out = stops.cancel(self.sub, when, self.book, self.log, day, self._now(day))
        return self.apply(out)

    def pause(self, day: date) -> Outcome:
        return self.apply(stops.pause(self.sub, self.book, self.log, day, self._now(day)))

    def resume(self, day: date) -> Outcome:
        return self.apply(stops.resume(self.sub, self.book, day, self._now(day)))

    def reactivate(self, day: date) -> Outcome:
        return self.apply(stops.reactivate(self.sub, self.book, day, self._now(day)))

    def withdraw(self, day: date) -> Outcome:
        return self.apply(stops.withdraw_scheduled_change(self.sub, day, self._now(day)))


# -- the same catalog through the use cases, for the database tests -----------------------


def plan_terms_data(like: str, **extra: Any) -> dict[str, Any]:
    """Plan terms as the catalog use cases read them, with the table prices of plan ``like``
    (and, e.g., ``trial_days=14`` or ``pay_per_day=True``)."""
    return {
        "pricing": "flat" if is_flat(like) else "per_seat",
        "prices": [
            {"currency": p.currency, "cycle": p.cycle.name, "amount": p.amount}
            for p in prices_of(like)
        ],
        **extra,
    }


def seed_catalog(
    app: Plansmith,
    org: str,
    *,
    policy: Mapping[str, Any] | None = None,
    plans: Mapping[str, Mapping[str, Any]] | None = None,
    add_ons: bool = True,
) -> None:
    """Family "service" with the table's plans (or ``plans``: code -> terms data), published,
    ranked in the order given, and the add-ons "ai" and "chat"."""
    plan_families.create_family(
        app.uow(), app.clock, org, plan_families.FamilyInput("service", "Service plans", policy)
    )
    chosen = plans if plans is not None else {code: plan_terms_data(code) for code, *_ in PLANS}
    for rank, (code, data) in enumerate(chosen.items()):
        cat.create_plan(
            app.uow(),
            app.clock,
            org,
            cat.PlanInput(code, code.title(), "service", rank=rank, terms=data, publish=True),
        )
    if add_ons:
        for code, quantity_allowed in ADD_ONS:
            listed = [
                {"currency": p.currency, "cycle": p.cycle.name, "amount": p.amount}
                for p in prices_of(code)
            ]
            create_add_on(
                app.uow(),
                app.clock,
                org,
                AddOnInput(code, code.title(), listed, quantity_allowed=quantity_allowed),
            )


def new_account(app: Plansmith, org: str, currency: str, tz: str, name: str = "Kato Ltd") -> str:
    data = AccountInput(name, "billing@example.com", currency, time_zone=tz)
    return open_account(app.uow(), app.clock, org, data).id
