"""The usage side of the portal's Packages page (seed 004 "Chatbot Extra Session" and "Invoice
Prediction Module"): an allowance bar per meter the subscription grants, the extra packs it can
buy (reviewed with the amount charged now and how it is paid, then paid through ``buy_pack``),
and the invoice prediction (so far and at the period's end) with the effect of a change or a
pack on it before it is confirmed.

The panel is read in one unit of work from the account's holdings (its subscriptions with
their logs and paid packs, read once for the bars and the prediction alike); nothing here
writes but ``buy_pack``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from plansmith.application.billing.ports import AccountHoldings
from plansmith.application.invoicing.drafts import tax_rate_of
from plansmith.application.invoicing.invoices import balance_for_new_invoice
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.plan_choices import Choice
from plansmith.application.screens.portal_plans import CHANNEL
from plansmith.application.subscriptions.actions import ChangeInput
from plansmith.application.subscriptions.allowance_standing import standings_from
from plansmith.application.subscriptions.lifecycle import CUSTOMER
from plansmith.application.usage.pack_allowance import paid_packs
from plansmith.application.usage.prediction import (
    AccountPrediction,
    ChangeEffect,
    Usage,
    account_prediction,
    change_effect,
    prediction_of,
)
from plansmith.application.usage.prediction import paid_packs as prediction_paid_packs
from plansmith.domain.catalog.add_ons import ExtraPack
from plansmith.domain.invoicing.pricing import line_tax
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.payments.payments import PaymentMethod
from plansmith.domain.subscriptions.prediction import SubscriptionPrediction
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.subscriptions.usage_standing import granted_meters
from plansmith.domain.usage.allowances import Standing
from plansmith.domain.usage.charges import LimitKind
from plansmith.domain.usage.packs import PackPurchase, PackStatus

Uows = Callable[[], UnitOfWork]
NOT_A_PACK = "Choose one of the packs listed"
BAD_QUANTITY = f"Quantity is a whole number from 1 to {MAX_QUANTITY:,}"


@dataclass(frozen=True)
class AllowanceBar:
    """One meter's standing in the subscription's current period, as its bar shows it."""

    meter: str
    standing: Standing
    limit: LimitKind
    resets_on: date  # the period's end: what is left expires then

    @property
    def granted(self) -> int:
        return self.standing.included + self.standing.extra

    @property
    def shown_used(self) -> Fraction:
        """What the bar fills to: the use, never past the whole allowance."""
        return min(self.standing.used, Fraction(self.granted))

    @property
    def hard(self) -> bool:
        return self.limit is LimitKind.HARD


@dataclass(frozen=True)
class PackOffer:
    """An extra pack the subscription may buy: it adds a meter the terms grant, priced in the
    subscription's currency."""

    pack: ExtraPack
    price: int
    currency: str

    @property
    def code(self) -> str:
        return self.pack.code


@dataclass(frozen=True)
class UsagePanel:
    bars: tuple[AllowanceBar, ...]
    offers: tuple[PackOffer, ...]
    bought: tuple[PackPurchase, ...]  # this period's packs, paid, pending and failed
    prediction: AccountPrediction
    mine: SubscriptionPrediction | None  # the subscription's own line of the prediction

    @property
    def paid(self) -> tuple[PackPurchase, ...]:
        return tuple(p for p in self.bought if p.status is PackStatus.PAID)

    def offer(self, code: str) -> PackOffer | None:
        return next((o for o in self.offers if o.code == code), None)


def predicted(uows: Uows, clock: Clock, organization_id: str, account_id: str) -> AccountPrediction:
    """The account's prediction with the extra packs paid in each period counted."""
    uow = uows()
    return account_prediction(uow, clock, organization_id, account_id, packs=paid_packs(uow))


def _offers(uow: UnitOfWork, book: PriceBook, sub: Subscription) -> tuple[PackOffer, ...]:
    granted = granted_meters(book, sub.terms)
    currency = sub.terms.currency
    found = []
    for pack in sorted(uow.extra_packs.list(sub.organization_id), key=lambda p: (p.name, p.code)):
        price = pack.prices.get(currency)
        if pack.archived_at is None and price is not None and pack.allowance in granted:
            found.append(PackOffer(pack, price, currency))
    return tuple(found)


def usage_panel(uows: Uows, clock: Clock, organization_id: str, sub: Subscription) -> UsagePanel:
    with uows() as uow:
        held = uow.upcoming_reads.account_holdings(organization_id, sub.account_id)
        if held is None:
            raise NotFound(f"no account {sub.account_id!r}", field="account_id")
        book = uow.price_books.at_revision(organization_id, held.catalog_revision)
        return panel_of(uow, clock, held, book, sub)


def panel_of(
    uow: UnitOfWork, clock: Clock, held: AccountHoldings, book: PriceBook, sub: Subscription
) -> UsagePanel:
    """Inside an open unit of work, from the account's holdings read already: the bars, the
    packs on offer and bought this period, and the prediction. The bars and the prediction
    share one read of the period's aggregates; the packs paid come with the holdings."""
    org = held.account.organization_id
    sub, log = next(((s, log) for s, log in held.subscriptions if s.id == sub.id), (sub, ()))
    usage = Usage(uow, org, sub.account_id)
    totals: dict[str, Fraction] = {}
    if granted_meters(book, sub.terms):
        measured, _kinds = usage.over(sub.period)
        totals = {code: m.quantity for code, m in measured.items()}
    standings = standings_from(book, sub, log, totals, held.packs)
    bars = tuple(AllowanceBar(s.meter, s.standing, s.limit, s.period_end) for s in standings)
    offers = _offers(uow, book, sub)
    day = local_date(clock.now(), zone(sub.time_zone))  # the period holding today, as packs_of
    bought = tuple(uow.usage_packs.of_subscription(org, sub.id, day))
    rate = tax_rate_of(held.tax_rates, held.own_tax_rate_id, held.address)
    now = clock.now()
    prediction = prediction_of(
        held.account, held.subscriptions, rate, book, now, usage, prediction_paid_packs(held)
    )
    mine = next((p for p in prediction.subscriptions if p.subscription_id == sub.id), None)
    return UsagePanel(bars, offers, bought, prediction, mine)


# -- buying a pack: the review -------------------------------------------------------------


@dataclass(frozen=True)
class PackReview:
    """What paying for ``quantity`` of a pack does: charged now (tax included), taken from
    the balance and the card, and the period's estimate before and after its units."""

    offer: PackOffer
    quantity: int
    subtotal: int
    tax: int
    balance_used: int
    card: PaymentMethod | None
    before: SubscriptionPrediction | None
    after: SubscriptionPrediction | None

    @property
    def units(self) -> int:
        return self.offer.pack.amount * self.quantity

    @property
    def total(self) -> int:
        return self.subtotal + self.tax

    @property
    def card_amount(self) -> int:
        return self.total - self.balance_used

    @property
    def payable(self) -> bool:
        return self.card_amount == 0 or self.card is not None


def pack_wish(panel: UsagePanel, code: str, quantity: str) -> tuple[PackOffer, int]:
    """The pack and quantity the form asks for, or InvalidValue naming ``pack``/``quantity``."""
    offer = panel.offer(code)
    if offer is None:
        raise InvalidValue(NOT_A_PACK, field="pack")
    text = quantity.strip()
    if not text.isascii() or not text.isdigit() or len(text.lstrip("0")) > len(str(MAX_QUANTITY)):
        raise InvalidValue(BAD_QUANTITY, field="quantity")
    count = int(text)
    if not 1 <= count <= MAX_QUANTITY:
        raise InvalidValue(BAD_QUANTITY, field="quantity")
    return offer, count


def review_pack(
    uows: Uows, clock: Clock, organization_id: str, sub: Subscription, offer: PackOffer, count: int
) -> PackReview:
    subtotal = offer.price * count
    with uows() as uow:
        held = uow.upcoming_reads.account_holdings(organization_id, sub.account_id)
        if held is None:
            raise NotFound(f"no account {sub.account_id!r}", field="account_id")
        rate = tax_rate_of(held.tax_rates, held.own_tax_rate_id, held.address)
        # An inclusive rate is inside the price; an added one on top, once on the line.
        tax = 0 if rate is None or rate.inclusive else line_tax(subtotal, rate)
        # older open invoices take the balance first (ADR 0037): the pack only what is left
        balance = balance_for_new_invoice(uow, organization_id, sub.account_id, offer.currency)
        card = uow.payment_methods.default_of(sub.account_id)
    total = subtotal + tax
    balance_used = min(balance, total)
    before = predicted(uows, clock, organization_id, sub.account_id)
    uow = uows()
    adding = {(sub.id, offer.pack.allowance): offer.pack.amount * count}
    after = account_prediction(
        uow, clock, organization_id, sub.account_id, packs=paid_packs(uow, adding)
    )
    return PackReview(
        offer,
        count,
        subtotal,
        tax,
        balance_used,
        card,
        _of(before, sub.id),
        _of(after, sub.id),
    )


def _of(prediction: AccountPrediction, subscription_id: str) -> SubscriptionPrediction | None:
    return next((p for p in prediction.subscriptions if p.subscription_id == subscription_id), None)


# -- the effect of a plan or package change on the period's estimate -------------------------


def change_estimate(
    uows: Uows, clock: Clock, organization_id: str, sub: Subscription, choice: Choice
) -> ChangeEffect:
    """The change reviewed (the same input the review runs), previewed with the period's
    estimate before and after it, extra packs counted."""
    data = ChangeInput(
        plan=choice.plan,
        cycle=choice.cycle,
        quantity=int(choice.quantity),
        add_ons=choice.wanted,
        channel=CHANNEL,
    )
    uow = uows()
    return change_effect(
        uow, clock, organization_id, sub.id, data, actor=CUSTOMER, packs=paid_packs(uow)
    )
