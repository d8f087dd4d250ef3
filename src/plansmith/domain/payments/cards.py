"""Checks of a card typed into plansmith's own (sandbox) card form, before it becomes a token.

Pure: the number is normalised (spaces and dashes allowed, 12 to 19 digits), its brand read
from its leading digits (the IIN ranges of the card schemes), its check digit verified (Luhn),
the expiry compared with a ``today`` passed in (a card is good through the last day of its
expiry month) and the CVC's length checked (4 digits on American Express, 3 on the others).
Every refusal names its field (``number``, ``exp_month``, ``exp_year``, ``cvc``); the card
number never appears in a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue

MIN_DIGITS = 12
MAX_DIGITS = 19
YEARS_AHEAD = 50  # an expiry further ahead than this is a typing mistake


def _span(first: str, last: str) -> tuple[str, ...]:
    """Every prefix from ``first`` to ``last``, both of one length: 2221..2720."""
    return tuple(str(n) for n in range(int(first), int(last) + 1))


# (brand, the number's leading digits, the lengths it comes in); the first match wins, so
# narrower ranges come before wider ones.
_BRANDS: tuple[tuple[str, tuple[str, ...], frozenset[int]], ...] = (
    ("amex", ("34", "37"), frozenset({15})),
    ("visa", ("4",), frozenset({13, 16, 19})),
    ("mastercard", _span("51", "55") + _span("2221", "2720"), frozenset({16})),
    ("discover", ("6011", "65", *_span("644", "649")), frozenset(range(16, 20))),
    ("unionpay", ("62", "81"), frozenset(range(16, 20))),
    ("jcb", _span("3528", "3589"), frozenset(range(16, 20))),
    ("diners", (*_span("300", "305"), "3095", "36", "38", "39"), frozenset(range(14, 20))),
)
BRANDS = tuple(name for name, _, _ in _BRANDS)


@dataclass(frozen=True)
class CheckedCard:
    """What may be kept of a card that passed every check: never its number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of digits: every second digit from the right is
    doubled (less 9 when above 9) and the sum must end in 0."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, character in enumerate(reversed(digits)):
        digit = ord(character) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body`` followed by it pass the Luhn check."""
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return digit
    raise InvalidValue("the body of a card number must be digits only", field="number")


def normalize_number(number: str) -> str:
    """The digits of a card number typed with any spaces or dashes between them."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue(
            "A card number has only digits (spaces and dashes between them are fine).",
            field="number",
            code=ec.CARD_NUMBER_INVALID,
        )
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidValue(
            f"A card number has {MIN_DIGITS} to {MAX_DIGITS} digits; this one has "
            f"{len(digits)}. Check the number on the card.",
            field="number",
            code=ec.CARD_NUMBER_INVALID,
        )
    return digits


def brand_of(digits: str) -> str | None:
    """The card's scheme from its leading digits, or None for a range no scheme here uses."""
    for name, prefixes, _ in _BRANDS:
        if digits.startswith(prefixes):
            return name
    return None


def check_number(number: str) -> tuple[str, str]:
    """(digits, brand) of a well-formed card number of a known brand."""
    digits = normalize_number(number)
    if not luhn_valid(digits):
        raise InvalidValue(
            "The card number is not valid (its check digit does not match); check it for a "
            "mistyped digit.",
            field="number",
            code=ec.CARD_NUMBER_INVALID,
        )
    for name, prefixes, lengths in _BRANDS:
        if digits.startswith(prefixes):
            if len(digits) not in lengths:
                allowed = ", ".join(str(n) for n in sorted(lengths))
                raise InvalidValue(
                    f"A {name} card number has {allowed} digits; this one has {len(digits)}.",
                    field="number",
                    code=ec.CARD_NUMBER_INVALID,
                )
            return digits, name
    raise InvalidValue(
        "The card number is of no card brand accepted here (Visa, Mastercard, American Express, "
        "JCB, Discover, Diners Club, UnionPay).",
        field="number",
        code=ec.CARD_NUMBER_INVALID,
    )


def full_year(exp_year: int) -> int:
    """A two-digit year is one of this century: 30 -> 2030."""
    return 2000 + exp_year if 0 <= exp_year < 100 else exp_year


def check_expiry(exp_month: int, exp_year: int, today: date) -> tuple[int, int]:
    """(month, four-digit year) of a card still good on ``today``: through the last day of
    its expiry month."""
    if not 1 <= exp_month <= 12:
        raise InvalidValue(
            "The expiry month is a number from 1 to 12.", field="exp_month", code=ec.INVALID_VALUE
        )
    year = full_year(exp_year)
    if year > today.year + YEARS_AHEAD:
        raise InvalidValue(
            f"The expiry year {year} is too far ahead; check the year on the card.",
            field="exp_year",
            code=ec.INVALID_VALUE,
        )
    if year < today.year:
        raise InvalidValue(
            f"The card expired in {year}; use a card that is still valid.",
            field="exp_year",
            code=ec.CARD_EXPIRED,
        )
    if year == today.year and exp_month < today.month:
        raise InvalidValue(
            f"The card expired at the end of {exp_month:02d}/{year}; use a card that is still "
            "valid.",
            field="exp_month",
            code=ec.CARD_EXPIRED,
        )
    return exp_month, year


def expired(exp_month: int, exp_year: int, today: date) -> bool:
    """Whether a card whose expiry was good once is past it on ``today``."""
    return (full_year(exp_year), exp_month) < (today.year, today.month)


def check_cvc(cvc: str, brand: str | None) -> str:
    """The card's security code: 4 digits on American Express, 3 on the others (3 or 4 when
    the brand is not known)."""
    lengths = {4} if brand == "amex" else {3} if brand else {3, 4}
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in lengths):
        wanted = "4 digits" if brand == "amex" else "3 digits" if brand else "3 or 4 digits"
        on = " on an American Express card" if brand == "amex" else ""
        raise InvalidValue(
            f"The security code (CVC) is {wanted}{on}.", field="cvc", code=ec.CARD_CVC_INVALID
        )
    return cvc


def check_card(number: str, exp_month: int, exp_year: int, cvc: str, today: date) -> CheckedCard:
    """Every check of a typed card at once: one InvalidValue for one wrong field, InvalidInput
    listing each when several are wrong."""
    checks = Checks()
    checked_number = checks.run(check_number, number)
    brand = checked_number[1] if checked_number else None
    expiry = checks.run(check_expiry, exp_month, exp_year, today)
    checks.run(check_cvc, cvc, brand)
    checks.raise_if_any()
    assert checked_number is not None and expiry is not None
    digits, brand_name = checked_number
    return CheckedCard(brand=brand_name, last4=digits[-4:], exp_month=expiry[0], exp_year=expiry[1])
