"""Invoices: the status machine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from plansmith.domain.invoicing.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceStateError,
    InvoiceStatus,
)
from plansmith.domain.invoicing.pricing import price_lines, totals
from tests.unit.invoicing_support import VAT_10, draft

CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def invoice(status: InvoiceStatus, lines: list[InvoiceLine] | None = None) -> Invoice:
    lines = lines or price_lines([draft(1995)], [], VAT_10)
    return Invoice(
        id="inv-1",
        organization_id="org-1",
        account_id="acct-1",
        subscription_id="sub-1",
        currency="USD",
        status=status,
        number=None,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        lines=tuple(lines),
        totals=totals(lines),
        tax_id=None,
        created_at=CREATED,
        finalize_after=CREATED,
    )


# -- the status machine ------------------------------------------------------------------------

S = InvoiceStatus


ALLOWED = {
    (S.DRAFT, S.OPEN),
    (S.DRAFT, S.VOID),  # a discarded draft
    (S.OPEN, S.PAID),
    (S.OPEN, S.VOID),
    (S.OPEN, S.UNCOLLECTIBLE),
    (S.UNCOLLECTIBLE, S.PAID),
    (S.UNCOLLECTIBLE, S.VOID),
}


EVERY_PAIR = [(a, b) for a in S for b in S]


@pytest.mark.parametrize(("current", "to"), sorted(ALLOWED))
def test_allowed_transitions_move_the_invoice_and_stamp_the_time(
    current: InvoiceStatus, to: InvoiceStatus
) -> None:
    before = invoice(current)

    after = before.moved(to, LATER)

    assert after.status is to
    # opening stamps finalized_at, paying paid_at, voiding voided_at; a write-off stamps none
    stamps = (after.finalized_at, after.paid_at, after.voided_at)
    expected = {
        S.OPEN: (LATER, None, None),
        S.PAID: (None, LATER, None),
        S.VOID: (None, None, LATER),
        S.UNCOLLECTIBLE: (None, None, None),
    }
    assert stamps == expected[to]
    assert (after.lines, after.totals) == (before.lines, before.totals)
    assert before.status is current  # the original is untouched


@pytest.mark.parametrize(("current", "to"), [pair for pair in EVERY_PAIR if pair not in ALLOWED])
def test_refused_transitions_raise_a_conflict_and_change_nothing(
    current: InvoiceStatus, to: InvoiceStatus
) -> None:
    before = invoice(current)

    with pytest.raises(InvoiceStateError) as caught:
        before.moved(to, LATER)

    assert caught.value.code == "invalid_invoice_transition"
    assert caught.value.status == 409
    assert caught.value.field == "status"
    article = "an" if current.value[0] in "aeiou" else "a"
    assert f"{article} {current} invoice cannot become {to}" in caught.value.message
    assert before == invoice(current)


def test_finalizing_twice_is_refused() -> None:
    opened = invoice(S.DRAFT).moved(S.OPEN, CREATED)

    with pytest.raises(InvoiceStateError) as caught:
        opened.moved(S.OPEN, LATER)

    assert (caught.value.code, caught.value.status) == ("invalid_invoice_transition", 409)
    assert "finalized already" in caught.value.message
    assert opened.finalized_at == CREATED


def test_a_paid_invoice_cannot_be_voided() -> None:
    paid = invoice(S.OPEN).moved(S.PAID, LATER)

    with pytest.raises(InvoiceStateError) as caught:
        paid.moved(S.VOID, LATER)

    assert "corrected with a credit note" in caught.value.message
    assert (paid.status, paid.voided_at) == (S.PAID, None)


@pytest.mark.parametrize("to", list(S))
def test_a_void_invoice_stays_void(to: InvoiceStatus) -> None:
    void = invoice(S.OPEN).moved(S.VOID, LATER)

    with pytest.raises(InvoiceStateError) as caught:
        void.moved(to, LATER)

    assert "stays void" in caught.value.message
    assert void.status is S.VOID
