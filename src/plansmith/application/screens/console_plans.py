"""The console's actions on a customer's plan, each one unit of work: change plan, cycle and
seats with the review the portal shows (plan_choices.Review: what is charged and credited now,
the next invoice with its cut-off date and total). Cancel (now or at the end of the term),
pause, resume and reactivate are plan_stops', the portal's too.

The operator acts: a change may pick any plan of the family a current version offers on any
channel, and events record the operator. Like the portal's, a confirmation runs the very
preview that was reviewed and saves it in the same transaction only when its fingerprint still
matches; otherwise it answers the new figures, marked ``moved``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.catalog.extras import Offer, offers_of
from plansmith.application.catalog.plans import PlanView
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.plan_choices import (
    Review,
    Screen,
    Wish,
    fixable,
    plan_options,
)
from plansmith.application.screens.portal_plans import ChangeScreen
from plansmith.application.subscriptions.actions import (
    ChangeInput,
    change_action,
)
from plansmith.application.subscriptions.lifecycle import (
    OPERATOR,
    price_book,
    renewal_moves,
    run,
)
from plansmith.application.subscriptions.queries import FamilyPlans, family_plans
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.plans import Channel, PlanVersion
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.subscriptions.events import ChangeScheduled
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove


@dataclass(frozen=True)
class _Read:
    account: Account
    book: PriceBook
    families: list[FamilyPlans]
    logs: Mapping[str, Sequence[Span]]
    moves: Mapping[str, RenewalMove]
    now: datetime

    def family(self, code: str) -> FamilyPlans:
        found = next((f for f in self.families if f.family.code == code), None)
        if found is None:
            raise NotFound(f"no plan family {code!r}", field="family")
        return found

    def offers(self) -> list[Offer]:
        """Every plan a current version offers on any channel, once."""
        by_plan: dict[str, list[PlanVersion]] = {}
        for version in sorted(self.book.versions.values(), key=lambda v: v.number):
            by_plan.setdefault(version.plan_id, []).append(version)
        views = [
            PlanView(plan, self.book.families[plan.family_id], by_plan.get(plan.id, []))
            for plan in self.book.plans.values()
        ]
        found: dict[str, Offer] = {}
        for channel in Channel:
            for offer in offers_of(views, channel):
                found.setdefault(offer.view.plan.id, offer)
        return list(found.values())


def _read(uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str) -> _Read:
    """Inside an open unit of work; the organization's clock (a sandbox's test clock)."""
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
    return _Read(account, book, family_plans(book, subs, logs), logs, moves, now)


def _screen(read: _Read, code: str) -> Screen:
    plans = read.family(code)
    if plans.current is None:
        raise NotFound("the customer holds no plan in this family to change", field="family")
    currency = read.account.currency
    options = plan_options(read.offers(), code, plans.current, currency)
    return Screen(read.account, plans, options, read.book.add_ons)


# -- change plan, review, confirm ---------------------------------------------------------


def change_screen(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish | None = None,
) -> ChangeScreen:
    """The form with the terms held or, given ``wish``, that choice and its total."""
    with uow:
        screen = _screen(_read(uow, wall, organization_id, account_id), family_code)
    if wish is None:
        return ChangeScreen(screen, screen.first())
    return ChangeScreen(screen, screen.check(wish))


def review_change(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, code: str, wish: Wish
) -> ChangeScreen:
    """The preview of the change; saves nothing."""
    return _reviewed(uow, wall, organization_id, account_id, code, wish, confirm=False)


def confirm_change(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, code: str, wish: Wish
) -> ChangeScreen:
    """The change applied when its preview is still the one reviewed (``wish.expect``)."""
    return _reviewed(uow, wall, organization_id, account_id, code, wish, confirm=True)


def _reviewed(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    code: str,
    wish: Wish,
    *,
    confirm: bool,
) -> ChangeScreen:
    with uow:
        read = _read(uow, wall, organization_id, account_id)
        screen = _screen(read, code)
        choice = screen.check(wish)
        held = screen.held
        if not choice.ok or held is None:
            return ChangeScreen(screen, choice)
        sub = held.subscription
        data = ChangeInput(plan=choice.plan, cycle=choice.cycle, quantity=int(choice.quantity))
        try:
            result = run(
                uow,
                sub,
                read.book,
                read.moves,
                change_action(data, OPERATOR),
                OPERATOR,
                read.now,
                dry_run=not confirm,
                log=read.logs[sub.id],
                confirm=lambda r: Review(choice, change=r).expect == wish.expect,
            )
        except DomainError as error:
            if not fixable(error):
                raise
            return ChangeScreen(screen, choice.failed(error), status=error.status)
        review = Review(choice, change=result)
        done = None
        if confirm and result.applied:
            uow.commit()
            done = "scheduled" if isinstance(result.events[-1], ChangeScheduled) else "changed"
        return ChangeScreen(screen, choice, review, moved=confirm and done is None, done=done)
