"""Shared by the portal Plans tests (test_portal_plans_*.py): the catalog, the customer, a
portal session and what the pages show.

The account is billed in JPY from Tokyo (ja_JP): the operator subscribes it to Chat Team × 2
monthly on 2026-02-01 (local), so its period is Feb 1 - Mar 1 (28 days); the clock then moves
14 days, to Feb 15, the middle of the period: 14 of 28 days remain."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import create_portal_link
from plansmith.application.subscriptions.queries import list_subscriptions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant

TO = "\u2013"  # between two dates


BUSINESS_X5 = {"plan": "chat-business", "cycle": "month", "quantity": "5"}


def _per_month(jpy: int, **terms: Any) -> dict[str, Any]:
    return {"base_prices": {"JPY": jpy}, "cycle_discounts": {"year": "20"}, **terms}


def _catalog(container: Plansmith, org: str) -> None:
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    create_family(uow(), clock, org, FamilyInput("support", "Support plans"))
    create_family(uow(), clock, org, FamilyInput("partner", "Partner", {"cycle_change": False}))
    create_family(uow(), clock, org, FamilyInput("internal", "Internal services"))
    portal = ["portal"]
    for plan in (
        PlanInput("chat-team", "Chat Team", "chat", 1, _per_month(2800), portal, True),
        PlanInput(
            "chat-business",
            "Chat Business",
            "chat",
            2,
            _per_month(5800, min_seats=3, max_seats=50),
            portal,
            True,
        ),
        PlanInput("chat-internal", "Chat Internal", "chat", 3, _per_month(9000), publish=True),
        PlanInput(
            "support-basic",
            "Support Basic",
            "support",
            1,
            {"pricing": "flat", "base_prices": {"JPY": 10000}, "trial_days": 14},
            portal,
            True,
        ),
        PlanInput("partner-silver", "Partner Silver", "partner", 1, _per_month(3000), portal, True),
        PlanInput("ops", "Ops", "internal", 1, _per_month(1000), publish=True),
    ):
        create_plan(uow(), clock, org, plan)


def _customer(
    container: Plansmith, tenant: Tenant, plan: str = "chat-team", seats: int = 2
) -> Account:
    """The catalog, the Tokyo account holding ``plan``, and the clock at mid-period."""
    org = tenant.organization_id
    _catalog(container, org)
    data = AccountInput(
        name="Acme Chat",
        email="billing@acme.example",
        currency="JPY",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
    )
    account = open_account(container.uow(), container.clock, org, data)
    subscribe(
        container.uow(), container.clock, org, SubscribeInput(account.id, plan, "month", seats)
    )
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=14))  # 2026-02-01 -> 2026-02-15 in Tokyo
    return account


def _enter(client: TestClient, container: Plansmith, account: Account) -> str:
    """Open the portal link; the CSRF token of the session. The account is ja_JP, so its pages
    speak Japanese; these tests read the English labels, chosen with the language switch."""
    client.cookies.set("plansmith_lang", "en")
    link = create_portal_link(
        container.uow(), container.clock, container.signer, account.organization_id, account.id
    )
    page = client.get(f"/portal/enter?token={link.token}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and match
    return match.group(1)


def _text(page: Response) -> str:
    """What a person reads: tags and scripts out, whitespace collapsed."""
    body = re.sub(r"<(script|style)>.*?</\1>", " ", page.text, flags=re.S)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return re.sub(r" ([,.;:])", r"\1", words)  # "<strong>Team</strong>," reads "Team,"


def _error_of(page: Response, name: str) -> str:
    match = re.search(rf'id="{name}-error">([^<]*)<', page.text)
    assert match, f"no error shown beside {name}"
    return html.unescape(match.group(1))


def _expect(page: Response) -> str:
    match = re.search(r'name="expect" value="([^"]+)"', page.text)
    assert match, "the review has no Confirm form"
    return match.group(1)


def _snapshot(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    """Every subscription row, span, event and item: what "nothing changed" compares."""
    tables = (t.subscriptions, t.subscription_spans, t.subscription_events, t.subscription_items)
    with container.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in tables
        ]


def _held(container: Plansmith, account: Account) -> list[Any]:
    page = list_subscriptions(container.uow(), account.organization_id, account_id=account.id)
    return [view.subscription for view in page.items]


def _amounts(container: Plansmith, sub_id: str) -> list[int]:
    with container.engine.connect() as connection:
        query = select(t.subscription_items.c.amount).where(
            t.subscription_items.c.subscription_id == sub_id
        )
        return sorted(int(a) for a in connection.execute(query).scalars())
