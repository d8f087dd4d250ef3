"""Subscriptions: what an account holds in one plan family, and the state machine it moves by.

A subscription holds *terms* (plan version, cycle, currency, seats, add-ons) over billing
periods ``[period_start, period_end)`` of local dates in the account's time zone, repeating from
``anchor`` with month-end clamping. Transitions are pure: they return a new Subscription plus
what happened (events, billable items, changes to the log of held terms); the use cases save it.
See docs/adr/0006-subscriptions-and-proration.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from plansmith.domain.invoicing.invoice import LineKind, UsageDetail
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import BillingSchedule, Cycle, Period, local_midnight, zone

if TYPE_CHECKING:  # events.py builds on this module
    from plansmith.domain.subscriptions.events import SubscriptionEvent


class Status(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a payment failed; driven by the payments issue
    PAUSED = "paused"
    CANCELED = "canceled"
    EXPIRED = "expired"  # a trial that ended without converting; final


# Statuses that hold the family's one place (and count as subscribers of their version).
HOLDING = frozenset({Status.TRIALING, Status.ACTIVE, Status.PAST_DUE, Status.PAUSED})
# Statuses whose terms are in service: billed (or, in a trial, free) day by day.
IN_SERVICE = frozenset({Status.TRIALING, Status.ACTIVE, Status.PAST_DUE})

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.TRIALING: frozenset({Status.ACTIVE, Status.EXPIRED}),
    Status.ACTIVE: frozenset({Status.PAST_DUE, Status.PAUSED, Status.CANCELED}),
    Status.PAST_DUE: frozenset({Status.ACTIVE, Status.PAUSED, Status.CANCELED}),
    Status.PAUSED: frozenset({Status.ACTIVE, Status.CANCELED}),
    Status.CANCELED: frozenset({Status.ACTIVE}),
    Status.EXPIRED: frozenset(),
}


def shown_status(status: Status) -> str:
    """Seed 002's three words for people: Try, Active, Inactive."""
    if status is Status.TRIALING:
        return "Try"
    if status in (Status.ACTIVE, Status.PAST_DUE):
        return "Active"
    return "Inactive"


class InvalidTransition(DomainError):
    code = ec.INVALID_TRANSITION


class SubscriptionError(DomainError):
    """A change this subscription cannot take now; the message says why and what to do."""

    code = ec.SUBSCRIPTION_CONFLICT


def check_transition(current: Status, to: Status, action: str) -> None:
    if to not in TRANSITIONS[current]:
        hint = {
            Status.EXPIRED: "; the trial is over: subscribe again without a trial",
            Status.CANCELED: "; reactivate it first",
            Status.PAUSED: "; resume it first",
        }.get(current, "")
        raise InvalidTransition(
            f"a {current} subscription cannot be {action}{hint}",
            field="status",
            code=ec.TRIAL_EXPIRED if current is Status.EXPIRED else ec.INVALID_TRANSITION,
        )


@dataclass(frozen=True)
class Terms:
    """What is held: a plan version for a cycle in a currency, with seats and add-ons."""

    plan_id: str
    version_id: str
    cycle: Cycle
    currency: str
    quantity: int
    add_ons: Mapping[str, int] = field(default_factory=dict)  # add-on code -> quantity

    def to_data(self) -> dict[str, Any]:
        """As events carry it (and as the history and the API show it)."""
        return terms_to_data(self)

    def with_add_ons(self, add_ons: Mapping[str, int]) -> Terms:
        return replace(self, add_ons={k: v for k, v in sorted(add_ons.items()) if v > 0})


@dataclass(frozen=True)
class ScheduledChange:
    """A change waiting for the end of the term (a downgrade, fewer seats...); withdrawable."""

    terms: Terms
    effective: date
    requested_at: datetime
    summary: str


@dataclass(frozen=True)
class StopUsage:
    """The usage of a period stopped in its middle, not billed yet (ADR 0034): the local
    dates ``[start, on]`` (``on``: the stop's date), billed on an invoice of its own once
    ``closes_from`` + the organization's grace window for late events has passed."""

    start: date
    on: date
    closes_from: datetime  # the stop instant; the local midnight after ``on`` after a
    # resume that same day (that day's later usage stays in this line)
    # A cycle change's cut (the period it cut short): the dates ``[start, on]`` are all held
    # (``on``: the day before the change); None for a stop
    period_start: date | None = None
    period_end: date | None = None
    # The version that rates the line: held at the stop, or before a cut's change (a restart
    # and a plan change before the line is billed rate only the new window); None: a window
    # recorded before this was kept, rated by the version held when billed
    version_id: str | None = None

    @property
    def cut(self) -> bool:
        return self.period_start is not None

    @property
    def billing_key(self) -> str:
        return f"stop-usage:{self.on.isoformat()}"


@dataclass(frozen=True)
class Subscription:
    id: str
    organization_id: str
    account_id: str
    family_id: str
    terms: Terms
    status: Status
    time_zone: str
    anchor: date  # the original anchor: boundaries are computed from it (month-end clamping)
    period_start: date
    period_end: date
    trial_end: date | None
    cancel_at_period_end: bool
    scheduled: ScheduledChange | None
    pay_per_day: bool  # the version's mode: days accrue in arrears, nothing in advance
    registered_at: datetime
    ended_on: date | None
    revision: int  # bumped by every save; a save expecting another revision is refused
    created_at: datetime
    updated_at: datetime
    # ADR 0034. The instant of its last immediate stop (cancel now, pause, nonpayment) while
    # its plan charged usage: an event at or after it counts nowhere while it is stopped.
    stopped_at: datetime | None = None
    # After a resume or reactivation: its usage window starts here, not at period_start
    # (the dates before were billed with the stop).
    usage_from: date | None = None
    stop_usage: StopUsage | None = None  # the stopped window's usage, not billed yet

    @property
    def usage_start(self) -> date:
        """The first local date the current period's usage line bills."""
        if self.usage_from is None:
            return self.period_start
        return max(self.period_start, self.usage_from)

    @property
    def usage_read_from(self) -> date:
        """The first local date whose usage it may still bill: its period's start, or an
        earlier stopped window's (a cycle change's cut) not billed yet."""
        if self.stop_usage is None:
            return self.period_start
        return min(self.period_start, self.stop_usage.start)

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end, zone(self.time_zone))

    @property
    def schedule(self) -> BillingSchedule:
        return BillingSchedule(self.anchor, self.terms.cycle, zone(self.time_zone))

    @property
    def shown_status(self) -> str:
        return shown_status(self.status)

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING

    @property
    def in_service(self) -> bool:
        return self.status in IN_SERVICE

    def next_payment_on(self) -> date | None:
        """When the next charge falls due: the period end, unless nothing more is billed."""
        if self.status in (Status.CANCELED, Status.EXPIRED, Status.PAUSED):
            return self.period_end if self.has_open_accrual else None
        if self.cancel_at_period_end and not self.pay_per_day:
            return None
        return self.period_end

    @property
    def has_open_accrual(self) -> bool:
        """A pay-per-day subscription stopped mid-period still owes that period's days."""
        return (
            self.pay_per_day
            and self.status is not Status.EXPIRED  # trial days are never billed
            and self.ended_on is not None
            and self.ended_on > self.period_start
        )

    def due_at(self) -> datetime | None:
        """The UTC instant the renewal step next has work for this subscription."""
        due = self.due_on()
        at = local_midnight(due, zone(self.time_zone)) if due is not None else None
        if self.stop_usage is not None:  # the step waits out the grace window from here
            stop = self.stop_usage.closes_from
            return stop if at is None else min(at, stop)
        return at

    def due_on(self) -> date | None:
        """The local date the renewal step next has work for this subscription, if any."""
        if self.status in IN_SERVICE:
            return self.period_end
        if self.has_open_accrual:
            return self.period_end
        return None


# -- what a transition produces ----------------------------------------------------------


@dataclass(frozen=True)
class BillableItem:
    """A pending charge or credit, waiting for the next invoice."""

    kind: LineKind  # what the invoice line it becomes is: one kind for both
    component: str
    description: str
    currency: str
    quantity: int
    unit_amount: int  # per seat for the whole period
    amount: int  # signed; credits are negative; rounded once
    period_start: date  # the service dates the item covers, [start, end)
    period_end: date
    days: int | None = None  # for part periods: days covered ...
    period_days: int | None = None  # ... of a period this long
    plan_id: str | None = None  # set on the plan's own items
    cycle: str | None = None  # the cycle (``Cycle.name``) of the terms it bills
    usage: UsageDetail | None = None  # usage items only: what the meter measured


@dataclass(frozen=True)
class Held:
    """From ``on``, the subscription holds ``terms`` (None: nothing is in service).

    The open entry of the held-terms log ends on ``on`` with ``reason``; the log is the plan
    history and, for pay-per-day, the record of days to bill.
    """

    on: date
    terms: Terms | None
    reason: str  # why the previous entry ended: changed, canceled, paused, expired, converted
    trial: bool = False
    pay_per_day: bool = False
    plan_name: str = ""


@dataclass(frozen=True)
class Outcome:
    """A transition's result. Each item was caused by one event: ``item_events[i]`` is the
    index of item i's event (by default the step's last event)."""

    subscription: Subscription
    items: tuple[BillableItem, ...] = ()
    events: tuple[SubscriptionEvent, ...] = ()
    held: tuple[Held, ...] = ()
    item_events: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.items and not self.item_events:
            if not self.events:
                raise ValueError("billable items need the event that caused them")
            object.__setattr__(self, "item_events", (len(self.events) - 1,) * len(self.items))

    def then(self, other: Outcome) -> Outcome:
        """This outcome followed by ``other`` (computed from this one's subscription)."""
        shift = len(self.events)
        return Outcome(
            other.subscription,
            self.items + other.items,
            self.events + other.events,
            self.held + other.held,
            self.item_events + tuple(i + shift for i in other.item_events),
        )


# -- plain data for JSON columns and API bodies --------------------------------------------


def terms_to_data(terms: Terms) -> dict[str, Any]:
    return {
        "plan_id": terms.plan_id,
        "version_id": terms.version_id,
        "cycle": terms.cycle.name,
        "currency": terms.currency,
        "quantity": terms.quantity,
        "add_ons": dict(sorted(terms.add_ons.items())),
    }


def terms_from_data(data: Mapping[str, Any]) -> Terms:
    return Terms(
        plan_id=str(data["plan_id"]),
        version_id=str(data["version_id"]),
        cycle=Cycle.parse(str(data["cycle"])),
        currency=str(data["currency"]),
        quantity=int(data["quantity"]),
        add_ons={str(k): int(v) for k, v in dict(data.get("add_ons") or {}).items()},
    )
