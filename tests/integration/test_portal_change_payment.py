"""Paying for a change in the portal (seed 002: choose, review, choose a payment method, pay),
through the portal over HTTP with the built-in sandbox gateway, on both databases.

The account is billed in JPY from Tokyo: Chat Team × 2 monthly from 2026-02-01, the clock at
Feb 15 (14 of 28 days left). Upgrading to Chat Business × 5 credits 2,800 (Team × 2 for 14
days) and charges 14,500 (Business × 5 for 14 days): 11,700 is invoiced and paid now. The
first period (5,600, never invoiced: no billing run has run) stays pending for the run.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.catalog.plan_families import update_family
from plansmith.application.payments.balance import balance_of
from plansmith.application.payments.change_payment import pay_by_card
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.top_ups import top_up
from plansmith.application.screens.portal_plan_payment import Moved
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.payments import PaymentStatus
from tests.conftest import Tenant
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.integration.portal_plans_support import (
    BUSINESS_X5,
    _customer,
    _enter,
    _expect,
    _held,
    _snapshot,
    _text,
)

PAID = "/portal/plans?family=chat&done=paid"


def _card(container: Plansmith, account: Account, token: str) -> str:
    org = account.organization_id
    added = add_card(
        container.uow(), container.gateway_for(org), container.clock, org, account.id, source=token
    )
    return added.method.id


def _attempt(page: Response) -> str:
    match = re.search(r'name="attempt" value="([^"]+)"', page.text)
    assert match, "the page has no payment form"
    return match.group(1)


def _payment_step(client: TestClient, csrf: str) -> tuple[dict[str, str], Response]:
    """Review the upgrade, then open its payment step: the form's fields and the page."""
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})
    form = {**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(reviewed)}
    step = client.post("/portal/plans/chat/confirm", data=form)
    assert step.status_code == 200, step.text
    return {**form, "attempt": _attempt(step)}, step


def _money_rows(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    """Invoices, their lines, the ledger and the sequences: what "no money moved" compares."""
    tables = (
        t.invoices,
        t.invoice_lines,
        t.ledger_transactions,
        t.ledger_entries,
        t.document_sequences,
    )
    with container.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in tables
        ]


def _invoices(container: Plansmith) -> list[dict[str, Any]]:
    i = t.invoices.c
    with container.engine.connect() as connection:
        rows = connection.execute(select(t.invoices).order_by(i.created_at, i.id)).all()
        lines = connection.execute(
            select(t.invoice_lines.c.invoice_id, t.invoice_lines.c.amount).order_by(
                t.invoice_lines.c.invoice_id, t.invoice_lines.c.position
            )
        ).all()
    return [
        {
            "id": r.id,
            "key": r.billing_key,
            "status": r.status,
            "number": r.number,
            "total": r.total,
            "credit_applied": r.credit_applied,
            "amount_due": r.amount_due,
            "lines": [a for invoice_id, a in lines if invoice_id == r.id],
        }
        for r in rows
    ]


def _payments(container: Plansmith) -> list[tuple[Any, ...]]:
    p = t.payments.c
    with container.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(p.kind, p.status, p.amount, p.invoice_id, p.decline_code).order_by(
                    p.created_at, p.id
                )
            ).all()
        ]


def _pending(container: Plansmith, sub_id: str) -> list[int]:
    it = t.subscription_items.c
    with container.engine.connect() as connection:
        query = select(it.amount).where(it.subscription_id == sub_id, it.invoice_id.is_(None))
        return sorted(int(a) for a in connection.execute(query).scalars())


def _balance(container: Plansmith, account: Account) -> int:
    with container.uow() as uow:
        return balance_of(uow, account.id, "JPY")


def _terms(container: Plansmith, account: Account) -> tuple[str, int]:
    [sub] = _held(container, account)
    with container.engine.connect() as connection:
        code = connection.execute(
            select(t.plans.c.code).where(t.plans.c.id == sub.terms.plan_id)
        ).scalar_one()
    return code, sub.terms.quantity


# -- paid --------------------------------------------------------------------------------


def test_upgrade_paid_with_a_saved_card_is_invoiced_at_once_and_paid(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    card = _card(container, account, "tok_sandbox_success")
    csrf = _enter(client, container, account)
    form, step = _payment_step(client, csrf)

    done = client.post(
        "/portal/plans/chat/pay", data={**form, "pay_with": card}, follow_redirects=False
    )

    step_text = _text(step)
    assert "Invoiced now" in step_text
    assert "Total ￥11,700 To pay now ￥11,700" in step_text
    assert "Pay ￥11,700" in step_text
    assert (done.status_code, done.headers["location"]) == (303, PAID)
    assert "Your plan was changed and the payment was received." in _text(client.get(PAID))
    assert _terms(container, account) == ("chat-business", 5)
    [invoice] = _invoices(container)
    assert {k: v for k, v in invoice.items() if k != "id"} == {
        "key": "change:2",
        "status": "paid",
        "number": "INV-000001",
        "total": 11700,
        "credit_applied": 0,
        "amount_due": 0,
        "lines": [-2800, 14500],
    }
    assert _payments(container) == [("payment", "succeeded", 11700, invoice["id"], None)]
    [sub] = _held(container, account)
    assert _pending(container, sub.id) == [5600]  # the first period waits for the billing run
    assert _balance(container, account) == 0
    assert_ledger_invariants(container.engine)


def test_upgrade_paid_with_the_balance_charges_no_card(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    org = account.organization_id
    card = _card(container, account, "tok_sandbox_success")
    gateway = container.gateway_for(org)
    top_up(container.uow(), gateway, container.clock, org, account.id, 20000, "JPY", method_id=card)
    csrf = _enter(client, container, account)
    form, step = _payment_step(client, csrf)

    done = client.post(
        "/portal/plans/chat/pay", data={**form, "pay_with": "balance"}, follow_redirects=False
    )

    assert "From your balance \u2212￥11,700 To pay now ￥0" in _text(step)
    assert "Your balance pays all of it" in _text(step)
    assert (done.status_code, done.headers["location"]) == (303, PAID)
    assert _terms(container, account) == ("chat-business", 5)
    [invoice] = _invoices(container)
    assert (invoice["status"], invoice["total"], invoice["credit_applied"]) == (
        "paid",
        11700,
        11700,
    )
    assert invoice["lines"] == [-2800, 14500]
    assert _payments(container) == [("top_up", "succeeded", 20000, None, None)]
    assert _balance(container, account) == 8300
    assert_ledger_invariants(container.engine)


def test_upgrade_paid_with_a_new_card_saves_it_and_charges_it(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    form, step = _payment_step(client, csrf)
    new_card = {
        "pay_with": "new_card",
        "number": "4242 4242 4242 4242",
        "exp_month": "12",
        "exp_year": "2030",
        "cvc": "123",
    }

    done = client.post("/portal/plans/chat/pay", data={**form, **new_card}, follow_redirects=False)

    assert "A new card" in _text(step)
    assert (done.status_code, done.headers["location"]) == (303, PAID)
    assert _terms(container, account) == ("chat-business", 5)
    [invoice] = _invoices(container)
    assert _payments(container) == [("payment", "succeeded", 11700, invoice["id"], None)]
    with container.engine.connect() as connection:
        cards = connection.execute(
            select(t.payment_methods.c.brand, t.payment_methods.c.last4)
        ).all()
    assert [tuple(c) for c in cards] == [("visa", "4242")]


def test_a_new_card_with_a_wrong_number_is_refused_beside_the_field_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    form, _step = _payment_step(client, csrf)
    before = (_snapshot(container), _money_rows(container))
    wrong = {"pay_with": "new_card", "number": "4242 4242 4242 4241", "exp_month": "12"}

    page = client.post("/portal/plans/chat/pay", data={**form, **wrong, "exp_year": "2030"})

    assert page.status_code == 422
    assert 'id="number-error"' in page.text
    assert (_snapshot(container), _money_rows(container)) == before
    assert _payments(container) == []


# -- not paid ----------------------------------------------------------------------------


def test_a_declined_card_changes_nothing_and_says_why_beside_the_payment_choice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    card = _card(container, account, "tok_sandbox_insufficient_funds")
    csrf = _enter(client, container, account)
    plans_before = _text(client.get("/portal/plans?family=chat"))
    form, _step = _payment_step(client, csrf)
    before = (_snapshot(container), _money_rows(container))
    [sub] = _held(container, account)

    page = client.post("/portal/plans/chat/pay", data={**form, "pay_with": card})

    assert page.status_code == 402
    reason = re.search(r'id="pay-declined" role="alert">([^<]*)<', page.text)
    assert reason is not None
    assert reason.group(1) == (
        "Your card was declined: Your card has insufficient funds. Your plan was not changed."
    )
    assert (_snapshot(container), _money_rows(container)) == before
    assert _pending(container, sub.id) == [5600]
    assert _balance(container, account) == 0
    assert _payments(container) == [("payment", "failed", 11700, None, "insufficient_funds")]
    assert _text(client.get("/portal/plans?family=chat")) == plans_before
    assert _attempt(page) != form["attempt"]  # paying again is a new payment


def test_a_timeout_leaves_the_plan_unchanged_and_what_was_captured_goes_to_the_balance(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    """The sandbox's timeout card answers unknown, though the charge really succeeded. The
    change is not applied (the customer is told so); the next visit to the payment step asks
    the gateway again with the same key and credits the captured 11,700 to the balance, which
    then pays the change without a card."""
    account = _customer(container, tenant)
    card = _card(container, account, "tok_sandbox_timeout_succeeded")
    csrf = _enter(client, container, account)
    form, _step = _payment_step(client, csrf)
    before = _snapshot(container)

    page = client.post("/portal/plans/chat/pay", data={**form, "pay_with": card})

    assert page.status_code == 202
    assert "We did not get an answer from your card's bank. Your plan was not changed" in (
        _text(page)
    )
    assert _snapshot(container) == before
    assert _payments(container) == [("payment", "unknown", 11700, None, None)]
    assert _invoices(container) == []
    assert _balance(container, account) == 0

    form_again, step = _payment_step(client, csrf)

    assert _payments(container) == [("payment", "succeeded", 11700, None, None)]
    assert _balance(container, account) == 11700
    assert _snapshot(container) == before
    assert "Your balance pays all of it" in _text(step)
    done = client.post(
        "/portal/plans/chat/pay", data={**form_again, "pay_with": "balance"}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, PAID)
    assert _terms(container, account) == ("chat-business", 5)
    assert _balance(container, account) == 0
    assert_ledger_invariants(container.engine)


def test_the_same_payment_form_posted_twice_charges_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    card = _card(container, account, "tok_sandbox_success")
    csrf = _enter(client, container, account)
    form, _step = _payment_step(client, csrf)

    first = client.post(
        "/portal/plans/chat/pay", data={**form, "pay_with": card}, follow_redirects=False
    )
    again = client.post(
        "/portal/plans/chat/pay", data={**form, "pay_with": card}, follow_redirects=False
    )

    assert first.status_code == 303
    # The plan is Business × 5 already: the same change again is refused, nothing is charged.
    assert again.status_code == 422
    assert "That is what the subscription holds already" in _text(again)
    [invoice] = _invoices(container)
    assert _payments(container) == [("payment", "succeeded", 11700, invoice["id"], None)]


def test_a_charge_whose_change_no_longer_applies_is_credited_to_the_balance(
    container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    org = account.organization_id
    card = _card(container, account, "tok_sandbox_success")
    before = _snapshot(container)

    def moved(_uow: object) -> None:
        raise Moved("the figures changed since you reviewed them", code=ec.CONCURRENT_CHANGE)

    paid = pay_by_card(
        container.uow(),
        container.gateway_for(org),
        container.clock.now(),
        org,
        account.id,
        card,
        11700,
        "JPY",
        "attempt-0123456789abcdef",
        moved,
    )

    assert paid.invoice is None and paid.refused is not None
    assert paid.payment is not None and paid.payment.status is PaymentStatus.SUCCEEDED
    assert _snapshot(container) == before
    assert _invoices(container) == []
    assert _payments(container) == [("payment", "succeeded", 11700, None, None)]
    assert _balance(container, account) == 11700
    assert_ledger_invariants(container.engine)


# -- no payment step ---------------------------------------------------------------------


def test_confirm_of_a_change_that_charges_shows_the_payment_step_and_applies_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    reviewed = client.post("/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf})
    before = _snapshot(container)

    page = client.post(
        "/portal/plans/chat/confirm",
        data={**BUSINESS_X5, "csrf_token": csrf, "expect": _expect(reviewed)},
    )

    assert "Continue to payment" in _text(reviewed)
    assert page.status_code == 200
    assert "Pay for your change" in _text(page)
    assert _snapshot(container) == before


def test_a_downgrade_with_a_credit_needs_no_payment(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    org = account.organization_id
    with container.uow() as uow:
        family = uow.families.by_code(org, "chat")
    assert family is not None
    update_family(container.uow(), org, family.id, policy={"seats_down": "now"})
    csrf = _enter(client, container, account)
    fewer = {"plan": "chat-team", "cycle": "month", "quantity": "1", "csrf_token": csrf}
    reviewed = client.post("/portal/plans/chat/review", data=fewer)

    done = client.post(
        "/portal/plans/chat/confirm",
        data={**fewer, "expect": _expect(reviewed)},
        follow_redirects=False,
    )

    assert "Continue to payment" not in _text(reviewed)
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/portal/plans?family=chat&done=changed",
    )
    assert _terms(container, account) == ("chat-team", 1)
    [sub] = _held(container, account)
    assert _pending(container, sub.id) == [-2800, 1400, 5600]  # on the next invoice
    assert _payments(container) == []
    assert _invoices(container) == []


def test_a_payment_form_posted_again_after_a_decline_is_not_charged_again(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    """The form's attempt id is the payment's idempotency key: the same form posted again
    (a reload, a second click) never makes a second payment; the page shown after the
    decline carries a new one."""
    account = _customer(container, tenant)
    card = _card(container, account, "tok_sandbox_do_not_honor")
    csrf = _enter(client, container, account)
    form, _step = _payment_step(client, csrf)
    client.post("/portal/plans/chat/pay", data={**form, "pay_with": card})
    before = (_snapshot(container), _money_rows(container))

    again = client.post("/portal/plans/chat/pay", data={**form, "pay_with": card})

    assert again.status_code == 409
    assert "This payment was sent already" in _text(again)
    assert _payments(container) == [("payment", "failed", 11700, None, "do_not_honor")]
    assert (_snapshot(container), _money_rows(container)) == before


class _Crash(Exception):
    """The process dying between the charge and its record."""


def test_a_crash_after_the_charge_is_settled_by_the_collection_run_onto_the_balance(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _customer(container, tenant)
    org = account.organization_id
    card = _card(container, account, "tok_sandbox_success")
    before = _snapshot(container)

    def crash(_uow: object) -> None:
        raise _Crash

    with pytest.raises(_Crash):
        pay_by_card(
            container.uow(),
            container.gateway_for(org),
            clock.now(),
            org,
            account.id,
            card,
            11700,
            "JPY",
            "attempt-crash-0123456789",
            crash,
        )
    left = _payments(container)
    run_collection(container.uow(), container.gateway_for, clock, org)
    too_young = _payments(container)
    clock.advance(timedelta(minutes=5))
    run_collection(container.uow(), container.gateway_for, clock, org)

    assert left == too_young == [("payment", "pending", 11700, None, None)]
    assert _payments(container) == [("payment", "succeeded", 11700, None, None)]
    assert _balance(container, account) == 11700
    assert _snapshot(container) == before
    assert _invoices(container) == []
    assert_ledger_invariants(container.engine)


def test_a_declined_new_card_is_not_kept(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    form, _step = _payment_step(client, csrf)
    new_card = {"number": "4000 0000 0000 0069", "exp_month": "12", "exp_year": "2030"}

    page = client.post(
        "/portal/plans/chat/pay", data={**form, **new_card, "pay_with": "new_card", "cvc": "123"}
    )

    assert page.status_code == 402
    assert "Your card was declined: " in _text(page)
    assert "0069" not in page.text  # neither kept nor shown
    assert _payments(container) == [("payment", "failed", 11700, None, "expired_card")]
    with container.engine.connect() as connection:
        kept = connection.execute(
            select(t.payment_methods.c.last4).where(t.payment_methods.c.removed_at.is_(None))
        ).all()
    assert kept == []


def test_the_balance_chosen_when_it_no_longer_covers_the_change_is_refused(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    card = _card(container, account, "tok_sandbox_success")
    csrf = _enter(client, container, account)
    form, _step = _payment_step(client, csrf)
    before = (_snapshot(container), _money_rows(container))

    page = client.post("/portal/plans/chat/pay", data={**form, "pay_with": "balance"})

    assert page.status_code == 409
    assert "Your balance no longer covers this change; choose a card" in _text(page)
    assert f'value="{card}" checked' not in page.text  # the balance stays the choice made
    assert (_snapshot(container), _money_rows(container)) == before
    assert _payments(container) == []
