"""The prepaid balance's rules (one balance per account and currency).

- An issued invoice takes the balance first, ``min(balance, owed)``; the rest is charged to the
  default card, or waits for its due date.
- A credit (a credit note, a cancellation's negative invoice) goes first to the account's open
  unpaid invoices, oldest first; only the remainder stays on the balance.
- A refund goes back to the card up to what the card paid on that invoice less earlier
  refunds; any remainder goes to the balance (prepaid money is not paid out).
- The balance never goes negative.
"""

from __future__ import annotations

from collections.abc import Sequence

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import Currency

# A top-up is at most this many major units (¥1,000,000, $1,000,000.00, 1,000,000.000 KWD):
# a typing slip of a few zeros is refused rather than charged.
MAX_TOP_UP_MAJOR = 1_000_000


def max_top_up(currency: str) -> int:
    return MAX_TOP_UP_MAJOR * Currency.of(currency).minor_per_major


def checked_top_up(amount: object, currency: str) -> int:
    """A top-up amount in minor units: a whole number above 0 and at most the bound."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidValue("a top-up is a whole number of minor units", field="amount")
    if amount <= 0:
        raise InvalidValue("a top-up is more than 0", field="amount", code=ec.TOP_UP_OUT_OF_RANGE)
    bound = max_top_up(currency)
    if amount > bound:
        raise InvalidValue(
            f"a top-up is at most {bound} minor units of {currency}",
            field="amount",
            code=ec.TOP_UP_OUT_OF_RANGE,
        )
    return amount


def spread(credit: int, owed: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """What ``credit`` pays of each open invoice (``owed``: (id, amount due), oldest first):
    each in turn as much as it owes, until the credit is used up."""
    taken: list[tuple[str, int]] = []
    left = credit
    for invoice_id, due in owed:
        if left <= 0:
            break
        take = min(left, due)
        if take > 0:
            taken.append((invoice_id, take))
            left -= take
    return taken


def refund_split(amount: int, card_paid: int, card_refunded: int) -> tuple[int, int]:
    """(to the card, to the balance) of a refund of ``amount``: the card gets back at most
    what it paid on the invoice less what was refunded to it before."""
    to_card = max(0, min(amount, card_paid - card_refunded))
    return to_card, amount - to_card
