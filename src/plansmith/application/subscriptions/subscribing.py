"""Subscribing: the use case that starts a subscription today (in the account's time zone),
with or without a trial, and the checks it makes first: the plan by its code, the version
offered on the channel, the quantity, add-ons, one plan per family and the family's one trial.
``start_subscription`` is the same step inside a unit of work the caller opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.lifecycle import (
    OPERATOR,
    Result,
    _next_invoice,
    _save,
    price_book,
    view_of,
)
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.plans import Channel, Plan, PlanVersion, VersionStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY, at_most
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import Cycle, local_date, zone
from plansmith.domain.subscriptions.changes import NewSubscription
from plansmith.domain.subscriptions.changes import subscribe as start
from plansmith.domain.subscriptions.held_log import apply_held
from plansmith.domain.subscriptions.price_book import PriceBook, check_add_ons
from plansmith.domain.subscriptions.stops import started_on_a_stop_day
from plansmith.domain.subscriptions.subscription import Subscription, Terms


@dataclass(frozen=True)
class SubscribeInput:
    account_id: str
    plan: str  # plan code
    cycle: str = "month"
    quantity: int | None = None  # None: the plan's minimum seats
    currency: str | None = None  # None: the account's currency
    add_ons: Mapping[str, int] = field(default_factory=dict)
    trial: bool | None = None  # None: the plan's trial, if it has one and none was used
    channel: str | None = None  # where the customer chose it; None: any current version


def parse_channel(value: str | None) -> Channel | None:
    if value is None:
        return None
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Channel)
        raise InvalidValue(f"channel is one of {allowed}", field="channel") from None


def offered_version(book: PriceBook, plan: Plan, channel: Channel | None) -> PlanVersion:
    """The version a new holder of ``plan`` gets: the current one, offered on the channel."""
    if plan.archived_at is not None:
        raise Conflict(
            f"plan {plan.code!r} is archived: it takes no new subscribers",
            field="plan",
            code=ec.PLAN_ARCHIVED,
        )
    current = next(
        (
            v
            for v in book.versions.values()
            if v.plan_id == plan.id and v.status is VersionStatus.CURRENT
        ),
        None,
    )
    if current is None:
        raise Conflict(
            f"plan {plan.code!r} has no published version yet", field="plan", code=ec.NOT_PUBLISHED
        )
    if channel is not None and not current.offered_on(channel):
        raise InvalidValue(
            f"plan {plan.code!r} is not offered on the {channel} channel",
            field="plan",
            code=ec.NOT_OFFERED,
        )
    return current


def plan_by_code(book: PriceBook, code: str) -> Plan:
    plan = next((p for p in book.plans.values() if p.code == code), None)
    if plan is None:
        raise NotFound(f"no plan with code {code!r}", field="plan")
    return plan


def check_quantity(value: object, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue("quantity is a whole number of at least 1", field="quantity")
    return at_most(value, MAX_QUANTITY, "quantity")


def subscribe(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: SubscribeInput, actor: str = OPERATOR
) -> Result:
    """Start a subscription today (in the account's time zone), with or without a trial."""
    checks = Checks()
    cycle = checks.run(Cycle.parse, data.cycle)
    channel = checks.run(parse_channel, data.channel)
    if data.currency is not None:
        checks.run(Currency.of, data.currency)
    if data.trial is not None and not isinstance(data.trial, bool):
        checks.add(InvalidValue("trial is true or false", field="trial"))
    checks.raise_if_any()
    assert cycle is not None
    now = clock.now()
    with uow:
        account = uow.accounts.get(organization_id, data.account_id)
        if account is None:
            raise NotFound(f"no account {data.account_id!r}", field="account_id")
        if data.currency is not None and data.currency != account.currency:
            raise InvalidValue(
                f"the account is billed in {account.currency}; subscriptions use that currency",
                field="currency",
                code=ec.CURRENCY_MISMATCH,
            )
        book = price_book(uow, organization_id)
        held = uow.subscriptions.for_account(organization_id, account.id)
        result = start_subscription(uow, account, held, book, data, cycle, channel, now, actor)
        uow.commit()
        return result


def start_subscription(
    uow: UnitOfWork,
    account: Account,
    held: Sequence[Subscription],
    book: PriceBook,
    data: SubscribeInput,
    cycle: Cycle,
    channel: Channel | None,
    now: datetime,
    actor: str,
) -> Result:
    """``subscribe`` inside a unit of work the caller opened (and commits), given the account,
    every subscription it has (``held``) and the catalog."""
    plan = plan_by_code(book, data.plan)
    version = offered_version(book, plan, channel)
    family = book.families[plan.family_id]
    quantity = check_quantity(data.quantity, version.terms.min_seats)
    check_add_ons(data.add_ons, book, family, plan)
    terms = Terms(plan.id, version.id, cycle, account.currency, quantity).with_add_ons(data.add_ons)
    earlier = [s for s in held if s.family_id == family.id]
    if any(s.holds_place for s in earlier):
        raise Conflict(
            f"the account holds a {family.name} plan already; change that subscription "
            "instead (an account holds one plan per family)",
            field="plan",
            code=ec.ALREADY_SUBSCRIBED,
        )
    trial = with_trial(data.trial, version, trial_used(held, family.id))
    new = NewSubscription(
        new_id("sub"), account.organization_id, account.id, family, terms, account.time_zone, trial
    )
    today = local_date(now, zone(account.time_zone))
    out = start(new, book, today, now)
    # ADR 0034: a date an earlier subscription's stopped window holds is billed there only
    began, kept = started_on_a_stop_day(out.subscription, held, book, today, now)
    out = replace(out, subscription=began)
    for old in kept:
        uow.subscriptions.update(old, expected_revision=old.revision)
    log = apply_held([], out.held)
    _save(uow, None, out, [], log, actor, now)
    nxt = _next_invoice(out.subscription, log, book, {}, now, out.items)
    return Result(view_of(out.subscription, book), out.items, out.events, nxt, True)


def trial_used(held: Sequence[Subscription], family_id: str) -> bool:
    """A family grants its trial once: to an account none of whose plans there had one."""
    return any(s.trial_end is not None for s in held if s.family_id == family_id)


def with_trial(asked: bool | None, version: PlanVersion, used: bool) -> bool:
    """Whether a new subscription to ``version`` starts with its trial (None: as the plan
    says, unless the family's trial was ``used``)."""
    has_trial = version.terms.trial_days > 0
    if asked is None:
        return has_trial and not used
    if asked and not has_trial:
        raise InvalidValue("this plan has no trial", field="trial", code=ec.NO_TRIAL)
    if asked and used:
        raise Conflict(
            "the account has had a trial in this family already", field="trial", code=ec.TRIAL_USED
        )
    return asked
