"""The portal's Plans screens as queries, each one unit of work: the Plans page (a tab per family,
with what cancelling now would credit and what coming back would charge), the Change Plan form,
its review (the change's preview, or what a new plan costs) and the confirm that applies it.

Every screen reads the account, the catalog (once), the account's subscriptions and their
history up front, in a fixed number of statements whatever the size of the catalog. A confirm
runs the very preview the customer reviewed and applies it in the same transaction, only when
its fingerprint still matches.

A change that charges now (seed 002) is confirmed by paying for it: its payment step and Pay
are in portal_plan_payment.py. A credit or nothing to pay is confirmed here as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.billing.upcoming import ChangeMade, upcoming_after_change
from plansmith.application.catalog.extras import Offer, offers_of
from plansmith.application.catalog.plans import PlanView
from plansmith.application.invoicing.drafts import buyer as buyer_from
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.invoices import AccountInvoices, plan_names_of
from plansmith.application.screens.plan_choices import (
    Choice,
    Review,
    Screen,
    Wish,
    fixable,
    plan_options,
    start_of,
)
from plansmith.application.subscriptions.actions import (
    ChangeInput,
    cancel_action,
    change_action,
    reactivate_action,
)
from plansmith.application.subscriptions.lifecycle import (
    CUSTOMER,
    OPERATOR,
    Action,
    Result,
    price_book,
    renewal_moves,
    run,
)
from plansmith.application.subscriptions.queries import FamilyPlans, family_plans
from plansmith.application.subscriptions.subscribing import (
    SubscribeInput,
    offered_version,
    plan_by_code,
    start_subscription,
    trial_used,
    with_trial,
)
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.plans import Channel, PlanVersion
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import Cycle, local_date, zone
from plansmith.domain.organizations.branding import Seller
from plansmith.domain.subscriptions.events import ChangeScheduled
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove
from plansmith.domain.subscriptions.subscription import Status, Subscription

CHANNEL = Channel.PORTAL  # the portal offers what the catalog shows on its upgrade list


@dataclass(frozen=True)
class _Read:
    """What every Plans screen reads first, inside its unit of work."""

    account: Account
    book: PriceBook
    subs: Sequence[Subscription]  # every subscription of the account, oldest first
    logs: Mapping[str, Sequence[Span]]
    moves: Mapping[str, RenewalMove]
    now: datetime
    seller: str  # the organization's name, as invoices show it

    def families(self) -> list[FamilyPlans]:
        return family_plans(self.book, self.subs, self.logs)

    def offers(self) -> list[Offer]:
        by_plan: dict[str, list[PlanVersion]] = {}
        for version in sorted(self.book.versions.values(), key=lambda v: v.number):
            by_plan.setdefault(version.plan_id, []).append(version)
        views = [
            PlanView(plan, self.book.families[plan.family_id], by_plan.get(plan.id, []))
            for plan in self.book.plans.values()
        ]
        return offers_of(views, CHANNEL)


def _read(uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str) -> _Read:
    """Inside an open unit of work. The organization is read here too, for its clock (a
    sandbox's test clock, else ``wall``), so a screen is one transaction."""
    organization = uow.organizations.get(organization_id)
    if organization is None:
        raise NotFound(f"no organization {organization_id!r}", field="organization_id")
    now = clock_for(organization, wall).now()
    account = uow.accounts.get(organization_id, account_id)
    if account is None:
        raise NotFound(f"no account {account_id!r}", field="account_id")
    book = price_book(uow, organization_id)
    subs = list(uow.subscriptions.for_account(organization_id, account_id))
    logs = uow.subscriptions.logs([s.id for s in subs])
    moves = renewal_moves(uow, organization_id)
    return _Read(account, book, subs, logs, moves, now, organization.name)


def _family_of(families: Sequence[FamilyPlans], code: str) -> FamilyPlans:
    found = next((f for f in families if f.family.code == code), None)
    if found is None:
        raise NotFound(f"no plan family {code!r}", field="family")
    return found


# -- the Plans page -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlansPage:
    account: Account
    tabs: tuple[FamilyPlans, ...]  # families the account held a plan in, or offered to it
    chosen: FamilyPlans | None
    offered: bool  # the chosen family offers a plan on the portal
    stop_now: Result | None  # what cancelling now would credit (beside Cancel)
    come_back: Result | None  # what reactivating a canceled plan would charge
    plan_names: Mapping[str, str]  # by plan id: the name customers see (not a version's)


def plan_names(book: PriceBook) -> dict[str, str]:
    return {plan.id: plan.name for plan in book.plans.values()}


def plans_page(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, family_code: str = ""
) -> PlansPage:
    """``family_code`` "": the first family the account holds a plan in."""
    with uow:
        read = _read(uow, wall, organization_id, account_id)
        offered = {o.view.family.code for o in read.offers()}
        tabs = [f for f in read.families() if f.latest is not None or f.family.code in offered]
        if family_code:
            chosen: FamilyPlans | None = _family_of(tabs, family_code)
        else:
            chosen = next((f for f in tabs if f.current is not None), tabs[0] if tabs else None)
        current = chosen.current if chosen is not None else None
        latest = chosen.latest if chosen is not None else None
        stop_now = come_back = None
        if current is not None and current.subscription.in_service:
            stop_now = _quietly(uow, read, current.subscription, cancel_action("now"))
        canceled = latest is not None and latest.subscription.status is Status.CANCELED
        if current is None and latest is not None and canceled:
            come_back = _quietly(uow, read, latest.subscription, reactivate_action())
    is_offered = chosen is not None and chosen.family.code in offered
    return PlansPage(
        read.account,
        tuple(tabs),
        chosen,
        is_offered,
        stop_now,
        come_back,
        plan_names(read.book),
    )


def _quietly(uow: UnitOfWork, read: _Read, sub: Subscription, action: Action) -> Result | None:
    """A preview shown beside a button; one the rules refuse just leaves its figure out."""
    try:
        return run(
            uow,
            sub,
            read.book,
            read.moves,
            action,
            OPERATOR,
            read.now,
            dry_run=True,
            log=read.logs[sub.id],
        )
    except DomainError:
        return None


def held_in_family(
    uow: UnitOfWork,
    organization_id: str,
    account_id: str,
    family_code: str,
    *,
    canceled_too: bool = False,
) -> Subscription:
    """The family's plan held by the account (or, with canceled_too, its newest one)."""
    with uow:
        if uow.accounts.get(organization_id, account_id) is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        family = uow.families.by_code(organization_id, family_code)
        if family is None:
            raise NotFound(f"no plan family {family_code!r}", field="family")
        mine = [
            s
            for s in uow.subscriptions.for_account(organization_id, account_id)
            if s.family_id == family.id
        ]
    held = next((s for s in mine if s.holds_place), None)
    if held is None and canceled_too and mine:
        held = mine[-1]
    if held is None:
        raise NotFound("there is no plan in this family to change", field="family")
    return held


# -- change plan, review, confirm ---------------------------------------------------------


@dataclass(frozen=True)
class ChangeScreen:
    """The Change Plan form or, with ``review``, the review; with ``done`` the confirmed
    change was applied ("changed", "scheduled", "subscribed" or "trial_started")."""

    screen: Screen
    choice: Choice
    review: Review | None = None
    status: int | None = None  # a use case's refusal, shown on the form
    moved: bool = False  # the figures changed since the customer reviewed them
    done: str | None = None
    # the next invoice once the change is made, as the Invoices page will show it
    next_invoice: AccountInvoices | None = None
    pay: bool = False  # the change charges now: confirming goes through the payment step


def next_invoice_after(
    uow: UnitOfWork, read: _Read, result: Result, grace: timedelta
) -> AccountInvoices:
    """Inside the open unit of work: the changed subscription's next invoice, made by the
    billing run's own step on the state after ``result`` (one source for every screen)."""
    change = ChangeMade(result.view.subscription, result.log, result.items)
    account = read.account
    account, address, snapshot, made = upcoming_after_change(
        uow, account.organization_id, account.id, change, read.now, grace
    )
    names = {**plan_names_of(snapshot), change.subscription.id: result.view.plan.name}
    rates = {rate.id: rate for rate in snapshot.tax_rates}
    buyer = buyer_from(account, address)
    upcoming = (made,) if made is not None else ()
    seller = Seller(read.seller)
    return AccountInvoices(account, seller, buyer, rates, upcoming, (), names)


def _screen(read: _Read, code: str) -> Screen:
    plans = _family_of(read.families(), code)
    currency = read.account.currency
    options = plan_options(read.offers(), code, plans.current, currency)
    return Screen(read.account, plans, options, read.book.add_ons)


def change_screen(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish | None = None,
) -> ChangeScreen:
    """The form with the terms held (or the first plan) or, given ``wish``, that choice."""
    with uow:
        screen = _screen(_read(uow, wall, organization_id, account_id), family_code)
    if wish is None:
        return ChangeScreen(screen, screen.first())
    return ChangeScreen(screen, screen.check(wish))


def review_change(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish,
    grace: timedelta = timedelta(0),
) -> ChangeScreen:
    """The preview of the change (or of the new plan's start); saves nothing. ``grace``: the
    billing run's, to show the next invoice as it will be cut."""
    return _reviewed(
        uow, wall, organization_id, account_id, family_code, wish, confirm=False, grace=grace
    )


def confirm_change(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish,
    grace: timedelta = timedelta(0),
) -> ChangeScreen:
    """Apply the change (or start the plan) when its preview is still the one reviewed
    (``wish.expect``); otherwise the new review, marked ``moved``. One transaction."""
    return _reviewed(
        uow, wall, organization_id, account_id, family_code, wish, confirm=True, grace=grace
    )


def _reviewed(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish,
    *,
    confirm: bool,
    grace: timedelta,
) -> ChangeScreen:
    with uow:
        read = _read(uow, wall, organization_id, account_id)
        screen = _screen(read, family_code)
        choice = screen.check(wish)
        if not choice.ok:
            return ChangeScreen(screen, choice)
        try:
            if screen.held is not None:
                reviewed, done = _change(uow, read, screen.held.subscription, choice, wish, confirm)
            else:
                reviewed, done = _start(uow, read, screen, choice, wish, confirm)
        except DomainError as error:
            if not fixable(error):
                raise
            return ChangeScreen(screen, choice.failed(error), status=error.status)
        if done is not None:
            uow.commit()
            return ChangeScreen(screen, choice, reviewed, done=done)
        nxt = None
        pay = reviewed.change is not None and charges_now(reviewed.change)
        if reviewed.change is not None:
            # A change paid now is invoiced now: its items are not on the next invoice.
            shown = replace(reviewed.change, items=()) if pay else reviewed.change
            nxt = next_invoice_after(uow, read, shown, grace)
        moved = confirm and not (pay and reviewed.expect == wish.expect)
        return ChangeScreen(screen, choice, reviewed, moved=moved, next_invoice=nxt, pay=pay)


def _change(
    uow: UnitOfWork, read: _Read, sub: Subscription, choice: Choice, wish: Wish, confirm: bool
) -> tuple[Review, str | None]:
    """Run the change once: a preview, or (``confirm``) saved if it is the one reviewed."""
    # The timing is the family's policy: upgrades now, downgrades at the end of the term...
    data = ChangeInput(
        plan=choice.plan,
        cycle=choice.cycle,
        quantity=int(choice.quantity),
        add_ons=choice.wanted,
        channel=CHANNEL,
    )

    def reviewed(result: Result) -> bool:
        return Review(choice, change=result).expect == wish.expect

    def accepted(result: Result) -> bool:
        # A change that charges now is confirmed by paying for it (the payment step).
        return reviewed(result) and not charges_now(result)

    result = run(
        uow,
        sub,
        read.book,
        read.moves,
        change_action(data, CUSTOMER),
        CUSTOMER,
        read.now,
        dry_run=not confirm,
        log=read.logs[sub.id],
        confirm=accepted,
    )
    review = Review(choice, change=result)
    if not confirm or not accepted(result):
        return review, None
    return review, "scheduled" if isinstance(result.events[-1], ChangeScheduled) else "changed"


def _start(
    uow: UnitOfWork, read: _Read, screen: Screen, choice: Choice, wish: Wish, confirm: bool
) -> tuple[Review, str | None]:
    """What subscribing would start (with the family's trial unless one was had), and with
    ``confirm`` the subscription started, if that is what was reviewed."""
    assert choice.option is not None
    book, account = read.book, read.account
    version = offered_version(book, plan_by_code(book, choice.plan), CHANNEL)
    trial = with_trial(None, version, trial_used(read.subs, screen.plans.family.id))
    today = local_date(read.now, zone(account.time_zone))
    start = start_of(choice.option.terms, choice.cycle, account.time_zone, today, trial)
    review = Review(choice, start=start)
    if not confirm or review.expect != wish.expect:
        return review, None
    data = SubscribeInput(
        account_id=account.id,
        plan=choice.plan,
        cycle=choice.cycle,
        quantity=int(choice.quantity),
        channel=CHANNEL,
    )
    cycle = Cycle.parse(choice.cycle)
    result = start_subscription(
        uow, account, read.subs, book, data, cycle, CHANNEL, read.now, CUSTOMER
    )
    trialing = result.view.subscription.status is Status.TRIALING
    return review, "trial_started" if trialing else "subscribed"


def charges_now(result: Result) -> bool:
    """The change bills something now: it is invoiced at once and paid before it applies (a
    credit or nothing needs no payment; it reaches the next invoice as before)."""
    return sum(item.amount for item in result.items) > 0
