"""The ledger: transactions balance per currency, and an invoice's postings (finalized, voided,
paid, credit note) balance for any total, tax and credit, and move the right accounts.

Amounts are signed: debits positive, credits negative.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.invoicing.invoice import Invoice, InvoiceLine, InvoiceStatus, LineKind
from plansmith.domain.invoicing.ledger import (
    Entry,
    LedgerAccount,
    Transaction,
    Unbalanced,
    balance,
    entries,
)
from plansmith.domain.invoicing.postings import credit_note, finalized, paid, voided
from plansmith.domain.invoicing.pricing import totals
from plansmith.domain.kernel.errors import InvalidValue

A = LedgerAccount
PROPERTY = settings(max_examples=200, deadline=None)
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def line(total: int, tax: int) -> InvoiceLine:
    """An exclusive-tax line whose total and tax are given (net = total - tax)."""
    return InvoiceLine(
        kind=LineKind.RECURRING,
        description="Pro plan",
        quantity=1,
        unit_amount=total - tax,
        amount=total - tax,
        discount=0,
        tax_rate_id="vat" if tax else None,
        tax=tax,
        total=total,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        source_id="item-1",
    )


def invoice(total: int, tax: int, credit_available: int = 0, currency: str = "USD") -> Invoice:
    lines = (line(total, tax),)
    return Invoice(
        id="inv-1",
        organization_id="org-1",
        account_id="acct-1",
        subscription_id=None,
        currency=currency,
        status=InvoiceStatus.OPEN,
        number="INV-0001",
        period_start=None,
        period_end=None,
        lines=lines,
        totals=totals(lines, credit_available=credit_available),
        tax_id=None,
        created_at=AT,
        finalize_after=AT,
        finalized_at=AT,
    )


def by_account(transaction: Transaction) -> dict[LedgerAccount, int]:
    return {e.account: e.amount for e in transaction.entries}


def ledger_of(*transactions: Transaction, currency: str = "USD") -> dict[LedgerAccount, int]:
    return {account: balance(transactions, account, currency) for account in A}


# -- transactions ------------------------------------------------------------------------------


def test_a_transaction_with_unbalanced_entries_is_refused() -> None:
    unbalanced = (Entry(A.RECEIVABLE, "USD", 1000), Entry(A.REVENUE, "USD", -999))

    with pytest.raises(Unbalanced) as caught:
        Transaction("t-1", "org-1", "acct-1", "invoice_finalized", "inv-1", unbalanced, AT)

    assert (caught.value.code, caught.value.status) == ("ledger_unbalanced", 500)
    # the message names the kind and how far off each currency is: 1000 - 999 = 1
    assert "invoice_finalized" in caught.value.message
    assert "{'USD': 1}" in caught.value.message


def test_a_transaction_balances_per_currency_not_across_currencies() -> None:
    # +1000 USD cents and -1000 yen sum to zero as numbers but are different money
    mixed = (Entry(A.CASH, "USD", 1000), Entry(A.RECEIVABLE, "JPY", -1000))

    with pytest.raises(Unbalanced) as caught:
        Transaction("t-1", "org-1", "acct-1", "payment", "inv-1", mixed, AT)

    assert "'USD': 1000" in caught.value.message
    assert "'JPY': -1000" in caught.value.message


def test_a_transaction_balanced_in_each_of_two_currencies_is_accepted() -> None:
    both = (
        *entries((A.CASH, 1000), (A.RECEIVABLE, -1000), currency="USD"),
        *entries((A.CASH, 1500), (A.RECEIVABLE, -1500), currency="JPY"),
    )

    posted = Transaction("t-1", "org-1", "acct-1", "payment", "inv-1", both, AT)

    assert balance([posted], A.CASH, "USD") == 1000
    assert balance([posted], A.CASH, "JPY") == 1500
    assert balance([posted], A.RECEIVABLE, "KWD") == 0


def test_entries_leave_out_zero_amounts() -> None:
    made = entries((A.RECEIVABLE, 500), (A.CUSTOMER_CREDIT, 0), (A.REVENUE, -500), currency="KWD")

    assert made == (Entry(A.RECEIVABLE, "KWD", 500), Entry(A.REVENUE, "KWD", -500))


# -- finalizing --------------------------------------------------------------------------------


def test_finalizing_posts_receivable_revenue_and_tax_usd() -> None:
    # total 5490 of which tax 500 (4990 + 10 % per line), customer credit 1000
    inv = invoice(5490, 500, credit_available=1000)

    posted = finalized("t-1", inv, AT)

    # receivable 5490 - 1000 = 4490 still owed; credit used 1000 (debit); revenue
    # -(5490 - 500) = -4990; tax -500. 4490 + 1000 - 4990 - 500 = 0.
    assert by_account(posted) == {
        A.RECEIVABLE: 4490,
        A.CUSTOMER_CREDIT: 1000,
        A.REVENUE: -4990,
        A.TAX_PAYABLE: -500,
    }
    assert by_account(posted)[A.RECEIVABLE] == inv.totals.amount_due
    assert (posted.kind, posted.reference, posted.account_id) == (
        "invoice_finalized",
        "inv-1",
        "acct-1",
    )
    assert {e.currency for e in posted.entries} == {"USD"}


def test_finalizing_an_invoice_paid_by_credit_owes_nothing_jpy() -> None:
    # total 2099 yen, tax 191 inside; 5000 yen of credit pays all of it
    inv = invoice(2099, 191, credit_available=5000, currency="JPY")

    posted = finalized("t-1", inv, AT)

    # receivable 2099 - 2099 = 0 (left out); revenue -(2099 - 191) = -1908
    assert by_account(posted) == {A.CUSTOMER_CREDIT: 2099, A.REVENUE: -1908, A.TAX_PAYABLE: -191}
    assert inv.totals.amount_due == 0


def test_finalizing_a_negative_invoice_becomes_customer_credit_kwd() -> None:
    # a credit of -16462 fils with tax -1497 (see the invoicing tests); credit on hand unused
    inv = invoice(-16462, -1497, credit_available=3000, currency="KWD")

    posted = finalized("t-1", inv, AT)

    # owed 0; credit 0 + (-16462): the operator now owes it; revenue -(-16462 + 1497) = 14965
    # and tax 1497 go back (debits).
    assert by_account(posted) == {A.CUSTOMER_CREDIT: -16462, A.REVENUE: 14965, A.TAX_PAYABLE: 1497}
    assert (inv.totals.credit_applied, inv.totals.amount_due) == (0, 0)


def test_voiding_reverses_exactly_what_finalizing_posted() -> None:
    inv = invoice(5490, 500, credit_available=1000)
    posted = finalized("t-1", inv, AT)

    reversal = voided("t-2", posted, LATER)

    assert by_account(reversal) == {
        A.RECEIVABLE: -4490,
        A.CUSTOMER_CREDIT: -1000,
        A.REVENUE: 4990,
        A.TAX_PAYABLE: 500,
    }
    assert (reversal.kind, reversal.reference, reversal.at) == ("invoice_voided", "inv-1", LATER)
    assert ledger_of(posted, reversal) == dict.fromkeys(A, 0)


# -- payments and credit notes -----------------------------------------------------------------


def test_a_payment_moves_receivable_to_cash() -> None:
    inv = invoice(5490, 500, credit_available=1000)
    posted = finalized("t-1", inv, AT)

    payment = paid("t-2", inv, 4490, LATER)

    assert by_account(payment) == {A.CASH: 4490, A.RECEIVABLE: -4490}
    # after it nothing is owed: 4490 - 4490
    assert ledger_of(posted, payment) == {
        A.RECEIVABLE: 0,
        A.REVENUE: -4990,
        A.TAX_PAYABLE: -500,
        A.CUSTOMER_CREDIT: 1000,
        A.CASH: 4490,
    }


@pytest.mark.parametrize("amount", [0, -1])
def test_a_payment_must_be_positive(amount: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        paid("t-2", invoice(5490, 500), amount, LATER)

    assert caught.value.field == "amount"


def test_a_credit_note_reduces_what_is_owed_first_and_the_rest_becomes_credit() -> None:
    # a credit note of 1100 with 100 tax inside, against an invoice still owing 600
    note = credit_note("t-3", invoice(5490, 500), "cn-1", 1100, 100, 600, LATER)

    # revenue 1100 - 100 = 1000 and tax 100 go back; receivable -600; credit -(1100 - 600)
    assert by_account(note) == {
        A.REVENUE: 1000,
        A.TAX_PAYABLE: 100,
        A.RECEIVABLE: -600,
        A.CUSTOMER_CREDIT: -500,
    }
    assert (note.kind, note.reference) == ("credit_note", "cn-1")


def test_a_credit_note_on_a_paid_invoice_is_all_customer_credit() -> None:
    note = credit_note("t-3", invoice(5490, 500), "cn-1", 550, 50, 0, LATER)

    # nothing owed: the whole 550 becomes credit; revenue 550 - 50 = 500
    assert by_account(note) == {A.REVENUE: 500, A.TAX_PAYABLE: 50, A.CUSTOMER_CREDIT: -550}


@pytest.mark.parametrize(
    ("amount", "tax"),
    [(0, 0), (-100, 0), (100, -1), (100, 101)],
)
def test_a_credit_note_is_a_positive_amount_with_its_tax_inside(amount: int, tax: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        credit_note("t-3", invoice(5490, 500), "cn-1", amount, tax, 5490, LATER)

    assert caught.value.field == "amount"


# -- properties --------------------------------------------------------------------------------

TOTALS = st.integers(min_value=-1_000_000, max_value=1_000_000)
TAXES = st.integers(min_value=-200_000, max_value=200_000)
CREDITS = st.integers(min_value=-1_000, max_value=2_000_000)
CURRENCIES = st.sampled_from(("USD", "JPY", "KWD"))


@PROPERTY
@given(TOTALS, TAXES, CREDITS, CURRENCIES)
def test_finalizing_balances_and_its_receivable_is_the_amount_due(
    total: int, tax: int, credit: int, currency: str
) -> None:
    inv = invoice(total, tax, credit_available=credit, currency=currency)

    posted = finalized("t-1", inv, AT)  # Transaction refuses to exist unbalanced

    assert sum(e.amount for e in posted.entries) == 0
    assert balance([posted], A.RECEIVABLE, currency) == inv.totals.amount_due
    assert balance([posted], A.REVENUE, currency) == -(total - tax)
    assert balance([posted], A.TAX_PAYABLE, currency) == -tax
    # credit used is a debit; a negative invoice's total becomes credit (a credit entry)
    assert balance([posted], A.CUSTOMER_CREDIT, currency) == (
        inv.totals.credit_applied + min(total, 0)
    )
    assert 0 <= inv.totals.credit_applied <= max(credit, 0)


@PROPERTY
@given(TOTALS, TAXES, CREDITS, CURRENCIES)
def test_voiding_a_finalized_invoice_nets_every_account_to_zero(
    total: int, tax: int, credit: int, currency: str
) -> None:
    posted = finalized("t-1", invoice(total, tax, credit, currency), AT)

    reversal = voided("t-2", posted, LATER)

    assert ledger_of(posted, reversal, currency=currency) == dict.fromkeys(A, 0)


@PROPERTY
@given(
    st.integers(min_value=1, max_value=1_000_000),
    st.data(),
    st.integers(min_value=-500_000, max_value=2_000_000),
)
def test_a_credit_note_balances_and_never_credits_receivable_beyond_what_is_owed(
    amount: int, data: st.DataObject, still_owed: int
) -> None:
    tax = data.draw(st.integers(min_value=0, max_value=amount), label="tax")

    note = credit_note("t-3", invoice(5490, 500), "cn-1", amount, tax, still_owed, LATER)

    assert sum(e.amount for e in note.entries) == 0
    receivable = balance([note], A.RECEIVABLE, "USD")
    assert -max(still_owed, 0) <= receivable <= 0
    assert -receivable == min(amount, max(still_owed, 0))
    assert balance([note], A.REVENUE, "USD") + balance([note], A.TAX_PAYABLE, "USD") == amount
    assert balance([note], A.CUSTOMER_CREDIT, "USD") <= 0
