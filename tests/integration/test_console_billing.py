"""The console's billing screens over HTTP: invoices by status, Finalize / Void / Mark paid
(each refusal a 409 with the reason, nothing changed), the billing runs and Run now. The
customer and the figures are described in tests/integration/invoice_pages.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.application.invoicing.invoices import mark_paid
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.entrypoints.webui.i18n import translate
from tests.conftest import Tenant
from tests.integration.invoice_pages import (
    act,
    billed_customer,
    catalog,
    csrf,
    draft_invoice,
    open_customer,
    pdf_text,
    sign_in_console,
    snapshot,
    status_of,
    text_of,
)


def test_console_lists_invoices_filtered_by_status(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    mark_paid(container.uow(), container.clock, tenant.organization_id, billed.first.id)

    every = text_of(client.get("/console/invoices"))
    paid = client.get("/console/invoices?status=paid")
    wrong = client.get("/console/invoices?status=settled")

    assert "INV-000001 " in every and "INV-000002 " in every
    assert "Acme Chat" in every and "¥17,003 Unpaid" in every  # one name per state (issue 13)
    assert billed.first.id in paid.text and billed.second.id not in paid.text
    assert "¥6,160 Paid" in text_of(paid)
    assert wrong.status_code == 422
    assert "'settled' is not an invoice status" in text_of(wrong)


def test_console_finalizes_a_draft_and_refuses_to_finalize_it_twice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    draft = draft_invoice(container, tenant)
    sign_in_console(client, container, tenant)
    page = client.get(f"/console/invoices/{draft.id}")
    assert "Draft invoice" in text_of(page) and ">Finalize</button>" in page.text
    stale = csrf(page)  # the draft's page, still open in another tab

    done = act(client, draft, "finalize")
    shown = client.get(done.headers["location"])
    before = snapshot(container)
    again = client.post(
        f"/console/invoices/{draft.id}/finalize",
        data={"csrf_token": stale},
        follow_redirects=False,
    )

    assert done.status_code == 303
    assert "Finalized: the invoice is numbered" in text_of(shown)
    assert "Invoice INV-000001" in text_of(shown) and ">Finalize</button>" not in shown.text
    assert status_of(container, tenant, draft) is InvoiceStatus.OPEN
    assert again.status_code == 409
    assert "an open invoice cannot become open; it is finalized already" in text_of(again)
    assert snapshot(container) == before


def test_console_marks_paid_then_refuses_to_void_the_paid_invoice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)

    paid = act(client, billed.first, "mark-paid")
    before = snapshot(container)
    void = act(client, billed.first, "void")

    assert paid.status_code == 303
    assert status_of(container, tenant, billed.first) is InvoiceStatus.PAID
    assert void.status_code == 409
    text = text_of(void)
    assert (
        "a paid invoice cannot become void; a paid invoice is corrected with a credit note" in text
    )
    assert "Invoice INV-000001 Paid" in text  # the invoice, shown again as it is
    assert snapshot(container) == before


def test_console_voids_an_open_invoice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)

    voided = act(client, billed.second, "void")
    shown = text_of(client.get(voided.headers["location"]))
    pdf = client.get(f"/console/invoices/{billed.second.id}.pdf")

    assert voided.status_code == 303
    assert status_of(container, tenant, billed.second) is InvoiceStatus.VOID
    assert "Voided: nothing is owed" in shown and "Invoice INV-000002 Void" in shown
    assert "This invoice was voided on 2026/03/03: nothing is owed on it." in shown
    assert "Amount due" not in shown
    # The PDF is the customer's, in the account's language (ja_JP).
    voided_note = translate("ja", "This invoice was voided on %(date)s: nothing is owed on it.")
    assert pdf.status_code == 200
    assert voided_note % {"date": "2026/03/03"} in pdf_text(pdf.content)


def test_console_action_without_the_form_token_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    draft = draft_invoice(container, tenant)
    sign_in_console(client, container, tenant)
    before = snapshot(container)

    forged = client.post(f"/console/invoices/{draft.id}/finalize", data={"csrf_token": "x"})

    assert forged.status_code == 403
    assert snapshot(container) == before


def test_console_run_now_bills_once_and_lists_the_runs(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    account = open_customer(container, org)
    subscribe(container.uow(), container.clock, org, SubscribeInput(account.id, "chat-team"))
    sign_in_console(client, container, tenant)
    token = csrf(client.get("/console/billing-runs"))

    first = client.post("/console/billing-runs", data={"csrf_token": token}, follow_redirects=False)
    first_page = text_of(client.get(first.headers["location"]))
    second = client.post("/console/billing-runs", data={"csrf_token": token})

    assert first.status_code == 303
    # The container's 60-minute grace: the invoice is made as a draft, not finalized yet.
    summary = "Billing run finished: 0 renewed, 1 invoiced, 0 finalized, 0 skipped. No errors."
    assert summary in first_page
    assert second.status_code == 200  # followed to the runs page
    assert "Billing run finished: 0 renewed, 0 invoiced, 0 finalized" in text_of(second)
    with container.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(t.invoices)).scalar_one()
        runs = connection.execute(select(func.count()).select_from(t.billing_runs)).scalar_one()
    assert (count, runs) == (1, 2)  # running again made nothing new
    assert second.text.count('<tr id="run_') == 2


def test_console_run_now_without_the_form_token_runs_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    account = open_customer(container, org)
    subscribe(container.uow(), container.clock, org, SubscribeInput(account.id, "chat-team"))
    sign_in_console(client, container, tenant)
    before = snapshot(container)

    forged = client.post("/console/billing-runs", data={"csrf_token": "forged"})

    assert forged.status_code == 403
    assert snapshot(container) == before


@pytest.mark.parametrize("action", ["finalize", "void", "mark-paid"])
def test_console_action_on_another_organizations_invoice_is_not_found(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    other_tenant: Tenant,
    action: str,
) -> None:
    theirs = draft_invoice(container, other_tenant)
    sign_in_console(client, container, tenant)
    token = csrf(client.get("/console/invoices"))
    before = snapshot(container)

    answer = client.post(f"/console/invoices/{theirs.id}/{action}", data={"csrf_token": token})

    assert answer.status_code == 404
    assert snapshot(container) == before
