"""Paying for a change in the portal (seed 002: review, choose a payment method, pay): a
change that charges now is confirmed by paying for it. The payment step shows its invoice (the
balance taken first) and the cards, and Pay charges the card before the change is applied and
invoiced at once (application/payments/change_payment.py), or lets the balance pay all in one
transaction. The Plans screens themselves are in portal_plans.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from plansmith.application.billing.immediate import apply_and_invoice, preview_invoice
from plansmith.application.billing.test_clocks import FrozenClock, clock_for
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.balance import balance_of
from plansmith.application.payments.change_payment import (
    pay_by_card,
    pay_with_balance,
    resolve_change_payments,
)
from plansmith.application.payments.methods import add_card, remove_card
from plansmith.application.payments.ports import CardDetails, PaymentGateway
from plansmith.application.screens.plan_choices import (
    Choice,
    Review,
    Wish,
    fixable,
)
from plansmith.application.screens.portal_plans import (
    CHANNEL,
    ChangeScreen,
    _read,
    _screen,
    charges_now,
    next_invoice_after,
)
from plansmith.application.subscriptions.actions import ChangeInput, change_action
from plansmith.application.subscriptions.lifecycle import CUSTOMER, Result, run
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.payments.payments import Payment, PaymentMethod, PaymentStatus


class PayWith(StrEnum):
    CARD = "card"  # a saved card: ``method_id``
    NEW_CARD = "new_card"  # typed into the sandbox card form, saved, then charged
    BALANCE = "balance"


@dataclass(frozen=True)
class PaymentChoice:
    """How the customer chose to pay, as posted."""

    pay_with: str = ""  # "balance", "new_card" or a saved card's id
    attempt: str = ""  # the payment form's own id: the payment's idempotency key
    card: CardDetails | None = None  # a new card's fields, checked by the gateway

    @property
    def kind(self) -> PayWith:
        if self.pay_with in (PayWith.BALANCE, PayWith.NEW_CARD):
            return PayWith(self.pay_with)
        return PayWith.CARD


@dataclass(frozen=True)
class PaymentStep:
    """The payment step: the reviewed change, the invoice it makes now (with the balance it
    takes first), the cards and the balance to pay the rest with; or what refused the pay."""

    change: ChangeScreen
    invoice: Invoice  # as it will be finalized (number still to take)
    balance: int  # what the account holds in the invoice's currency
    cards: tuple[PaymentMethod, ...]
    attempt: str  # a fresh id for the form
    now: datetime  # the organization's clock (a sandbox's test clock) when it was read
    chosen: str = ""  # what was chosen (shown again after a refusal)
    errors: Mapping[str, DomainError] = field(default_factory=dict)  # by field
    payment: Payment | None = None  # a declined or unanswered payment: its outcome shown
    status: int = 200

    @property
    def to_pay(self) -> int:
        """What the card pays (the balance took what it could)."""
        return self.invoice.totals.amount_due

    @property
    def balance_covers(self) -> bool:
        return self.to_pay == 0


@dataclass(frozen=True)
class Paid:
    """What "Pay" did: ``done`` the Plans page's flash when the change was applied; else
    the payment step again (a decline, no answer, a field wrong) or the review (moved)."""

    done: str | None = None
    step: PaymentStep | None = None
    change: ChangeScreen | None = None  # the review again (the figures moved), or a refusal
    refused: DomainError | None = None  # captured, but the change no longer applied
    credited: int = 0  # then: what went to the balance, in ``currency``
    currency: str = ""
    locale: str = "en_US"  # the account's, to write the amount


def _wish_of(data: Choice) -> ChangeInput:
    return ChangeInput(
        plan=data.plan,
        cycle=data.cycle,
        quantity=int(data.quantity),
        add_ons=data.wanted,
        channel=CHANNEL,
    )


def _step(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    code: str,
    wish: Wish,
    grace: timedelta,
) -> tuple[ChangeScreen, PaymentStep | None]:
    """Inside an open unit of work: the reviewed change run again as a preview; the payment
    step when it still is the one reviewed and charges now."""
    read = _read(uow, wall, organization_id, account_id)
    screen = _screen(read, code)
    choice = screen.check(wish)
    if not choice.ok or screen.held is None:
        return ChangeScreen(screen, choice), None
    sub = screen.held.subscription
    try:
        result = run(
            uow,
            sub,
            read.book,
            read.moves,
            change_action(_wish_of(choice), CUSTOMER),
            CUSTOMER,
            read.now,
            dry_run=True,
            log=read.logs[sub.id],
        )
    except DomainError as error:
        if not fixable(error):
            raise
        return ChangeScreen(screen, choice.failed(error), status=error.status), None
    review = Review(choice, change=result)
    pay = charges_now(result)
    if review.expect != wish.expect or not pay:
        shown = replace(result, items=()) if pay else result
        nxt = next_invoice_after(uow, read, shown, grace)
        return ChangeScreen(screen, choice, review, moved=True, next_invoice=nxt, pay=pay), None
    invoice = preview_invoice(uow, sub, result, read.now)
    assert invoice is not None  # it charges now
    changed_screen = ChangeScreen(screen, choice, review, pay=True)
    balance = balance_of(uow, account_id, invoice.currency)
    cards = tuple(uow.payment_methods.of_account(account_id))
    return changed_screen, PaymentStep(
        changed_screen, invoice, balance, cards, new_attempt(), read.now
    )


def new_attempt() -> str:
    return secrets.token_urlsafe(18)


def payment_step(
    uow: UnitOfWork,
    wall: Clock,
    gateway_for: Callable[[str], PaymentGateway],
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish,
    grace: timedelta = timedelta(0),
) -> tuple[ChangeScreen, PaymentStep | None]:
    """The payment step of the reviewed change (``wish.expect``), or the review again when
    the figures moved. A change payment of the account left without an answer is asked
    about first (what it captured goes to the balance), so the balance shown is true."""
    now = clock_of(uow, wall, organization_id)
    resolve_change_payments(uow, gateway_for, now, organization_id, account_id)
    with uow:
        return _step(uow, wall, organization_id, account_id, family_code, wish, grace)


def clock_of(uow: UnitOfWork, wall: Clock, organization_id: str) -> datetime:
    with uow:
        organization = uow.organizations.get(organization_id)
        if organization is None:
            raise NotFound(f"no organization {organization_id!r}", field="organization_id")
        return clock_for(organization, wall).now()


def pay_for_change(
    uow: UnitOfWork,
    wall: Clock,
    gateway_for: Callable[[str], PaymentGateway],
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish,
    chosen: PaymentChoice,
    grace: timedelta = timedelta(0),
) -> Paid:
    """ "Pay": the card (saved, or new and saved first) is charged what the review showed as
    due now, then the change is applied and invoiced at once (change_payment); the balance
    pays all in one transaction. A decline or no answer changes nothing but the payment."""

    def apply(inner: UnitOfWork) -> Invoice | None:
        return _apply_reviewed(inner, wall, organization_id, account_id, family_code, wish)

    def again(error: DomainError | None = None) -> Paid:
        """The payment step shown again (or the review, when the figures moved)."""
        with uow:
            change, step = _step(uow, wall, organization_id, account_id, family_code, wish, grace)
        if step is None:
            return Paid(change=change)
        return Paid(step=_refused(replace(step, chosen=chosen.pay_with), error))

    if chosen.kind is PayWith.BALANCE:  # one transaction: applied if the balance pays all
        try:
            pay_with_balance(uow, apply)
        except Moved:
            return again()
        except DomainError as error:
            if not fixable(error):
                raise
            return again(error)
        return Paid(done="paid")
    with uow:
        change, step = _step(uow, wall, organization_id, account_id, family_code, wish, grace)
    if step is None:
        return Paid(change=change)
    step = replace(step, chosen=chosen.pay_with, attempt=chosen.attempt or step.attempt)
    try:
        gateway = gateway_for(organization_id)
        if step.balance_covers:  # nothing is left for the card
            outcome = pay_with_balance(uow, apply)
        else:
            method_id = chosen.pay_with
            if not method_id:
                raise InvalidValue("choose how to pay", field="pay_with")
            if chosen.kind is PayWith.NEW_CARD:
                if chosen.card is None:
                    raise InvalidValue("type the card's number", field="number")
                added = add_card(
                    uow,
                    gateway,
                    FrozenClock(step.now),
                    organization_id,
                    account_id,
                    card=chosen.card,
                    make_default=False,  # the account's first card is its default anyway
                )
                method_id = added.method.id
            outcome = pay_by_card(
                uow,
                gateway,
                step.now,
                organization_id,
                account_id,
                method_id,
                step.to_pay,
                step.invoice.currency,
                step.attempt,
                apply,
            )
    except Moved:
        return again()
    except DomainError as error:
        if not fixable(error):
            raise
        return Paid(step=_refused(step, error))
    if outcome.applied:
        return Paid(done="paid")
    payment = outcome.payment
    if outcome.refused is not None:
        credited = payment.amount if payment is not None else 0
        return Paid(
            change=change,
            refused=outcome.refused,
            credited=credited,
            currency=step.invoice.currency,
            locale=change.screen.account.locale,
        )
    declined = payment is not None and payment.status is PaymentStatus.FAILED
    if declined and chosen.kind is PayWith.NEW_CARD and payment is not None:
        # A new card that was declined is not kept (one that did not answer is: its payment
        # is asked about again with it).
        assert payment.payment_method_id is not None
        clock = FrozenClock(step.now)
        remove_card(uow, gateway, clock, organization_id, account_id, payment.payment_method_id)
    with uow:
        cards = tuple(uow.payment_methods.of_account(account_id))
    status = 402 if declined else 202
    return Paid(
        step=replace(step, payment=payment, cards=cards, attempt=new_attempt(), status=status)
    )


def _refused(step: PaymentStep, error: DomainError | None) -> PaymentStep:
    if error is None:
        return step
    errors: dict[str, DomainError] = {}
    for part in error.errors if isinstance(error, InvalidInput) else [error]:
        errors.setdefault(part.field if part.field in PAY_FIELDS else "", part)
    return replace(step, errors=errors, status=error.status, attempt=new_attempt())


PAY_FIELDS = frozenset({"number", "exp_month", "exp_year", "cvc", "pay_with"})


class Moved(Conflict):
    """The change is no longer the one reviewed (inside the payment's transaction)."""


def _apply_reviewed(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    wish: Wish,
) -> Invoice | None:
    """Inside the payment's open unit of work: the reviewed change applied and invoiced at
    once, or Moved when it is no longer the one reviewed."""
    read = _read(uow, wall, organization_id, account_id)
    screen = _screen(read, family_code)
    choice = screen.check(wish)
    if not choice.ok or screen.held is None:
        raise Moved("choose the change again", field="plan", code=ec.CONCURRENT_CHANGE)
    sub = screen.held.subscription

    def reviewed(result: Result) -> bool:
        return Review(choice, change=result).expect == wish.expect

    action = change_action(_wish_of(choice), CUSTOMER)
    done = apply_and_invoice(
        uow, sub, action, CUSTOMER, read.now, immediately=True, confirm=reviewed
    )
    if not done.result.applied:
        raise Moved(
            "the figures changed since you reviewed them", field="expect", code=ec.CONCURRENT_CHANGE
        )
    return done.invoice
