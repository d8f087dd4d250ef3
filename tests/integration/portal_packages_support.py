"""Shared by the portal Packages tests: the chat catalog of the demo (per-representative chat
plans in USD and the chat platform's additional packages), and a customer holding seed 004's
case: Chat Business × 7 ($39.00 each, $273.00) with the AI assistant ($29.00) and two Team
Chat workspaces ($5.00 each): $312.00 a month.

The account is billed in USD from Tokyo; it subscribes on 2026-02-01 (local), so its period
is Feb 1 - Mar 1 (28 days), and the clock then moves to Feb 15: 14 of 28 days remain.
"""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.extras import AddOnInput, create_add_on
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.payments.methods import add_card
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant

HELD_ADD_ONS = {"ai-assistant": 1, "team-chat-integration": 2}


def _monthly(usd: int) -> list[dict[str, object]]:
    return [{"currency": "USD", "cycle": "month", "amount": usd}]


def chat_catalog(container: Plansmith, org: str) -> None:
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("chat", "Chat platform packages"))
    portal = ["portal"]
    for plan in (
        PlanInput(
            "chat-team",
            "Chat Team",
            "chat",
            1,
            {
                "base_prices": {"USD": 1900},
                "cycle_discounts": {"year": "15"},
                "allowances": {"chatbot_sessions": 1000},
            },
            portal,
            True,
        ),
        PlanInput(
            "chat-business",
            "Chat Business",
            "chat",
            2,
            {
                "base_prices": {"USD": 3900},
                "cycle_discounts": {"year": "15"},
                "min_seats": 3,
                "allowances": {"chatbot_sessions": 5000},
            },
            portal,
            True,
        ),
    ):
        create_plan(uow(), clock, org, plan)
    for add_on in (
        AddOnInput(
            "ai-assistant",
            "Artificial Intelligence Assistant",
            _monthly(2900),
            fits_families=["chat"],
            allowances={"ai_replies": 2000},
        ),
        AddOnInput(
            "team-chat-integration",
            "Team Chat Integration",
            _monthly(500),
            quantity_allowed=True,
            fits_families=["chat"],
        ),
        AddOnInput("ticket-system", "Ticket System", _monthly(1500), fits_families=["chat"]),
        AddOnInput(
            "webhook-integration",
            "Webhook Integration",
            _monthly(900),
            fits_families=["chat"],
            fits_plans=["chat-team"],
        ),
    ):
        create_add_on(uow(), clock, org, add_on)


def chat_customer(
    container: Plansmith, tenant: Tenant, seats: int = 7, card: bool = True
) -> Account:
    """The catalog and the account holding Chat Business × ``seats`` with HELD_ADD_ONS, a
    saved card that pays, and the clock at mid-period."""
    org = tenant.organization_id
    chat_catalog(container, org)
    data = AccountInput(
        name="Northwind Chat",
        email="ap@northwind-chat.example",
        currency="USD",
        time_zone="Asia/Tokyo",
        locale="en_US",
    )
    account = open_account(container.uow(), container.clock, org, data)
    subscribe(
        container.uow(),
        container.clock,
        org,
        SubscribeInput(account.id, "chat-business", "month", seats, add_ons=HELD_ADD_ONS),
    )
    if card:
        gateway = container.gateway_for(org)
        add_card(
            container.uow(), gateway, container.clock, org, account.id, source="tok_sandbox_success"
        )
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=14))
    return account
