"""Usage notices over a real local SMTP server (aiosmtpd), on SQLite and PostgreSQL: an extra
pack bought and an allowance 80 % and 100 % used, each sent once to the billing contact with the
organization's cc copy, in the account's locale; retried batches, the excess past 100 % and an
event handed again send nothing more; a pack raises the allowance and its new 80 % is told."""

from __future__ import annotations

from plansmith.adapters.clock import TestClock
from plansmith.adapters.mail.mailers import SmtpMailer
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.notices.settings import update_notice_settings
from plansmith.application.usage.ingest import ingest
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.mail import composer
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _made, _monthly_plan, _subscribe
from tests.integration.mail_support import Mailbox, smtp_server
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import local_at, seed_catalog

AT = "2026-03-10T12:00:00+09:00"
COPY = "books@operator.example"


def _relay(app: Plansmith, box: Mailbox) -> int:
    before = len(box.received)
    relay = app.relay([app.notices(composer(app), SmtpMailer(box.host, box.port))])
    relay.run_until_idle()
    relay.stop()
    return len(box.received) - before


def _events(org: str, account: str, first: int, count: int) -> list[object]:
    return [
        {"id": f"s-{i}", "account_id": account, "code": "chatbot_sessions", "timestamp": AT}
        for i in range(first, first + count)
    ]


def _send(app: Plansmith, org: str, account: str, first: int, count: int) -> list[str]:
    return [
        a.status for a in ingest(app.uow(), app.clock, org, _events(org, account, first, count))
    ]


def _setup(app: Plansmith, org: str, clock: TestClock, locale: str, email: str) -> tuple[str, str]:
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    plans = {
        "basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 1000, "soft")])
    }
    seed_catalog(app, org, plans=plans, add_ons=False)
    pack(app, org, "sessions_250", "chatbot_sessions", 250, 2500)
    data = AccountInput("Kato Ltd", email, "JPY", TZ, locale)
    acct = open_account(app.uow(), app.clock, org, data).id
    card(app, org, acct)
    update_notice_settings(app.notice_store, app.clock, org, COPY, "cc")
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    assert _made(_bill(app, org)) == (0, 1, 1, 0, 0)
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    return acct, sub_id


def test_80_and_100_percent_and_a_pack_are_each_told_once_in_english(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _setup(container, org, clock, "en_US", "billing@kato.example")
    with smtp_server() as box:
        assert _relay(container, box) == 1  # the first invoice
        assert _send(container, org, acct, 0, 799) == ["accepted"] * 799
        assert _relay(container, box) == 0  # 799 of 1,000: under 80 %
        assert _send(container, org, acct, 799, 1) == ["accepted"]
        assert _relay(container, box) == 1
        (eighty,) = box.of("allowance_reached")
        assert eighty.rcpt_tos == ("billing@kato.example", COPY)
        assert eighty.message["Cc"] == COPY
        assert eighty.subject == "You have used 80 % of your 1,000 Chatbot_Sessions"
        text = eighty.text()
        assert "You have used 800 of your 1,000 Chatbot_Sessions this period (80 %)." in text
        assert "To avoid running out, you can buy an extra pack in the customer portal." in text
        assert "Used: 800 / 1,000" in text
        assert "Period: Mar 1, 2026 \N{EN DASH} Mar 31, 2026" in text
        assert "Buy an extra pack" in eighty.html() and "/portal/" in eighty.html()
        # The same batch retried, and more use short of 100 %: nothing more.
        assert _send(container, org, acct, 799, 1) == ["rejected"]
        assert _send(container, org, acct, 800, 199) == ["accepted"] * 199
        assert _relay(container, box) == 0
        assert _send(container, org, acct, 999, 1) == ["accepted"]
        assert _relay(container, box) == 1
        full = box.of("allowance_reached")[-1]
        assert full.subject == "You have used all 1,000 Chatbot_Sessions of this period"
        assert "You have used 1,000 of your 1,000 Chatbot_Sessions this period (100 %)." in (
            full.text()
        )
        # The excess past 100 % under a soft limit is billed, never told again.
        assert _send(container, org, acct, 1000, 50) == ["accepted"] * 50
        assert _relay(container, box) == 0
        # A pack raises the allowance to 1,250: its receipt, then its own 80 % (1,000) was
        # reached already, told at the next batch; its 100 % when 1,250 are used.
        bought = buy(container, org, sub_id, "sessions_250")
        assert bought.invoice is not None
        assert _relay(container, box) == 3  # the pack's invoice, its payment, the pack bought
        (receipt,) = box.of("pack_bought")
        assert receipt.rcpt_tos == ("billing@kato.example", COPY)
        assert receipt.subject == "Extra pack bought: Sessions 250"
        text = receipt.text()
        assert (
            "Thank you: 250 Chatbot_Sessions of the extra pack Sessions 250 were added to this "
            "period's allowance, for ¥2,500." in text
        )
        assert "Amount charged: ¥2,500" in text
        assert f"Invoice number: {bought.invoice.number}" in text
        assert "Counts in: Mar 1, 2026 \N{EN DASH} Mar 31, 2026" in text
        assert _send(container, org, acct, 1050, 1) == ["accepted"]
        assert _relay(container, box) == 1
        again = box.of("allowance_reached")[-1]
        assert again.subject == "You have used 80 % of your 1,250 Chatbot_Sessions"
        assert _send(container, org, acct, 1051, 199) == ["accepted"] * 199
        assert _relay(container, box) == 1
        assert box.of("allowance_reached")[-1].subject == (
            "You have used all 1,250 Chatbot_Sessions of this period"
        )
        # Every event handed again (a relay that died before recording): nothing is sent.
        assert len(box.of("allowance_reached")) == 4
        with container.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM outbox_deliveries")
        assert _relay(container, box) == 0


def test_the_notices_of_a_japanese_account_are_written_in_its_locale(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _setup(container, org, clock, "ja_JP", "keiri@kato.example")
    with smtp_server() as box:
        _relay(container, box)
        assert _send(container, org, acct, 0, 800) == ["accepted"] * 800
        buy(container, org, sub_id, "sessions_250")
        _relay(container, box)
        (eighty,) = box.of("allowance_reached")
        assert eighty.rcpt_tos == ("keiri@kato.example", COPY)
        assert 'lang="ja-JP"' in eighty.html()
        assert "2026/03/01" in eighty.text() and "2026/03/31" in eighty.text()
        assert "800 / 1,000" in eighty.text()
        (receipt,) = box.of("pack_bought")
        assert receipt.rcpt_tos == ("keiri@kato.example", COPY)
        assert "￥2,500" in receipt.text() or "¥2,500" in receipt.text()
        assert 'lang="ja-JP"' in receipt.html()
