"""A void gives back what the balance paid (ADR 0020): ``balance_returned`` is the exact
reverse of a ``balance_applied`` posting, and finalizing, any split of later balance
applications and the void with their returns net every ledger account to zero."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.invoicing.postings import (
    balance_applied,
    balance_returned,
    finalized,
    topped_up,
    voided,
)
from plansmith.domain.kernel.errors import InvalidValue
from tests.unit.test_ledger_postings import A, by_account, invoice, ledger_of

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_a_return_is_the_exact_reverse_of_its_application_with_the_same_reference() -> None:
    applied = balance_applied("t-1", invoice(14970, 0, currency="JPY"), "inv-1.1", 3000, AT)

    returned = balance_returned("t-2", applied, LATER)

    assert (returned.kind, returned.reference, returned.at) == (
        "balance_returned",
        "inv-1.1",
        LATER,
    )
    assert by_account(returned) == {A.CUSTOMER_CREDIT: -3000, A.RECEIVABLE: 3000}
    assert (returned.organization_id, returned.account_id) == ("org-1", "acct-1")


def test_only_a_balance_application_is_returned() -> None:
    posted = finalized("t-1", invoice(14970, 0, currency="JPY"), AT)

    with pytest.raises(InvalidValue):
        balance_returned("t-2", posted, LATER)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=2_000_000),
    st.integers(min_value=0, max_value=2_000_000),
    st.lists(st.integers(min_value=1, max_value=500_000), max_size=4),
)
def test_voiding_with_every_return_leaves_only_the_top_ups_on_the_balance(
    total: int, at_finalizing: int, later: list[int]
) -> None:
    """Top-ups of what the invoice takes at finalizing and each later application (as much as
    it still owes); the void and the returns leave cash and the balance at the top-ups and
    every other account at zero, whatever the split."""
    inv = invoice(total, 0, credit_available=at_finalizing)
    posted = [finalized("t-f", inv, AT)]
    owed = inv.totals.amount_due
    topped = at_finalizing
    applied = []
    for n, amount in enumerate(later, start=1):
        take = min(amount, owed)
        if take == 0:
            break
        owed -= take
        topped += take
        applied.append(balance_applied(f"t-a{n}", inv, f"inv-1.{n}", take, AT))
    top_up = [topped_up("t-u", "org-1", "acct-1", "pay-1", topped, "USD", AT)] if topped else []

    reversals = [voided("t-v", posted[0], LATER)]
    reversals += [balance_returned(f"t-r{a.id}", a, LATER) for a in applied]

    left = ledger_of(*top_up, *posted, *applied, *reversals)
    assert left == {**dict.fromkeys(A, 0), A.CASH: topped, A.CUSTOMER_CREDIT: -topped}
