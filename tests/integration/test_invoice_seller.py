"""A finalized invoice keeps its seller (review item MUST 5): the name, address and tax id it
was issued with stay on its page, its PDF and its API answer after the Settings change; a
draft, a later invoice and the upcoming invoice show the settings as they are now. Finalized
by every path: the billing run without a grace period (the bulk write), the run after a
draft's grace (one draft at a time, the seller read once per organization), and the operator's
Finalize. Invoices finalized before migration 0016 get the seller as it stands when it runs.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.migrate import downgrade, upgrade
from plansmith.application.billing.run import run_billing
from plansmith.application.invoicing.invoices import finalize_invoice
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from tests.conftest import Tenant
from tests.integration.invoice_pages import (
    NO_GRACE,
    PASSWORD,
    billed_customer,
    draft_invoice,
    enter_portal,
    invoices_of,
    pdf_text,
    sign_in_console,
)

SETTINGS = "/v1/organization/settings"
FIRST = {
    "display_name": "Demo SaaS K.K.",
    "tax_id": "T1234567890123",
    "seller_address": {
        "lines": ["1-2-3 Marunouchi"],
        "city": "Chiyoda-ku",
        "postal_code": "100-0005",
        "country": "JP",
    },
}
SECOND = {
    "display_name": "Renamed GmbH",
    "tax_id": "DE999999999",
    "seller_address": {
        "lines": ["Unter den Linden 1"],
        "city": "Berlin",
        "postal_code": "10117",
        "country": "DE",
    },
}


def _settings(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> None:
    answer = client.post(SETTINGS, json=body, headers=tenant.headers)
    assert answer.status_code == 200, answer.text


def _seller_block(page_html: str) -> str:
    """The text of the document's first party: the seller ("From")."""
    found = re.search(r'<section class="party">(.*?)</section>', page_html, re.S)
    assert found, "no seller on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _shown(client: TestClient, tenant: Tenant, invoice: Invoice) -> dict[str, Any]:
    """The invoice as every reader shows it: console page, portal page, PDF, API."""
    api = client.get(f"/v1/invoices/{invoice.id}", headers=tenant.headers)
    assert api.status_code == 200, api.text
    console = client.get(f"/console/invoices/{invoice.id}")
    portal = client.get(f"/portal/invoices/{invoice.id}")
    pdf = client.get(f"/portal/invoices/{invoice.id}.pdf")
    assert console.status_code == portal.status_code == pdf.status_code == 200
    return {
        "api": api.json(),
        "console": _seller_block(console.text),
        "portal": _seller_block(portal.text),
        "pdf": pdf_text(pdf.content),
    }


def _signed_in(client: TestClient, container: Plansmith, tenant: Tenant, account: Any) -> None:
    sign_in_console(client, container, tenant)
    enter_portal(client, container, account)


def test_a_finalized_invoice_keeps_its_seller_when_the_settings_change(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _settings(client, tenant, FIRST)
    billed = billed_customer(container, tenant)  # two invoices, finalized by the bulk write
    _signed_in(client, container, tenant, billed.account)
    before = _shown(client, tenant, billed.first)
    assert "Demo SaaS K.K." in before["console"] and "T1234567890123" in before["portal"]
    assert "Chiyoda-ku" in before["pdf"]
    assert before["api"]["seller"] == {
        "name": "Demo SaaS K.K.",
        "address": FIRST["seller_address"],
        "tax_id": "T1234567890123",
    }

    _settings(client, tenant, SECOND)

    after = _shown(client, tenant, billed.first)
    assert after == before
    assert "Renamed GmbH" not in after["pdf"] and "Berlin" not in after["console"]
    # The next invoice is issued by the seller as the settings are now.
    clock.advance(timedelta(days=31))
    run_billing(container.uow(), clock, tenant.organization_id, grace=NO_GRACE)
    newest = invoices_of(container, tenant.organization_id, billed.account)[-1]
    enter_portal(client, container, billed.account)  # a month on: the sessions have expired
    login = {"email": "ops@acme.example", "password": PASSWORD}
    assert client.post("/console/login", data=login, follow_redirects=False).status_code == 303
    assert newest.number == "INV-000003"
    new = _shown(client, tenant, newest)
    assert "Renamed GmbH" in new["console"] and "DE999999999" in new["portal"]
    assert "Berlin" in new["pdf"] and "Demo SaaS K.K." not in new["pdf"]
    assert new["api"]["seller"]["name"] == "Renamed GmbH"
    # The upcoming invoice shows the settings as they are now.
    upcoming = client.get("/portal/invoices")
    assert "Renamed GmbH" in upcoming.text


def test_a_draft_shows_the_current_seller_and_keeps_the_one_it_is_finalized_with(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _settings(client, tenant, FIRST)
    draft = draft_invoice(container, tenant)
    sign_in_console(client, container, tenant)
    _settings(client, tenant, SECOND)
    page = client.get(f"/console/invoices/{draft.id}")
    assert "Renamed GmbH" in _seller_block(page.text)  # a draft: the settings now
    assert client.get(f"/v1/invoices/{draft.id}", headers=tenant.headers).json()["seller"][
        "name"
    ] == ("Renamed GmbH")

    finalize_invoice(container.uow(), container.clock, tenant.organization_id, draft.id)
    _settings(client, tenant, FIRST)

    final = client.get(f"/console/invoices/{draft.id}")
    assert "Renamed GmbH" in _seller_block(final.text)
    assert "Demo SaaS K.K." not in _seller_block(final.text)
    api = client.get(f"/v1/invoices/{draft.id}", headers=tenant.headers).json()
    assert api["status"] == "open" and api["seller"]["tax_id"] == "DE999999999"


def test_drafts_finalized_after_their_grace_keep_the_seller_of_that_moment(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _settings(client, tenant, FIRST)
    draft = draft_invoice(container, tenant)
    _settings(client, tenant, SECOND)
    clock.advance(timedelta(hours=2))  # past the draft's grace: the run finalizes it

    run_billing(container.uow(), clock, tenant.organization_id, grace=timedelta(hours=1))
    _settings(client, tenant, {"display_name": "Third Name", "tax_id": ""})

    got = client.get(f"/v1/invoices/{draft.id}", headers=tenant.headers).json()
    assert got["status"] == "open"
    assert got["seller"] == {
        "name": "Renamed GmbH",
        "address": SECOND["seller_address"],
        "tax_id": "DE999999999",
    }
    listed = client.get("/v1/invoices", headers=tenant.headers).json()["data"]
    assert [i["seller"]["name"] for i in listed] == ["Renamed GmbH"]


def _kept(container: Plansmith) -> dict[str, Any]:
    inv = t.invoices.c
    with container.engine.connect() as connection:
        return dict(connection.execute(select(inv.id, inv.seller)).all())


def test_migration_0016_gives_finalized_invoices_the_seller_as_it_stands(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _settings(client, tenant, FIRST)
    billed = billed_customer(container, tenant)
    clock.advance(timedelta(days=31))  # and a draft beside them, in its grace period
    run_billing(container.uow(), clock, tenant.organization_id, grace=timedelta(hours=1))
    draft = invoices_of(container, tenant.organization_id, billed.account)[-1]
    assert draft.status is InvoiceStatus.DRAFT
    _settings(client, tenant, SECOND)

    downgrade(container.engine, "0015_sandbox_owners")
    upgrade(container.engine)

    kept = _kept(container)
    assert kept[draft.id] is None
    assert (
        kept[billed.first.id]
        == kept[billed.second.id]
        == {
            "name": "Renamed GmbH",
            "address": SECOND["seller_address"],
            "tax_id": "DE999999999",
        }
    )
    got = client.get(f"/v1/invoices/{billed.first.id}", headers=tenant.headers).json()
    assert got["seller"]["name"] == "Renamed GmbH"
