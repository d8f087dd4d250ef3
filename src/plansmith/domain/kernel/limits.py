"""The largest numbers plansmith takes, defined once: every entrypoint (API, CLI, portal,
console, catalog file) checks against these, and the API schemas publish them.

They are chosen so that no amount plansmith computes from them can overflow a 64-bit integer
column (BIGINT, at most 2**63 - 1 = 9,223,372,036,854,775,807):

- one line of one period is at most MAX_PRICE x MAX_QUANTITY = 10**16 minor units (a part of a
  period, prorated or accrued by the day, is less); its tax at most the same again (a rate is at
  most 100 %), and a discount only takes off;
- an invoice is refused (``too_large``) when its lines' amounts, discounts and taxes would add up
  to more than MAX_INVOICE_AMOUNT = 4 * 10**18, so every total it stores stays below 2**63 with
  a margin of more than two; a line's amount, discount and tax come to at most twice its
  amount, so that takes over 200 lines at the largest values;
- quantities and counts stay below 2**31, so the 32-bit INTEGER columns hold them too.

docs/api.md ("Limits") shows the arithmetic.
"""

from __future__ import annotations

from decimal import Decimal

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import Cycle, CycleUnit

BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1

MAX_QUANTITY = 1_000_000
"""Seats of a subscription, units of an add-on, a plan's min_seats and max_seats."""

MAX_PRICE = 10_000_000_000
"""Minor units: a price per seat (or unit) for one cycle, whether explicit or a monthly base
price times the cycle's months; an add-on price, an extra pack price, a coupon's amount off."""

MAX_LINE_AMOUNT = MAX_PRICE * MAX_QUANTITY
"""What one invoice line can come to before tax: 10**16."""

MAX_INVOICE_AMOUNT = 4 * 10**18
"""What an invoice's lines may add up to: amounts, discounts and taxes, each taken whole."""

MAX_ALLOWANCE = 1_000_000_000_000
"""An allowance per period (scans, sessions) and what an extra pack grants."""

MAX_TRIAL_DAYS = 730
MAX_CYCLE_MONTHS = 60
MAX_CYCLE_WEEKS = 260
MAX_CYCLE_DAYS = 1826
"""A billing cycle the catalog prices is at most five years."""
_MAX_CYCLE = {
    CycleUnit.MONTH: MAX_CYCLE_MONTHS,
    CycleUnit.WEEK: MAX_CYCLE_WEEKS,
    CycleUnit.DAY: MAX_CYCLE_DAYS,
}

MAX_RANK = 1_000
"""A plan's rank in its family (0 to 1,000)."""

MAX_COUPON_CYCLES = 1_000
"""Invoices a repeating coupon discounts."""

MAX_PERCENT_PLACES = 4
"""Decimal places of a percentage (tax rates, coupons, cycle discounts): "8.875" is fine."""

assert MAX_LINE_AMOUNT * 2 * 200 <= MAX_INVOICE_AMOUNT < BIGINT_MAX // 2
assert max(MAX_QUANTITY, MAX_COUPON_CYCLES, MAX_CYCLE_DAYS) < INTEGER_MAX
assert MAX_ALLOWANCE < BIGINT_MAX


class TooLarge(InvalidValue):
    """A number is above the largest plansmith takes for it."""

    code = ec.TOO_LARGE


def figure(value: int) -> str:
    """1000000 -> "1,000,000": bounds are read by people."""
    return f"{value:,}"


def at_most(value: int, maximum: int, field: str, what: str = "") -> int:
    """``value`` unless it is above ``maximum``: TooLarge naming the field and the bound."""
    if value > maximum:
        subject = what or field.rsplit(".", 1)[-1]
        raise TooLarge(f"{subject} is at most {figure(maximum)}", field=field)
    return value


def cycle_length(cycle: Cycle, field: str) -> Cycle:
    """A cycle of at most five years (60 months, 260 weeks or 1,826 days)."""
    most = _MAX_CYCLE[cycle.unit]
    if cycle.count > most:
        raise TooLarge(
            f"a billing cycle is at most five years: {figure(most)} {cycle.unit}s", field=field
        )
    return cycle


def percent_places(value: Decimal, field: str) -> Decimal:
    """A percentage with at most MAX_PERCENT_PLACES decimal places (stored as short text)."""
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PERCENT_PLACES:
        raise InvalidValue(
            f"a percentage has at most {MAX_PERCENT_PLACES} decimal places",
            field=field,
            code=ec.TOO_MANY_DECIMALS,
        )
    return value
