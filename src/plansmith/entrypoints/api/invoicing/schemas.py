"""How the billing API writes money and reads percentages, shared by the invoice, credit note,
tax rate, coupon, billing run and ledger bodies.

Money is integer minor units of the document's currency with an ``*_formatted`` string. On an
invoice, a credit note and a ledger entry it is written in the account's locale, as the invoice
itself shows it; on a coupon (no account) in en_US. Percentages are exact decimal text ("10",
"8.25"), never floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from plansmith.adapters.money_format import format_money
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.limits import MAX_PERCENT_PLACES
from plansmith.domain.kernel.money import Money

PERCENT_HELP = 'Exact, as text or a whole number: "10", "8.25", 15; floats are refused'


_PERCENT = r"0*(?:100(?:\.0{1,4})?|[0-9]{1,2}(?:\.[0-9]{1,4})?)"
"""0 to 100 with at most MAX_PERCENT_PLACES decimal places, written plainly ("8.875")."""
_ABOVE_ZERO = (
    r"0*(?:100(?:\.0{1,4})?|[1-9][0-9]?(?:\.[0-9]{1,4})?"
    r"|0\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))"
)
"""The same, above 0: a coupon takes something off."""
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class _Percent:
    """Text or a whole number as sent (the use case reads it exactly), refused here exactly as
    the document says: a float, even 10.0, is ``invalid_value`` "percent" (where a union of
    strict types would say "percent.str"); out of range ``discount_range``; more than four
    decimal places ``too_many_decimals``; other text (" 10", "1e1") ``invalid_value``."""

    pattern: str
    lowest: int  # 0, or 1 for a coupon's: above 0

    def check(self, value: object) -> str | int | None:
        if value is None:
            return None  # the use case says "required" or ignores it, as for any field
        if isinstance(value, int) and not isinstance(value, bool):
            if not self.lowest <= value <= 100:
                raise PydanticCustomError(str(ec.DISCOUNT_RANGE), self._range())
            return value
        if not isinstance(value, str):
            raise PydanticCustomError(
                str(ec.INVALID_VALUE), 'give a percentage as text or a whole number, e.g. "12.5"'
            )
        if re.fullmatch(self.pattern, value):
            return value
        if _DECIMAL.fullmatch(value) is None:
            raise PydanticCustomError(
                str(ec.INVALID_VALUE), 'write a percentage in digits and a point, e.g. "12.5"'
            )
        number = Decimal(value)
        if not (number > 0 if self.lowest else number >= 0) or number > 100:
            raise PydanticCustomError(str(ec.DISCOUNT_RANGE), self._range())
        raise PydanticCustomError(
            str(ec.TOO_MANY_DECIMALS),
            f"a percentage has at most {MAX_PERCENT_PLACES} decimal places",
        )

    def _range(self) -> str:
        if self.lowest:
            return "a percentage discount is above 0 and at most 100 %"
        return "a percentage is between 0 and 100 %"

    def schema(self, *, nullable: bool = False) -> dict[str, Any]:
        kinds: list[dict[str, Any]] = [
            {"type": "string", "pattern": f"^{self.pattern}$"},
            {"type": "integer", "minimum": self.lowest, "maximum": 100},
        ]
        return {"anyOf": kinds + ([{"type": "null"}] if nullable else [])}


_RATE = _Percent(_PERCENT, 0)
_OFF = _Percent(_ABOVE_ZERO, 1)
Percent = Annotated[str | int | None, PlainValidator(_RATE.check), WithJsonSchema(_RATE.schema())]
"""A tax rate: 0 to 100 %."""
PercentOff = Annotated[
    str | int | None, PlainValidator(_OFF.check), WithJsonSchema(_OFF.schema(nullable=True))
]
"""A coupon's percentage: above 0, at most 100 %."""


def money(amount: int, currency: str, locale: str = "en_US") -> str:
    return format_money(Money.of(amount, currency), locale)


def percent_text(value: Decimal) -> str:
    """10 rather than 1E+1 or 10.00."""
    return format(value.normalize(), "f")
