"""Amounts as Stripe takes them.

Stripe takes the smallest currency unit, as plansmith stores them (ISO 4217), except where
Stripe's documented exponents differ: ISK is zero-decimal in ISO but Stripe keeps two decimals
on the wire (5 ISK is ``500``); MGA has two decimals in ISO and none at Stripe. And the
three-decimal currencies (BHD, JOD, KWD, OMR, TND) must end in 0 at Stripe: 12.345 KWD cannot
be charged, 12.340 can. An amount Stripe cannot take fails before anything is sent.
"""

from __future__ import annotations

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import Currency

__all__ = ["from_stripe_amount", "to_stripe_amount"]

# docs.stripe.com/currencies: the currencies Stripe takes without decimals, with three, and
# ISK, zero-decimal since 2018 but still written with two decimals (multiples of 100).
_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def _stripe_exponent(code: str) -> int:
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


def to_stripe_amount(amount: int, currency: str) -> int:
    """An amount in ISO 4217 minor units as Stripe's ``amount``; InvalidValue (field
    ``amount``) if Stripe cannot take it."""
    iso = Currency.of(currency)
    shift = _stripe_exponent(iso.code) - iso.exponent
    factor = _power_of_ten(abs(shift))
    if shift >= 0:
        wire = amount * factor
    else:
        if amount % factor:
            raise InvalidValue(
                f"Stripe takes {iso.code} in whole units only: {amount} minor units cannot "
                f"be sent; use a multiple of {factor}",
                field="amount",
            )
        wire = amount // factor
    if iso.code in _THREE_DECIMAL and wire % 10:
        raise InvalidValue(
            f"Stripe takes {iso.code} amounts in multiples of 10 (its last digit must be 0): "
            f"{amount} cannot be charged or refunded; round it to {amount - amount % 10} "
            f"or {amount - amount % 10 + 10}",
            field="amount",
        )
    return wire


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's ``amount`` in ISO 4217 minor units."""
    iso = Currency.of(currency.upper())
    shift = _stripe_exponent(iso.code) - iso.exponent
    factor = _power_of_ten(abs(shift))
    return amount // factor if shift >= 0 else amount * factor


def _power_of_ten(exponent: int) -> int:
    result = 1
    for _ in range(exponent):
        result *= 10
    return result
