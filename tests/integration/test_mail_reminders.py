"""Trial ending and annual renewal reminders over a real local SMTP server (aiosmtpd), on SQLite
and PostgreSQL, under a sandbox's test clock: each told once, the organization's lead days
before (3 and 7 by default; settable), whatever number of billing runs happen in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.adapters.mail.mailers import SmtpMailer
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.notices.settings import update_notice_settings
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.mail import composer
from tests.integration.mail_support import Mailbox, smtp_server
from tests.integration.payment_scenarios_support import advance, org_clock, sandbox_at

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PLANS: dict[str, dict[str, object]] = {
    "pro": {
        "pricing": "flat",
        "prices": [{"currency": "USD", "cycle": "month", "amount": 5000}],
        "trial_days": 14,
    },
    "yearly": {
        "pricing": "flat",
        "prices": [{"currency": "EUR", "cycle": "year", "amount": 48000}],
    },
}

TRIAL_TEXT = """Hello Kato Ltd,

Your free trial of Pro ends on Jan 28, 2026. {rest}

To change or cancel it, use the customer portal.

Quantity: 1

-- {blank}
Sandbox Payments
You receive this e-mail as a customer of Sandbox Payments.
""".format(blank="", rest="From the day after, the plan is billed to you at its price.")
# ("-- " with its space opens a signature)


def _customer(app: Plansmith, org: str, name: str, email: str, currency: str, locale: str) -> str:
    data = AccountInput(name, email, currency, "UTC", locale)
    return open_account(app.uow(), app.clock, org, data).id


def _step(app: Plansmith, org: str, box: Mailbox, to: datetime) -> int:
    """Advance the test clock to ``to`` (a billing run at each due instant and at ``to``),
    relay, and say how many messages arrived."""
    before = len(box.received)
    advance(app, org, to)
    relay = app.relay([app.notices(composer(app), SmtpMailer(box.host, box.port))])
    relay.run_until_idle()
    relay.stop()  # the next step's relay takes the lease at once (the test clock stands still)
    return len(box.received) - before


def test_a_trial_ending_and_an_annual_renewal_are_each_told_once_ahead(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, PLANS)
    en = _customer(container, org, "Kato Ltd", "billing@example.com", "USD", "en_US")
    de = _customer(container, org, "Müller GmbH", "rechnung@mueller.example", "EUR", "de_DE")
    clock = org_clock(container, org)
    subscribe(container.uow(), clock, org, SubscribeInput(en, "pro"))  # a 14-day trial
    subscribe(container.uow(), clock, org, SubscribeInput(de, "yearly", "year"))
    with smtp_server() as box:
        assert _step(container, org, box, T0) == 1  # the yearly invoice (the trial: nothing)
        assert _step(container, org, box, T0 + 10 * DAY) == 0  # Jan 25: four days to go
        assert _step(container, org, box, T0 + 11 * DAY) == 1  # Jan 26: three days to go
        (trial,) = box.of("trial_ending")
        assert trial.rcpt_tos == ("billing@example.com",)
        assert trial.subject == "Your free trial of Pro ends on Jan 28, 2026"
        assert trial.text() == TRIAL_TEXT
        assert _step(container, org, box, T0 + 12 * DAY) == 0  # told already
        _step(container, org, box, T0 + 14 * DAY)  # the trial converts: its invoice
        assert len(box.of("trial_ending")) == 1

        # The annual plan renews on Jan 15, 2027: told from Jan 8 (7 days), once.
        assert box.of("renewal_coming") == []
        _step(container, org, box, datetime(2027, 1, 7, 9, 0, tzinfo=UTC))
        assert box.of("renewal_coming") == []
        _step(container, org, box, datetime(2027, 1, 8, 9, 0, tzinfo=UTC))
        (renewal,) = box.of("renewal_coming")
        assert renewal.rcpt_tos == ("rechnung@mueller.example",)
        assert renewal.subject == "Your plan Yearly renews on 15.01.2027"  # de_DE's date
        assert 'lang="de-DE"' in renewal.html()
        _step(container, org, box, datetime(2027, 1, 10, 9, 0, tzinfo=UTC))
        assert len(box.of("renewal_coming")) == 1
        assert len(box.of("trial_ending")) == 1


def test_the_lead_days_are_the_organization_s_and_zero_tells_nobody(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, PLANS)
    store = container.notice_store
    update_notice_settings(store, container.clock, org, "", "bcc", trial_days_before=0)
    en = _customer(container, org, "Kato Ltd", "billing@example.com", "USD", "en_US")
    subscribe(container.uow(), org_clock(container, org), org, SubscribeInput(en, "pro"))
    with smtp_server() as box:
        _step(container, org, box, T0 + 13 * DAY)
        assert box.of("trial_ending") == []
        update_notice_settings(store, container.clock, org, "", "bcc", trial_days_before=1)
        assert _step(container, org, box, T0 + 13 * DAY + 60 * timedelta(seconds=1)) == 1
        assert box.of("trial_ending")[0].subject == "Your free trial of Pro ends on Jan 28, 2026"
