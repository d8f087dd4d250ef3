"""The portal's Packages page (seed 004): the plan held in a family with its packages, the
allowances they include and the renewal date, and the additional packages that fit it, each
with its price for the subscription's currency and cycle.

Adding or removing a package is not a use case of its own: it is the subscription change
(``ChangeInput.add_ons``, the whole set) reviewed, paid and confirmed through the Plans
screens' own steps, so it is prorated, timed by the family's policy and paid at once as any
change (ADR 0022). This module turns the one package asked for into that change's wish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.kernel.errors import NotFound, Refusal
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.plan_choices import Wish, add_ons_text
from plansmith.application.screens.portal_plans import _family_of, _Read, _read
from plansmith.application.screens.portal_usage import UsagePanel, panel_of
from plansmith.application.subscriptions.lifecycle import SubscriptionView, renewal_moves
from plansmith.application.subscriptions.queries import FamilyPlans
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.add_ons import AddOn
from plansmith.domain.catalog.terms import Price
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY

# The form's own refusals, as pages say them (translated by their sentence).
NOT_LISTED = "Choose one of the packages listed"
NOT_A_COUNT = "Quantity is a whole number of 0 or more"
BOUGHT_ONCE = "This package is bought once: quantity 0 or 1"
TOO_MANY = f"Quantity is at most {MAX_QUANTITY:,}"
SAME = "That is the quantity you have now"


@dataclass(frozen=True)
class PackageRow:
    """An add-on as the page lists it, with what is held of it now and from a scheduled
    change (``after``: None when nothing is scheduled for it)."""

    add_on: AddOn
    price: Price | None  # for the subscription's currency and cycle; None: not sold for it
    held: int
    after: int | None = None

    @property
    def code(self) -> str:
        return self.add_on.code


@dataclass(frozen=True)
class Allowance:
    """What the plan and its packages include a period, for one allowance (e.g. sessions)."""

    code: str
    included: int


@dataclass(frozen=True)
class PackagesPage:
    account: Account
    plans: FamilyPlans
    held: SubscriptionView | None
    rows: tuple[PackageRow, ...]  # every add-on that fits the plan held, or that it holds
    allowances: tuple[Allowance, ...]
    scheduled_on: date | None  # when the scheduled change (a removal...) takes effect

    @property
    def current(self) -> tuple[PackageRow, ...]:
        return tuple(r for r in self.rows if r.held)

    @property
    def available(self) -> tuple[PackageRow, ...]:
        return tuple(r for r in self.rows if not r.held)

    def row(self, code: str) -> PackageRow | None:
        return next((r for r in self.rows if r.code == code), None)


def fits(add_on: AddOn, family_code: str, plan_code: str) -> bool:
    """Sold, and for this family and plan (the rule ``check_add_ons`` holds a change to)."""
    if add_on.archived_at is not None:
        return False
    if add_on.fits_families and family_code not in add_on.fits_families:
        return False
    return not add_on.fits_plans or plan_code in add_on.fits_plans


def packages_page(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, family_code: str
) -> PackagesPage:
    with uow:
        read = _read(uow, wall, organization_id, account_id)
    return _page_of(read, family_code)


def packages_screen(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, family_code: str
) -> tuple[PackagesPage, UsagePanel | None]:
    """The page with its usage panel (None: no plan held in the family), in one unit of work
    from one read of the account's holdings: the packages, the allowance bars and the
    prediction all stand on the same subscriptions and logs."""
    with uow:
        organization = uow.organizations.get(organization_id)
        if organization is None:
            raise NotFound(f"no organization {organization_id!r}", field="organization_id")
        clock = clock_for(organization, wall)
        held = uow.upcoming_reads.account_holdings(organization_id, account_id)
        if held is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        book = uow.price_books.at_revision(organization_id, held.catalog_revision)
        subs = [sub for sub, _log in held.subscriptions]
        logs = {sub.id: log for sub, log in held.subscriptions}
        moves = renewal_moves(uow, organization_id)
        read = _Read(held.account, book, subs, logs, moves, clock.now(), organization.name)
        page = _page_of(read, family_code)
        if page.held is None:
            return page, None
        return page, panel_of(uow, clock, held, book, page.held.subscription)


def _page_of(read: _Read, family_code: str) -> PackagesPage:
    plans = _family_of(read.families(), family_code)
    held = plans.current
    if held is None:
        return PackagesPage(read.account, plans, None, (), (), None)
    sub = held.subscription
    terms = sub.terms
    scheduled = sub.scheduled.terms.add_ons if sub.scheduled is not None else None
    rows = []
    for add_on in sorted(read.book.add_ons.values(), key=lambda a: (a.name, a.code)):
        count = terms.add_ons.get(add_on.code, 0)
        if not count and not fits(add_on, family_code, held.plan.code):
            continue
        price = next(
            (p for p in add_on.prices if p.currency == terms.currency and p.cycle == terms.cycle),
            None,
        )
        after = scheduled.get(add_on.code, 0) if scheduled is not None else None
        rows.append(PackageRow(add_on, price, count, after if after != count else None))
    included = dict(held.version.terms.allowances)
    for row in rows:
        for code, amount in row.add_on.allowances.items():
            included[code] = included.get(code, 0) + amount * row.held
    allowances = tuple(Allowance(code, n) for code, n in sorted(included.items()))
    on = sub.scheduled.effective if sub.scheduled is not None else None
    return PackagesPage(read.account, plans, held, tuple(rows), allowances, on)


def _refused(sentence: str, code: str) -> Refusal:
    return Refusal(sentence, InvalidValue(sentence, field=f"add_ons.{code}"))


def package_wish(
    page: PackagesPage, code: str, quantity: str
) -> tuple[Wish | None, dict[str, Refusal]]:
    """The change that sets one package to ``quantity`` (0 removes it), keeping the plan, its
    cycle, seats and the other packages; or the refusal by add-on code, nothing asked."""
    row = page.row(code)
    held = page.held
    if row is None or held is None:
        return None, {"": _refused(NOT_LISTED, code)}
    text = quantity.strip()
    significant = text.lstrip("0")
    if not text.isascii() or not text.isdigit():
        return None, {code: _refused(NOT_A_COUNT, code)}
    if len(significant) > len(str(MAX_QUANTITY)) or int(text) > MAX_QUANTITY:
        return None, {code: _refused(TOO_MANY, code)}
    count = int(text)
    if count > 1 and not row.add_on.quantity_allowed:
        return None, {code: _refused(BOUGHT_ONCE, code)}
    if count == row.held:  # nothing would change: say so beside the field
        return None, {code: _refused(SAME, code)}
    terms = held.subscription.terms
    wanted: Mapping[str, int] = {**terms.add_ons, code: count}
    wish = Wish(held.plan.code, terms.cycle.name, str(terms.quantity), "", add_ons_text(wanted))
    return wish, {}
