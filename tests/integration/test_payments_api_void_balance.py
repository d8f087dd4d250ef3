"""Voiding an invoice the prepaid balance paid part of gives the balance back (ADR 0020), on
SQLite and PostgreSQL: what it took when it was finalized and what it took later when it was
paid (`balance_applied`), each posting reversed exactly, the ledger balanced. A void that is
refused (a paid invoice, one with credit notes) changes nothing.

The scenario the simulation's invariant checks found: the default card declines, a second card
tops the balance up by 3,000, paying takes the 3,000 and the card declines (402), and the
invoice, open with 3,000 of credit applied, is voided."""

from __future__ import annotations

from typing import Any

from plansmith.application.payments.collection import collect_invoice
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.integration.payments_api_support import (
    INSUFFICIENT,
    MONTH,
    NO_GRACE,
    TIMEOUT_SUCCEEDED,
    PaymentsApi,
)
from tests.integration.payments_api_support import api as api  # the fixture
from tests.integration.route_calls import _dump

TOP_UP = 3000


def _cards(api: PaymentsApi, account_id: str, default: str = INSUFFICIENT) -> str:
    """A default card (one that declines) and a second one that succeeds: the second's id."""
    api.card(account_id, default)
    good: str = api.card(account_id, make_default=False)["id"]
    return good


def _top_up(api: PaymentsApi, account_id: str, card_id: str, amount: int) -> str:
    body = {"amount": amount, "currency": "JPY", "payment_method_id": card_id}
    payment_id: str = _ok(api.post(f"/v1/accounts/{account_id}/top_ups", body), 201)["id"]
    return payment_id


def _partly_paid_from_the_balance(api: PaymentsApi) -> tuple[str, str, str]:
    """The finder's scenario: an open invoice that took 3,000 from the balance on "pay" while
    its card declined. (account id, invoice id, top-up id)"""
    account_id, invoice = api.open_invoice()
    good = _cards(api, account_id)
    top_up_id = _top_up(api, account_id, good, TOP_UP)

    declined = api.post(f"/v1/invoices/{invoice['id']}/pay")

    _assert_problem(declined, 402, "payment_declined", "payment_method_id")
    after = api.invoice(invoice["id"])
    assert (after["status"], after["totals"]["credit_applied"]) == ("open", TOP_UP)
    assert after["totals"]["amount_due"] == MONTH - TOP_UP
    assert api.balance(account_id) == 0
    return account_id, invoice["id"], top_up_id


def _kinds(api: PaymentsApi, account_id: str) -> list[tuple[str, str]]:
    ledger = _ok(api.get(f"/v1/accounts/{account_id}/ledger"))["data"]
    return [(txn["kind"], txn["reference"]) for txn in ledger]


@NO_GRACE
def test_voiding_gives_back_what_the_balance_paid_when_paying(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id, invoice_id, top_up_id = _partly_paid_from_the_balance(api)

    voided = _ok(api.post(f"/v1/invoices/{invoice_id}/void"))

    assert voided["status"] == "void"
    assert api.balance(account_id) == TOP_UP
    movements = _ok(api.get(f"/v1/accounts/{account_id}/balance"))["movements"]
    assert ("balance_returned", f"{invoice_id}.1", TOP_UP) in [
        (m["kind"], m["reference"], m["amount"]) for m in movements
    ]
    balances = api.balances(account_id)
    assert {k: v for k, v in balances.items() if v} == {"cash": TOP_UP, "customer_credit": -TOP_UP}
    # Each posting reversed on its own (the test clock stands still: any order by id).
    assert sorted(_kinds(api, account_id)) == [
        ("balance_applied", f"{invoice_id}.1"),
        ("balance_returned", f"{invoice_id}.1"),
        ("invoice_finalized", invoice_id),
        ("invoice_voided", invoice_id),
        ("top_up", top_up_id),
    ]
    assert_ledger_invariants(container.engine)


@NO_GRACE
def test_voiding_gives_back_what_the_balance_paid_at_finalizing_and_later(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id = api.account()
    good = _cards(api, account_id)
    _top_up(api, account_id, good, 1000)  # taken by the invoice when it is finalized
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices(account_id=account_id)
    assert (invoice["status"], invoice["totals"]["credit_applied"]) == ("open", 1000)
    _top_up(api, account_id, good, 2000)  # taken by "pay", then the card declines
    _assert_problem(
        api.post(f"/v1/invoices/{invoice['id']}/pay"), 402, "payment_declined", "payment_method_id"
    )
    assert api.invoice(invoice["id"])["totals"]["credit_applied"] == 3000

    _ok(api.post(f"/v1/invoices/{invoice['id']}/void"))

    assert api.balance(account_id) == 3000
    assert {k: v for k, v in api.balances(account_id).items() if v} == {
        "cash": 3000,
        "customer_credit": -3000,
    }
    assert_ledger_invariants(container.engine)


@NO_GRACE
def test_voiding_an_uncollectible_invoice_gives_the_balance_back_too(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id, invoice_id, _ = _partly_paid_from_the_balance(api)
    _ok(api.post(f"/v1/invoices/{invoice_id}/mark_uncollectible"))

    voided = _ok(api.post(f"/v1/invoices/{invoice_id}/void"))

    assert (voided["status"], api.balance(account_id)) == ("void", TOP_UP)
    assert_ledger_invariants(container.engine)


@NO_GRACE
def test_the_returned_balance_pays_the_next_invoice(api: PaymentsApi, container: Plansmith) -> None:
    account_id, invoice_id, _ = _partly_paid_from_the_balance(api)
    _ok(api.post(f"/v1/invoices/{invoice_id}/void"))
    api.subscribe_other_family(account_id)
    api.run()

    [support] = [i for i in api.invoices(account_id=account_id) if i["status"] != "void"]

    assert (support["totals"]["credit_applied"], support["totals"]["amount_due"]) == (
        TOP_UP,
        9000 - TOP_UP,
    )
    assert api.balance(account_id) == 0
    assert_ledger_invariants(container.engine)


@NO_GRACE
def test_a_card_payment_in_flight_when_voided_lands_on_the_balance(
    api: PaymentsApi, container: Plansmith, tenant: Tenant
) -> None:
    """An open invoice is never partly paid by card (a card is charged all it owes, and a paid
    invoice is not voided); but a charge still unanswered at the void may turn out to have
    captured: that money is kept on the balance (`overpayment`), next to what the void gave
    back."""
    account_id, invoice = api.open_invoice()
    good = _cards(api, account_id, TIMEOUT_SUCCEEDED)
    _top_up(api, account_id, good, TOP_UP)
    unknown = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay"))
    assert (unknown["invoice"]["status"], unknown["payment"]["status"]) == ("open", "unknown")
    assert unknown["invoice"]["totals"]["credit_applied"] == TOP_UP

    _ok(api.post(f"/v1/invoices/{invoice['id']}/void"))
    returned = api.balance(account_id)
    collected = collect_invoice(
        container.uow(),
        container.gateway_for(tenant.organization_id),
        container.clock,
        tenant.organization_id,
        invoice["id"],
    )

    assert returned == TOP_UP
    assert collected.payment is not None and collected.payment.status.value == "succeeded"
    assert collected.invoice.status.value == "void"
    assert api.balance(account_id) == MONTH  # 3,000 given back + 11,970 the card paid
    assert_ledger_invariants(container.engine)


def _refused(api: PaymentsApi, container: Plansmith, invoice_id: str) -> Any:
    before = _dump(container)
    response = api.post(f"/v1/invoices/{invoice_id}/void")
    assert _dump(container) == before
    return response


@NO_GRACE
def test_voiding_a_paid_invoice_is_refused_and_changes_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id, invoice = api.open_invoice()
    good = _cards(api, account_id)
    _top_up(api, account_id, good, TOP_UP)
    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/pay", {"payment_method_id": good}))
    assert (paid["invoice"]["status"], paid["invoice"]["totals"]["credit_applied"]) == (
        "paid",
        TOP_UP,
    )

    response = _refused(api, container, invoice["id"])

    _assert_problem(response, 409, "invalid_invoice_transition", "status")
    assert api.balance(account_id) == 0
    assert_ledger_invariants(container.engine)


@NO_GRACE
def test_voiding_an_invoice_with_credit_notes_is_refused_and_changes_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    account_id, invoice_id, _ = _partly_paid_from_the_balance(api)
    note = {"amount": 1000, "reason": "Goodwill"}
    _ok(api.post(f"/v1/invoices/{invoice_id}/credit_notes", note), 201)

    response = _refused(api, container, invoice_id)

    _assert_problem(response, 409, "has_credit_notes", "invoice_id")
    assert api.invoice(invoice_id)["status"] == "open"
    assert api.balance(account_id) == 0
    assert_ledger_invariants(container.engine)
