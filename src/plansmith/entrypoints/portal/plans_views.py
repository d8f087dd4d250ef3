"""What the portal's Plans screens show: the words and formats people read (money and dates in
the account's locale, cycle names), the cycles offered with their discount, the flash messages,
and the form as a browser posts it.

What a family offers, the checked choice and the review are the application's
(``plan_choices``); this module only words them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import BaseModel

from plansmith.application.payments.ports import CardDetails
from plansmith.application.screens.plan_choices import PlanOption, Wish
from plansmith.application.screens.plan_stops import Stop, StopReview
from plansmith.application.screens.portal_plan_payment import Paid, PaymentChoice
from plansmith.application.subscriptions.queries import FamilyPlans
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.kernel.periods import Cycle, CycleUnit
from plansmith.domain.payments.payments import Payment, PaymentStatus
from plansmith.domain.subscriptions.subscription import Status
from plansmith.entrypoints.webui.formats import day_at, money_at
from plansmith.entrypoints.webui.i18n import DEFAULT, N_, page_language, translate
from plansmith.entrypoints.webui.invoice_document import Formats
from plansmith.entrypoints.webui.words import cycle_label, cycle_unit, history_word, shown_status

DONE = {
    "changed": N_("Your plan was changed."),
    "paid": N_("Your plan was changed and the payment was received."),
    "subscribed": N_("Your plan has started."),
    "trial_started": N_("Your trial has started."),
    "canceled": N_("Your plan was canceled. Unused time is credited on your next invoice."),
    "canceled_no_credit": N_("Your plan was canceled. Nothing is credited."),
    # A pay-per-day plan bills the days it was active; there is no unused time to credit.
    "canceled_per_day": N_(
        "Your plan was canceled. The days it was active are billed at the end of the period."
    ),
    "trial_ended": N_("Your trial has ended. Nothing is charged."),
    "kept": N_("Your plan continues: the cancellation was withdrawn."),
    "reactivated": N_("Your plan is active again."),
    "resumed": N_("Your plan is active again."),
    "withdrawn": N_("The scheduled change was withdrawn."),
}
MOVED = N_(
    "The figures changed since you reviewed them (a day passed or your plan changed). "
    "Check the figures below and confirm again."
)
# The choice's own checks (plan_choices.check_choice), as people read them in their language;
# a refusal of the rules is shown as the use case words it.
CHOICE_ERRORS = {
    message: message
    for message in (
        N_("Choose a plan"),
        N_("Choose one of the plans listed"),
        N_("Quantity is a whole number of at least 1"),
        N_("Choose a billing cycle"),
        # the Packages page's own (portal_packages) and a package not priced for a cycle
        N_("Choose one of the packages listed"),
        N_("Quantity is a whole number of 0 or more"),
        N_("This package is bought once: quantity 0 or 1"),
        N_("That is the quantity you have now"),
        N_("Your additional packages are not offered for this billing cycle"),
    )
}
# -- words and formats --------------------------------------------------------------------


def money(amount: int, currency: str, locale: str = "en_US") -> str:
    return money_at(amount, currency, locale)


def day(value: date | None, locale: str = "en_US") -> str:
    """A local date (periods are local dates already: no time zone to apply)."""
    return day_at(value, locale) if value is not None else "—"


def percent(value: Decimal) -> str:
    """20 -> "20", 12.50 -> "12.5"."""
    return f"{value.normalize():f}"


def period(start: date | None, end: date | None, locale: str = "en_US") -> str:
    """A half-open [start, end) as its first and last day, written as invoices write it."""
    return Formats("USD", locale, "UTC").period(start, end)


def last_day(end: date | None, locale: str = "en_US") -> str:
    """The last day of a half-open range (a trial, a period) ending on ``end``."""
    return day(end - timedelta(days=1) if end is not None else None, locale)


def last_held(start: date, end: date | None, locale: str = "en_US") -> str:
    """The last day a history row's plan was held ("—" while it is); a plan held for no day
    (chosen and left the same day) shows that day."""
    if end is None:
        return "—"
    return day(max(start, end - timedelta(days=1)), locale)


def day_rate(amount: int, start: date, end: date) -> int:
    """What one day of ``[start, end)`` is worth at ``amount`` for the whole, rounded half up
    (shown beside a pay-per-day price; each bill rounds its own line once)."""
    days = max((end - start).days, 1)
    return (2 * amount + days) // (2 * days)


def choice_error(message: str, language: str = DEFAULT) -> str:
    known = CHOICE_ERRORS.get(message)
    if known is not None:
        return translate(language, known)
    if message == f"Quantity is at most {MAX_QUANTITY:,}":
        return translate(language, "Quantity is at most %(most)s") % {"most": f"{MAX_QUANTITY:,}"}
    return message


@pass_context
def _choice_error(context: Context, message: str) -> str:
    return choice_error(message, page_language(context))


@pass_context
def _history_word(context: Context, status: str) -> str:
    return history_word(status, page_language(context))


@pass_context
def _shown_status(context: Context, status: str) -> str:
    return shown_status(status, page_language(context))


@pass_context
def _cycle_label(context: Context, cycle: Cycle | str) -> str:
    return cycle_label(cycle, page_language(context))


@pass_context
def _cycle_unit(context: Context, cycle: Cycle | str) -> str:
    return cycle_unit(cycle, page_language(context))


FILTERS = {
    "money": money,
    "day": day,
    "period": period,
    "last_day": last_day,
    "last_held": last_held,
    "day_rate": day_rate,
    "cycle_label": _cycle_label,
    "cycle_unit": _cycle_unit,
    "percent": percent,
    "history_word": _history_word,
    "shown_status": _shown_status,
    "choice_error": _choice_error,
}


# -- the cycles offered -------------------------------------------------------------------


@dataclass(frozen=True)
class CycleChoice:
    cycle: Cycle
    discount: Decimal | None  # shown beside the cycle when every plan offering it agrees


def cycle_choices(options: Sequence[PlanOption]) -> list[CycleChoice]:
    cycles: dict[Cycle, set[Decimal]] = {}
    for option in options:
        for price in option.prices:
            cycles.setdefault(price.cycle, set()).add(price.discount)
    ordered = sorted(cycles, key=_length)
    return [CycleChoice(c, next(iter(cycles[c])) if len(cycles[c]) == 1 else None) for c in ordered]


def _length(cycle: Cycle) -> int:
    return {CycleUnit.DAY: 1, CycleUnit.WEEK: 7, CycleUnit.MONTH: 30}[cycle.unit] * cycle.count


def flash(done: str, chosen: FamilyPlans | None, locale: str, language: str) -> str | None:
    # Only fixed sentences: nothing from the address is ever echoed into the page.
    sub = chosen.current.subscription if chosen and chosen.current else None
    if done == "scheduled":
        if sub and sub.scheduled:
            text = translate(language, "Your change is scheduled for %(date)s.")
            return text % {"date": day(sub.scheduled.effective, locale)}
        return translate(language, "Your change is scheduled.")
    if done == "cancel_scheduled":
        if sub and sub.cancel_at_period_end and sub.pay_per_day:
            text = translate(
                language, "Your plan will end on %(date)s; the days until then are billed."
            )
            return text % {"date": day(sub.period_end, locale)}
        if sub and sub.cancel_at_period_end:
            text = translate(language, "Your plan will end on %(date)s; nothing more is charged.")
            return text % {"date": day(sub.period_end, locale)}
        return translate(language, "Your plan will end; nothing more is charged.")
    message = DONE.get(done)
    return translate(language, message) if message else None


# -- the customer's choice ----------------------------------------------------------------


DECLINED = N_("Your card was declined: %(reason)s Your plan was not changed.")
DECLINED_NO_REASON = N_("Your card was declined. Your plan was not changed.")
NO_ANSWER = N_(
    "We did not get an answer from your card's bank. Your plan was not changed; if the "
    "payment went through, its amount is added to your balance."
)
NOT_APPLIED = N_(
    "Your plan was not changed: it changed since you reviewed it. The amount charged, "
    "%(amount)s, was added to your balance."
)


def payment_outcome(payment: Payment | None, language: str) -> str | None:
    """Why a payment of a change did not go through, next to the payment choice."""
    if payment is None:
        return None
    if payment.status is PaymentStatus.FAILED:
        if payment.message:
            return translate(language, DECLINED) % {"reason": payment.message}
        return translate(language, DECLINED_NO_REASON)
    if payment.status in (PaymentStatus.UNKNOWN, PaymentStatus.PENDING):
        return translate(language, NO_ANSWER)
    return None


def not_applied(paid: Paid, language: str) -> str:
    """A charge captured for a change that no longer applied: it went to the balance."""
    amount = money(paid.credited, paid.currency, paid.locale)
    return translate(language, NOT_APPLIED) % {"amount": amount}


class ChoiceFields(BaseModel):
    """The form as a browser posts it; any field may be missing or wrong."""

    plan: str = ""
    cycle: str = ""
    quantity: str = ""
    expect: str = ""  # the fingerprint of the reviewed preview (confirm only)
    add_ons: str = ""  # the packages page's whole set ("" keeps the packages held)

    def wish(self) -> Wish:
        return Wish(self.plan, self.cycle, self.quantity, self.expect, self.add_ons)


class PayFields(ChoiceFields):
    """The payment step's form: the reviewed change, how to pay, a new card's fields."""

    attempt: str = ""
    pay_with: str = ""  # "balance", "new_card" or a saved card's id
    number: str = ""
    exp_month: str = ""
    exp_year: str = ""
    cvc: str = ""

    def choice(self) -> PaymentChoice:
        card = None
        if self.pay_with == "new_card":
            card = CardDetails(
                number=self.number.strip(),
                exp_month=_whole(self.exp_month),
                exp_year=_whole(self.exp_year),
                cvc=self.cvc.strip(),
            )
        return PaymentChoice(self.pay_with, self.attempt, card)


def _whole(text: str) -> int:
    """A month or year as typed; 0 (refused by the card checks, by field) when not a number."""
    digits = text.strip()
    return int(digits) if digits.isdigit() and len(digits) <= 4 else 0


def stopped_word(review: StopReview) -> str:
    """The flash (a key of DONE) after a confirmed cancel now or reactivate."""
    sub = review.before.subscription
    if review.stop is Stop.REACTIVATE:
        return "resumed" if sub.status is Status.PAUSED else "reactivated"
    if sub.status is Status.TRIALING:
        return "trial_ended"
    if sub.pay_per_day:
        return "canceled_per_day"
    return "canceled" if review.amount < 0 else "canceled_no_credit"
