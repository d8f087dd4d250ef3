"""The Packages page's pack review and purchase when the account holds a balance and an older
invoice still owes (ADR 0037): the review shows, and the purchase takes, only the balance
beyond what the older invoice owes, the card the rest; the pack's invoice is paid in full.
Over HTTP on both databases."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from plansmith.application.billing.run import run_billing
from plansmith.application.payments.top_ups import top_up
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.integration.payment_scenarios_support import balance
from tests.integration.portal_plans_support import _enter, _text
from tests.integration.portal_usage_support import usage_customer
from tests.integration.test_portal_usage_packs import PACKAGES, _key, _pay, _review
from tests.integration.test_portal_usage_packs import _invoices as _numbers

BEYOND = 500  # what the balance holds beyond the older invoice: $5.00


def test_the_review_and_the_purchase_leave_the_older_invoice_its_share_of_the_balance(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant, used=1200)
    org = account.organization_id
    run_billing(container.uow(), container.clock, org, grace=timedelta(0))
    with container.uow() as uow:
        [older] = uow.invoices.invoices(
            org, account_id=account.id, status="open", after=None, limit=None
        )
    owed = older.totals.amount_due
    assert owed > 0
    gateway = container.gateway_for(org)
    top_up(container.uow(), gateway, container.clock, org, account.id, owed + BEYOND, "USD")
    csrf = _enter(client, container, account)
    key = _key(client.get(PACKAGES))

    review = _review(client, csrf, "2", key)
    done = _pay(client, csrf, "2", key)

    reviewed = _text(review)
    assert "Charged now $40.00" in reviewed
    assert "From your balance \u2212$5.00" in reviewed
    assert "To your card $35.00 · Visa •••• 4242" in reviewed
    assert done.status_code == 303, done.text
    assert len(_numbers(container, account)) == 2
    with container.uow() as uow:
        after = {
            i.id: i
            for i in uow.invoices.invoices(
                org, account_id=account.id, status=None, after=None, limit=None
            )
        }
    pack_invoice = next(i for i in after.values() if i.id != older.id)
    totals = pack_invoice.totals
    assert (pack_invoice.status.value, totals.total, totals.credit_applied, totals.amount_due) == (
        "paid",
        4000,
        BEYOND,
        0,
    )
    assert (after[older.id].status.value, after[older.id].totals.amount_due) == ("open", owed)
    assert balance(container, account.id, "USD") == owed  # the older invoice's, at collection
    assert_ledger_invariants(container.engine)
