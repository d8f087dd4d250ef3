"""Add-ons on a subscription: billed with the plan, and their prices kept while they are paid."""

from __future__ import annotations

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import extras
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions.queries import subscription_items
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

TELEGRAM = extras.AddOnInput(
    "telegram",
    "Telegram integration",
    [{"currency": "USD", "cycle": "month", "amount": 500}],
)


def _subscribed(container: Plansmith, tenant: Tenant, clock: TestClock) -> str:
    org, uow = tenant.organization_id, container.uow
    families.create_family(uow(), clock, org, families.FamilyInput("chat", "Chat plans"))
    cat.create_plan(
        uow(),
        clock,
        org,
        cat.PlanInput("chat", "Chat", "chat", 1, {"base_prices": {"USD": 2900}}, ["portal"], True),
    )
    extras.create_add_on(uow(), clock, org, TELEGRAM)
    account = open_account(uow(), clock, org, AccountInput("Chatty", "c@example.com", "USD"))
    data = SubscribeInput(account.id, "chat", "month", 2, add_ons={"telegram": 1})
    return subscribe(uow(), clock, org, data).view.subscription.id


def test_an_add_on_is_billed_beside_the_plan(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    sub_id = _subscribed(container, tenant, clock)

    items = subscription_items(container.uow(), tenant.organization_id, sub_id)

    # plan 2900 x 2 seats; Telegram 500 x 1
    assert [(s.item.component, s.item.quantity, s.item.amount) for s in items] == [
        ("plan", 2, 5800),
        ("add_on:telegram", 1, 500),
    ]


def test_a_price_a_subscriber_pays_cannot_be_withdrawn(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _subscribed(container, tenant, clock)
    org = tenant.organization_id
    add_on = extras.list_add_ons(container.uow(), org)[0]
    euro_only = extras.AddOnInput(
        "telegram", "Telegram integration", [{"currency": "EUR", "cycle": "month", "amount": 450}]
    )

    with pytest.raises(Conflict) as refused:
        extras.update_add_on(container.uow(), org, add_on.id, euro_only)

    assert refused.value.code == "price_in_use"
    assert refused.value.field == "prices"
    assert extras.get_add_on(container.uow(), org, add_on.id) == add_on
