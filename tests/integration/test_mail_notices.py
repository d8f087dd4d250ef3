"""E-mail notices over a real local SMTP server (aiosmtpd), on SQLite and PostgreSQL: fourteen
months of a sandbox's test clock for two customers (one English with a card that declines once,
one Japanese), a price change published to existing customers, and what each mailbox got."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.adapters.mail.mailers import EmlFolderMailer, SmtpMailer
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plans import edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.notices.ports import NoticeSettings
from plansmith.application.notices.settings import update_notice_settings
from plansmith.application.payments import methods
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.webui.i18n import translate
from plansmith.entrypoints.webui.mail import composer
from tests.integration.mail_support import Mailbox, smtp_server
from tests.integration.payment_scenarios_support import (
    advance,
    customer,
    gateway,
    invoices,
    monthly,
    org_clock,
    sandbox_at,
    subscribed,
)

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
COPY = "service@operator.example"
EN, JA = "billing@example.com", "keiri@sato.example"
PLANS = {"basic": monthly({"USD": 3100, "JPY": 1200})}
RAISED = [
    {"currency": "USD", "cycle": "month", "amount": 3500},
    {"currency": "JPY", "cycle": "month", "amount": 1400},
]

PLAN_CHANGE_TEXT = """Hello Kato Ltd,

We are changing the terms of your plan Basic.

The new terms apply from your renewal on Apr 15, 2026.

Price now: $31.00 (Monthly)
New price: $35.00 (Monthly)
Takes effect: Apr 15, 2026

-- {blank}
Sandbox Payments
You receive this e-mail as a customer of Sandbox Payments.
""".format(blank="")  # "-- " (with its space) opens a signature


def _setup(app: Plansmith) -> tuple[str, str, str]:
    org = sandbox_at(app, T0, PLANS)
    update_notice_settings(app.notice_store, app.clock, org, COPY, "cc")
    en = customer(app, org, "USD", "UTC", "tok_sandbox_declines_1")
    data = AccountInput("Sato KK", JA, "JPY", "Asia/Tokyo", "ja_JP")
    ja = open_account(app.uow(), app.clock, org, data).id
    clock = org_clock(app, org)
    methods.add_card(app.uow(), gateway(app, org), clock, org, ja, source="tok_sandbox_success")
    subscribed(app, org, en, "basic")
    subscribed(app, org, ja, "basic")
    return org, en, ja


def _fourteen_months(app: Plansmith, org: str, box: Mailbox) -> None:
    relay = app.relay([app.notices(composer(app), SmtpMailer(box.host, box.port))])
    at = T0
    for month in range(14):
        advance(app, org, at)
        relay.run_until_idle()
        if month == 2:  # in March, the price rises for everyone at their next renewal
            with app.uow() as uow:
                plan = uow.plans.by_code(org, "basic")
            assert plan is not None
            clock = org_clock(app, org)
            edit_plan(app.uow(), clock, org, plan.id, terms={"prices": RAISED})
            publish_plan(app.uow(), clock, org, plan.id, "at_renewal")
            relay.run_until_idle()
        at += timedelta(days=31)


def _events(app: Plansmith) -> list[PublishedEvent]:
    from plansmith.adapters.db.events.outbox import published

    with app.engine.connect() as connection:
        rows = connection.execute(select(t.outbox_events).order_by(t.outbox_events.c.seq))
        return [published(r) for r in rows.mappings()]


def test_fourteen_months_of_notices_reach_each_mailbox_once(
    container: Plansmith, client: TestClient
) -> None:
    org, en, ja = _setup(container)
    with smtp_server() as box:
        _fourteen_months(container, org, box)
        received = list(box.received)

        # Every message: from the operator, to the account's contact, the copy address in cc.
        assert received
        for r in received:
            assert r.mail_from == container.settings.mail_from
            assert r.rcpt_tos[1:] == (COPY,) and r.message["Cc"] == COPY
            assert r.rcpt_tos[0] in (EN, JA) and r.message["To"] == r.rcpt_tos[0]
            assert str(r.message["From"]).startswith("Sandbox Payments <")
        assert len({r.message_id for r in received}) == len(received)

        # The price change: one notice each, before the renewal it takes effect at.
        (change,) = box.of("plan_change_ahead", EN)
        assert change.subject == "Your plan Basic changes on Apr 15, 2026"
        assert change.text() == PLAN_CHANGE_TEXT
        (change_ja,) = box.of("plan_change_ahead", JA)
        assert "￥1,200" in change_ja.text() and "￥1,400" in change_ja.text()
        assert "2026/04/15" in change_ja.subject

        # An invoice notice for every invoice, its PDF attached.
        issued = [i for i in invoices(container, org) if i.number is not None]
        assert len(issued) == 28  # 14 months, two customers
        for invoice in issued:
            to = EN if invoice.account_id == en else JA
            (notice,) = [
                r for r in box.of("invoice_issued", to) if str(invoice.number) in r.subject
            ]
            ((name, kind, data),) = notice.attachments()
            assert (name, kind, data[:5]) == (f"{invoice.number}.pdf", "application/pdf", b"%PDF-")

        # In the account's locale: Japanese labels, yen and dates as ja_JP writes them.
        number = min(str(i.number) for i in issued if i.account_id == ja)
        (first_ja,) = [r for r in box.of("invoice_issued", JA) if number in r.subject]
        assert first_ja.subject == translate("ja", "Invoice %(number)s: %(amount)s") % {
            "number": number,
            "amount": "￥1,200",
        }
        assert f"請求書番号: {number}\n合計: ￥1,200\n請求額: ￥1,200\n" in first_ja.text()
        assert "期間: 2026/01/15 \N{EN DASH} 2026/02/14" in first_ja.text()
        assert 'lang="ja-JP"' in first_ja.html()

        # The card declined once, then paid: one failure notice with a pay link, then receipts.
        (failed,) = box.of("payment_failed")
        assert failed.rcpt_tos[0] == EN
        assert failed.subject == "Your payment of $31.00 failed"
        text = failed.text()
        assert "We could not collect your payment of $31.00." in text
        assert "Reason: Your card has insufficient funds." in text
        link = text.split("Pay now: ", 1)[1].split()[0]
        assert link.startswith("http://testserver/portal/enter?token=")
        entered = client.get(link.removeprefix("http://testserver"), follow_redirects=False)
        assert (entered.status_code, entered.headers["location"]) == (303, "/portal/")
        receipts = box.of("payment_received", EN)
        assert len(receipts) == 14
        assert receipts[0].subject == "Payment of $31.00 received"
        assert receipts[-1].subject == "Payment of $35.00 received"
        assert len(box.of("payment_received", JA)) == 14

        # Handed every event again (a relay that died before recording): nothing more is sent.
        notices = container.notices(composer(container), SmtpMailer(box.host, box.port))
        for event in _events(container):
            notices.handle(event)
        assert container.relay([notices]).run_until_idle() == 0
        assert len(box.received) == len(received)

    with container.engine.connect() as connection:
        rows = connection.execute(select(t.sent_notices.c.status)).scalars().all()
    assert rows == ["sent"] * len(received)


def test_with_no_smtp_host_each_notice_is_an_eml_file(
    container: Plansmith, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert container.settings.smtp_host is None
    assert container.mailer() == EmlFolderMailer(Path("var/mail"))  # the embedded default
    org = sandbox_at(container, T0, PLANS)
    update_notice_settings(container.notice_store, container.clock, org, COPY, "bcc")
    en = customer(container, org, "USD", "UTC", "tok_sandbox_success")
    subscribed(container, org, en, "basic")
    advance(container, org, T0)
    folder = tmp_path / "mail"
    notices = container.notices(composer(container), EmlFolderMailer(folder))
    with caplog.at_level(logging.INFO, logger="plansmith.mail"):
        container.relay([notices]).run_until_idle()

    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2  # INV-000001 issued, its payment received
    written = [f.read_bytes().decode() for f in files]
    assert sorted(f"notice written to {f}" for f in files) == sorted(
        r.getMessage() for r in caplog.records
    )
    for content in written:
        # A bcc is in the envelope only, never in a header.
        assert content.startswith(f"X-Envelope-To: {EN}\r\nX-Envelope-To: {COPY}\r\n")
        assert "\nCc:" not in content and COPY not in content.split("\r\n\r\n", 1)[1]
    assert any("Subject: Invoice INV-000001: $31.00" in c for c in written)


def test_a_copy_address_that_is_not_one_is_refused_and_nothing_changes(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, PLANS)
    store, clock = container.notice_store, container.clock
    update_notice_settings(store, clock, org, COPY, "cc")
    with pytest.raises(DomainError) as bad_address:
        update_notice_settings(store, clock, org, "service@", "bcc")
    with pytest.raises(DomainError) as bad_mode:
        update_notice_settings(store, clock, org, COPY, "to")
    assert (bad_address.value.field, bad_mode.value.field) == ("copy_address", "copy_mode")
    assert store.settings(org) == NoticeSettings(COPY, "cc")
    update_notice_settings(store, clock, org, "", "bcc")
    assert store.settings(org) == NoticeSettings("", "bcc")
