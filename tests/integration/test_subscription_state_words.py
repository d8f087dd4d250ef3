"""One word per subscription state wherever people read it (webui/words.py), on SQLite and
PostgreSQL: a canceled plan is called the same in the portal's plan history, the console's
customer page (the note beside its badge) and the console's list of subscriptions (its row and
its filter), in English and in Japanese."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from plansmith.application.subscriptions import actions
from plansmith.bootstrap import Plansmith
from plansmith.domain.subscriptions.subscription import Status
from plansmith.entrypoints.webui.i18n import COOKIE, translate
from plansmith.entrypoints.webui.words import HISTORY_WORDS, SUBSCRIPTION_STATES
from tests.conftest import Tenant
from tests.integration.portal_plans_support import _customer, _enter, _held
from tests.integration.revenue_scenario_support import sign_in_console


def test_every_state_has_one_word_and_history_rows_use_the_same() -> None:
    assert set(SUBSCRIPTION_STATES) == set(Status)
    for history, status in (
        ("trial", Status.TRIALING),
        ("active", Status.ACTIVE),
        ("paused", Status.PAUSED),
        ("canceled", Status.CANCELED),
        ("expired", Status.EXPIRED),
    ):
        assert HISTORY_WORDS[history] == SUBSCRIPTION_STATES[status]


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _words_shown(client: TestClient, account_id: str, sub_id: str) -> dict[str, str]:
    """The word each place shows for the canceled subscription."""
    shown = {}
    portal = client.get("/portal/plans?family=chat").text
    row = re.search(r'<span class="badge history-canceled">(.*?)</span>', portal, re.S)
    assert row, "no canceled row in the portal's history"
    shown["portal history"] = _clean(row.group(1))

    customer = client.get(f"/console/customers/{account_id}").text
    note = re.search(
        r'<span class="badge status-[\w-]+">[^<]*</span><br><span class="muted small">(.*?)</span>',
        customer,
        re.S,
    )
    assert note, "no status note on the console's customer page"
    shown["console note"] = _clean(note.group(1))

    listing = client.get("/console/subscriptions").text
    row = re.search(rf'<tr id="{sub_id}"[^>]*>(.*?)</tr>', listing, re.S)
    assert row, "the subscription is not listed"
    cells = re.findall(r"<td[^>]*><div>(.*?)</div></td>", row.group(1), re.S)
    shown["console list"] = _clean(cells[3].split("<br>")[0])
    option = re.search(r'<option value="canceled"[^>]*>(.*?)</option>', listing, re.S)
    assert option, "no canceled filter"
    shown["console filter"] = _clean(option.group(1))
    return shown


def test_a_canceled_plan_has_one_name_in_the_portal_and_the_console(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    _enter(client, container, account)  # a portal session (English chosen)
    (sub,) = _held(container, account)
    actions.cancel_subscription(
        container.uow(), container.clock, tenant.organization_id, sub.id, "now"
    )
    sign_in_console(client, container, tenant)

    for language in ("en", "ja"):
        client.cookies.set(COOKIE, language)
        shown = _words_shown(client, account.id, sub.id)
        word = translate(language, SUBSCRIPTION_STATES[Status.CANCELED])
        assert shown == dict.fromkeys(shown, word), language
