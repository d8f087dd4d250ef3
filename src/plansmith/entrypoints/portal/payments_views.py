"""What the portal's payment pages say: the words for a payment's kind and status, a balance
movement, a card brand and a gateway's decline; the card and top-up forms as submitted, with
each refusal placed beside its field. The card number and CVC are never kept in a form."""

from __future__ import annotations

from dataclasses import dataclass, field

from plansmith.application.kernel.errors import Refusal
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, DomainError, InvalidValue
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.payments.payments import Payment, PaymentMethod
from plansmith.entrypoints.webui.i18n import N_, translate
from plansmith.entrypoints.webui.messages import by_field

KINDS = {
    "payment": N_("Invoice payment"),
    "top_up": N_("Top-up"),
    "refund": N_("Refund"),
}
STATUSES = {
    "pending": N_("Processing"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    "unknown": N_("Processing"),
}
# Balance movements by the ledger transaction's kind.
MOVEMENTS = {
    "top_up": N_("Top-up"),
    "overpayment": N_("Overpayment kept on your balance"),
    "credit_note": N_("Credit"),
    "invoice_finalized": N_("Credit"),
    "invoice_voided": N_("Credit withdrawn"),
    "balance_applied": N_("Used by an invoice"),
    "balance_returned": N_("Given back by a voided invoice"),
    "refund": N_("Refund to your card"),
    "refund_failed": N_("Refund returned to your balance"),
}
USED_BY = N_("Used by invoice %(number)s")
OTHER_MOVEMENT = N_("Balance change")
# What a gateway's decline code means, said to the customer.
DECLINES = {
    "insufficient_funds": N_("Your card has insufficient funds."),
    "expired_card": N_("Your card has expired."),
    "do_not_honor": N_("Your card was declined by its bank."),
    "processing_error": N_("An error occurred while processing your card; try again later."),
    "no_payment_method": N_("The card was removed; choose another payment method."),
    "card_removed": N_("The card was removed; choose another payment method."),
}
DECLINED = N_("Your card was declined.")
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "jcb": "JCB",
    "discover": "Discover",
    "diners": "Diners Club",
    "unionpay": "UnionPay",
}
BALANCE = N_("Balance")
CARD_FIELDS = ("number", "exp_month", "exp_year", "cvc")
TOP_UP_FIELDS = ("amount", "payment_method_id")
MONTH_NOT_NUMBER = "The expiry month is a number from 1 to 12."
YEAR_NOT_NUMBER = "The expiry year is a number, like 2030."
AMOUNT_MISSING = "Enter the amount to top up, like 50.00."


def brand(method: PaymentMethod) -> str:
    return BRANDS.get(method.brand, method.brand.title())


def card_label(method: PaymentMethod) -> str:
    """ "Visa •••• 4242": how a card is named everywhere on the pages."""
    return f"{brand(method)} •••• {method.last4}"


def decline_reason(payment: Payment, language: str) -> str:
    """Why the gateway refused a payment, in the page's language; an English page keeps the
    gateway's own sentence when it gave one."""
    wording = DECLINES.get(payment.decline_code or "", DECLINED)
    if language == "en" and payment.message and payment.decline_code not in DECLINES:
        return payment.message
    return translate(language, wording)


def errors_of(error: DomainError) -> dict[str, Refusal]:
    """A refusal's parts by the form field they name ("" for the form as a whole)."""
    found = by_field(error)
    return {_short(name): message for name, message in found.items()}


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class CardForm:
    """The card form as shown: the expiry as typed; never the number or the CVC."""

    exp_month: str = ""
    exp_year: str = ""
    errors: dict[str, Refusal] = field(default_factory=dict)

    @property
    def other_errors(self) -> list[Refusal]:
        return [m for name, m in self.errors.items() if name not in CARD_FIELDS]


def parse_expiry(exp_month: str, exp_year: str) -> tuple[int, int]:
    """The expiry month and year as numbers; InvalidValue naming each that is not one."""
    checks = Checks()
    month = checks.run(_whole, exp_month, "exp_month", MONTH_NOT_NUMBER)
    year = checks.run(_whole, exp_year, "exp_year", YEAR_NOT_NUMBER)
    checks.raise_if_any()
    assert month is not None and year is not None
    return month, year


def _whole(text: str, name: str, message: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        raise InvalidValue(message, field=name, code=ec.INVALID_VALUE)
    return int(text)


def parse_amount(text: str, currency: str) -> int:
    """A top-up typed in major units ("50.00", "5,000" for JPY) as exact minor units; the
    kernel's parsing refuses what is not a number or has more decimals than the currency."""
    typed = text.strip().replace(",", "").replace(" ", "")
    if not typed:
        raise InvalidValue(AMOUNT_MISSING, field="amount", code=ec.REQUIRED)
    return Money.from_major(typed, Currency.of(currency), field="amount").amount


@dataclass(frozen=True)
class TopUpForm:
    amount: str = ""
    method_id: str = ""
    errors: dict[str, Refusal] = field(default_factory=dict)
    declined: str = ""  # the gateway's refusal, in the page's language

    @property
    def other_errors(self) -> list[Refusal]:
        return [m for name, m in self.errors.items() if name not in TOP_UP_FIELDS]
