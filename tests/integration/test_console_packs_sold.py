"""The console's packs sold, on SQLite and PostgreSQL: every pack bought by the organization's
customers with its date, customer, units, amount, status and invoice, filtered by pack and by
the month its period starts in; a bad month names its field; another organization's packs
never show."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.organizations.organizations import create_operator
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _monthly_plan, _subscribe
from tests.integration.invoice_pages import PASSWORD
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import local_at, new_account, seed_catalog


def _signed_in(client: TestClient, app: Plansmith, org: str, email: str) -> None:
    create_operator(app.uow(), app.clock, org, email, PASSWORD)
    data = {"email": email, "password": PASSWORD}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303


def _rows(html: str) -> int:
    return html.count('<tr id="pack-')


def test_packs_sold_lists_each_purchase_and_filters_by_pack_and_period(
    container: Plansmith, client: TestClient, tenant: Tenant, other_tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(container, org, "chatbot_sessions")
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "soft")])}
    seed_catalog(container, org, plans=plans, add_ons=False)
    pack(container, org, "sessions_5", "chatbot_sessions", 5, 500)
    pack(container, org, "sessions_50", "chatbot_sessions", 50, 4000)
    acct = new_account(container, org, "JPY", TZ, "Kato Ltd")
    card(container, org, acct)
    declined = new_account(container, org, "JPY", TZ, "Sato KK")
    card(container, org, declined, "tok_sandbox_insufficient_funds")
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    other_sub = _subscribe(container, org, declined, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    march = buy(container, org, sub_id, "sessions_5", 2)
    buy(container, org, other_sub, "sessions_50")  # declined: listed as failed, no invoice
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    _bill(container, org)
    clock.set(local_at(D(2026, 4, 3), TZ, 9))
    april = buy(container, org, sub_id, "sessions_50")
    assert march.invoice is not None and april.invoice is not None
    _signed_in(client, container, org, "ops@operator.example")

    page = client.get("/console/payments/packs")
    assert page.status_code == 200
    assert _rows(page.text) == 3
    assert page.text.index(april.purchase.id) < page.text.index(march.purchase.id)  # newest first
    row = page.text[page.text.index(f'<tr id="pack-{march.purchase.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Kato Ltd" in row and "Sessions 5" in row and "× 2" in row
    assert "10</bdi>" in row and "¥1,000" in row and "Paid" in row
    assert f"/console/invoices/{march.invoice.id}" in row and str(march.invoice.number) in row
    assert "Sato KK" in page.text and "Failed" in page.text
    assert 'aria-current="page">Packs sold' in page.text

    by_pack = client.get("/console/payments/packs?pack=sessions_50")
    assert _rows(by_pack.text) == 2 and march.purchase.id not in by_pack.text
    in_april = client.get("/console/payments/packs?pack=sessions_50&period=2026-04")
    assert _rows(in_april.text) == 1 and april.purchase.id in in_april.text
    none = client.get("/console/payments/packs?period=2025-01")
    assert _rows(none.text) == 0 and "No packs match." in none.text

    bad = client.get("/console/payments/packs?period=March")
    assert bad.status_code == 422
    assert "is not a month; write it as YYYY-MM" in bad.text

    # Another organization's operator sees none of them.
    client.post("/console/logout", data={}, follow_redirects=False)
    client.cookies.clear()
    _signed_in(client, container, other_tenant.organization_id, "ops@other.example")
    theirs = client.get("/console/payments/packs")
    assert theirs.status_code == 200 and _rows(theirs.text) == 0
    assert "No packs sold yet." in theirs.text
