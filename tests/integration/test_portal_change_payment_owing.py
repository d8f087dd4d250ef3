"""The payment step of an upgrade when the account holds a balance and an older invoice still
owes: the older invoice takes the balance first (ADR 0037), as it will at the next
collection run, so the step shows, and the change's invoice takes, only what is left of the
balance beyond it. A top-up waits on the balance until the collection run spreads it, so
this is an ordinary state, not a crash's."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.application.billing.run import run_billing
from plansmith.application.payments.top_ups import top_up
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.integration.portal_plans_support import _customer, _enter, _text
from tests.integration.test_portal_change_payment import (
    PAID,
    _balance,
    _card,
    _invoices,
    _payment_step,
    _payments,
)

FIRST_PERIOD = 5600  # Chat Team, 2 seats, from the subscription to the period's end
UPGRADE = 11700  # to Business with 5 seats, less the unused rest of Team (lines below)
TOPPED_UP = 8000


def test_an_older_invoice_owing_takes_the_balance_before_the_upgrade_shown_and_charged(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    org = account.organization_id
    run_billing(container.uow(), container.clock, org, grace=timedelta(0))
    [older] = _invoices(container)
    assert (older["status"], older["amount_due"]) == ("open", FIRST_PERIOD)
    card = _card(container, account, "tok_sandbox_success")
    gateway = container.gateway_for(org)
    top_up(container.uow(), gateway, container.clock, org, account.id, TOPPED_UP, "JPY")
    assert _balance(container, account) == TOPPED_UP
    csrf = _enter(client, container, account)
    form, step = _payment_step(client, csrf)

    done = client.post(
        "/portal/plans/chat/pay", data={**form, "pay_with": card}, follow_redirects=False
    )

    left = TOPPED_UP - FIRST_PERIOD  # what the older invoice leaves of the balance: 2,400
    assert f"From your balance \u2212￥{left:,} To pay now ￥{UPGRADE - left:,}" in _text(step)
    assert f"Pay ￥{UPGRADE - left:,}" in _text(step)
    assert (done.status_code, done.headers["location"]) == (303, PAID)
    older_after, upgrade = sorted(_invoices(container), key=lambda i: str(i["number"]))
    assert (older_after["status"], older_after["amount_due"]) == ("open", FIRST_PERIOD)
    assert (upgrade["status"], upgrade["total"], upgrade["credit_applied"]) == (
        "paid",
        UPGRADE,
        left,
    )
    assert sorted(_payments(container)) == [
        ("payment", "succeeded", UPGRADE - left, upgrade["id"], None),
        ("top_up", "succeeded", TOPPED_UP, None, None),
    ]
    assert _balance(container, account) == FIRST_PERIOD  # the older invoice's, at collection
    assert_ledger_invariants(container.engine)
