"""The console's e-mail notice pages, on SQLite and PostgreSQL: a customer's sent mail, one
opened to read as sent, another organization's notice absent; the notice settings form, a
refused address naming its field and changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

from plansmith.adapters.mail.mailers import EmlFolderMailer
from plansmith.application.notices.ports import NoticeSettings
from plansmith.application.organizations.organizations import create_operator
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.mail import composer
from plansmith.entrypoints.webui.mail.reading import message_key
from tests.integration.invoice_pages import PASSWORD, csrf
from tests.integration.payment_scenarios_support import (
    advance,
    customer,
    monthly,
    sandbox_at,
    subscribed,
)

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def _signed_in(client: TestClient, container: Plansmith, org: str) -> None:
    email = "ops@operator.example"
    create_operator(container.uow(), container.clock, org, email, PASSWORD)
    data = {"email": email, "password": PASSWORD}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303


def test_the_sent_mail_of_a_customer_lists_and_opens_each_notice(
    container: Plansmith, client: TestClient, tmp_path: Path
) -> None:
    org = sandbox_at(container, T0, {"basic": monthly({"USD": 3100})})
    account = customer(container, org, "USD", "UTC", "tok_sandbox_success")
    subscribed(container, org, account, "basic")
    advance(container, org, T0)
    notices = container.notices(composer(container), EmlFolderMailer(tmp_path))
    container.relay([notices]).run_until_idle()
    _signed_in(client, container, org)

    page = client.get(f"/console/customers/{account}/mail")
    assert page.status_code == 200
    assert "Invoice INV-000001: $31.00" in page.text
    assert "Payment of $31.00 received" in page.text
    (sent, _) = sorted(container.notice_store.sent_to(org, account, 10), key=lambda n: n.key.kind)
    opened = client.get(f"/console/customers/{account}/mail?message={quote(message_key(sent))}")
    assert opened.status_code == 200
    assert "Your invoice is attached to this e-mail as a PDF." in opened.text
    assert "INV-000001.pdf" in opened.text and "billing@example.com" in opened.text
    missing = client.get(f"/console/customers/{account}/mail?message=nothing@here")
    assert missing.status_code == 404


def test_the_notice_settings_form_saves_and_refuses(
    container: Plansmith, client: TestClient
) -> None:
    org = sandbox_at(container, T0, {"basic": monthly({"USD": 3100})})
    _signed_in(client, container, org)
    token = csrf(client.get("/console/settings/notices"))
    form = {
        "copy_address": "service@operator.example",
        "copy_mode": "cc",
        "trial_days_before": "5",
        "renewal_days_before": "7",
        "csrf_token": token,
    }
    saved = client.post("/console/settings/notices", data=form)
    assert saved.status_code == 200 and "Saved: every notice" in saved.text
    bad = client.post("/console/settings/notices", data={**form, "copy_address": "not an address"})
    assert bad.status_code == 422 and "Nothing was saved" in bad.text
    days = client.post("/console/settings/notices", data={**form, "renewal_days_before": "a week"})
    assert days.status_code == 422 and 'id="notice-renewal_days_before-error"' in days.text
    saved_now = NoticeSettings("service@operator.example", "cc", 5, 7)
    assert container.notice_store.settings(org) == saved_now
