"""The Packages page's allowance bars and extra packs (issue 15 points 6 and 7) over HTTP on
both databases: the bar's figures, buying a pack (reviewed, paid, active at once and the bar
moved), a declined card adding nothing, a double submit charging once, and a bad quantity
said beside its field with nothing bought."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.application.payments.pack_purchases import packs_of
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant
from tests.integration.portal_plans_support import _enter, _held, _text
from tests.integration.portal_usage_support import PACK, usage_customer
from tests.integration.usage_packs_support import standing

PACKAGES = "/portal/plans/chat/packages"


def _key(page: Response) -> str:
    match = re.search(r'name="request_key" value="([^"]+)"', page.text)
    assert match, "no request key on the form"
    return match.group(1)


def _review(client: TestClient, csrf: str, quantity: str = "1", key: str = "k1") -> Response:
    data = {"csrf_token": csrf, "pack": PACK, "quantity": quantity, "request_key": key}
    page: Response = client.post(f"{PACKAGES[:-9]}/packs/review", data=data)
    return page


def _pay(client: TestClient, csrf: str, quantity: str = "1", key: str = "k1") -> Response:
    data = {"csrf_token": csrf, "pack": PACK, "quantity": quantity, "request_key": key}
    page: Response = client.post(f"{PACKAGES[:-9]}/packs/pay", data=data, follow_redirects=False)
    return page


def _sessions(app: Plansmith, tenant: Tenant, account: Account) -> tuple[object, ...]:
    [sub] = _held(app, account)
    return standing(app, tenant.organization_id, sub.id)["chatbot_sessions"]


def test_the_bar_shows_used_of_included_what_is_left_and_when_it_resets(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant, used=1200)
    _enter(client, container, account)

    page = client.get(PACKAGES)
    text = _text(page)

    assert page.status_code == 200
    bar = re.search(r'<meter id="bar-chatbot_sessions"[^>]*>', page.text)
    assert bar is not None
    assert 'min="0"' in bar.group(0) and 'max="5000"' in bar.group(0)
    assert 'value="1200"' in bar.group(0)
    assert "chatbot_sessions: 5,000 included per month Hard limit" in text
    assert "1,200 used of 5,000" in text
    assert "3,800 remaining; resets on Mar 1, 2026." in text
    assert "Hard limit: use past it is refused." in text
    # The AI assistant's allowance has its bar too, nothing used.
    assert "ai_replies: 2,000 included per month Hard limit 0 / 2,000 0 used of 2,000" in text
    assert "Chatbot Extra Sessions — 1,000 chatbot_sessions — $20.00" in text


def test_buying_a_pack_reviews_the_charge_pays_and_the_bar_moves_at_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant, used=1200)
    csrf = _enter(client, container, account)
    key = _key(client.get(PACKAGES))

    review = _review(client, csrf, "2", key)
    done = _pay(client, csrf, "2", key)
    after = client.get(done.headers["location"])

    assert review.status_code == 200, review.text
    reviewed = _text(review)
    assert "Adds 2,000 chatbot_sessions, counted at once until this period ends" in reviewed
    assert "Price $20.00 × 2 = $40.00" in reviewed
    assert "Charged now $40.00" in reviewed
    assert "To your card $40.00 · Visa •••• 4242" in reviewed
    assert f'name="request_key" value="{key}"' in review.text
    assert done.status_code == 303
    shown = _text(after)
    assert "Your extra pack is active" in shown
    assert "5,000 included per month + 2,000 from extra packs" in shown
    assert "1,200 used of 7,000" in shown
    assert "5,800 remaining" in shown
    assert re.search(r'<meter id="bar-chatbot_sessions"[^>]*max="7000"', after.text)
    assert "Chatbot Extra Sessions × 2: 2,000 chatbot_sessions, $40.00 — Active" in shown
    assert _sessions(container, tenant, account) == (5000, 2000, 1200, 3800 + 2000, 0, "hard")


def test_a_double_submit_buys_once_and_charges_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant)
    csrf = _enter(client, container, account)
    key = _key(client.get(PACKAGES))

    first = _pay(client, csrf, "1", key)
    second = _pay(client, csrf, "1", key)

    assert (first.status_code, second.status_code) == (303, 303)
    [sub] = _held(container, account)
    bought = packs_of(container.uow(), container.clock, tenant.organization_id, sub.id, None)
    assert [(p.status.value, p.units, p.amount) for p in bought] == [("paid", 1000, 2000)]
    assert _sessions(container, tenant, account)[1] == 1000
    with container.uow() as uow:
        paid = [
            p
            for p in uow.payments.of_account(account.id, before=None, limit=100)
            if p.status.value == "succeeded"
        ]
    assert [p.amount for p in paid] == [2000]


def test_a_declined_card_is_said_beside_the_form_and_adds_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant, token="tok_sandbox_insufficient_funds")
    csrf = _enter(client, container, account)
    key = _key(client.get(PACKAGES))
    before = _sessions(container, tenant, account)
    invoices_before = _invoices(container, account)

    page = _pay(client, csrf, "1", key)

    assert page.status_code == 402
    error = re.search(r'<p class="error" id="pack-error"[^>]*>(.*?)</p>', page.text, re.S)
    assert error is not None and "Your card was declined" in error.group(1)
    assert "Nothing was added or charged." in error.group(1)
    assert "1,200 used of 5,000" in _text(page)
    assert "from extra packs" not in _text(page)
    assert _key(page) != key  # the next attempt is a new purchase
    assert _sessions(container, tenant, account) == before
    assert _invoices(container, account) == invoices_before


def test_a_bad_quantity_is_said_beside_the_field_and_nothing_is_bought(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = usage_customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _rows(container)

    pages = [_review(client, csrf, q) for q in ("0", "abc", "-1", "")]
    paid = _pay(client, csrf, "0")

    for page in [*pages, paid]:
        assert page.status_code == 422
        assert re.search(r'id="pack-quantity"[^>]*aria-invalid="true"', page.text)
        error = re.search(r'<p class="error" id="pack-error"[^>]*>(.*?)</p>', page.text, re.S)
        assert error is not None
        assert error.group(1) == "Quantity is a whole number from 1 to 1,000,000"
    assert _rows(container) == before


def _invoices(app: Plansmith, account: Account) -> list[str]:
    with app.uow() as uow:
        found = uow.invoices.invoices(
            account.organization_id, account_id=account.id, status=None, after=None, limit=100
        )
        return sorted(i.id for i in found)


def _rows(app: Plansmith) -> list[list[tuple[object, ...]]]:
    """The packs, payments, invoices and subscriptions: what "nothing bought" compares."""
    found = []
    with app.engine.connect() as connection:
        for table in (t.usage_packs, t.payments, t.invoices, t.subscriptions):
            rows = connection.execute(select(table).order_by(*table.primary_key))
            found.append([tuple(row) for row in rows])
    return found
