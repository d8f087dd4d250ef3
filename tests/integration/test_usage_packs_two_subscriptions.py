"""Two subscriptions of one account with different period starts, both granting a hard-limited
meter, on SQLite and PostgreSQL: the oldest in service bills the meter's usage, so a pack
bought on either must count toward that one, in the standing ingest checks and in the bill."""

from __future__ import annotations

from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.catalog import plan_families
from plansmith.application.catalog import plans as cat
from plansmith.bootstrap import Plansmith
from plansmith.domain.usage.packs import PackStatus
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _invoices,
    _monthly_plan,
    _subscribe,
)
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send, usage_lines
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack, standing
from tests.unit.subscription_builders import local_at, new_account, seed_catalog


def test_a_pack_bought_on_the_newer_subscription_reaches_the_one_billing_the_meter(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "hard")])}
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(container, org, "chatbot_sessions")
    seed_catalog(container, org, plans=plans, add_ons=False)
    pack(container, org, "sessions_5", "chatbot_sessions", 5, 500)
    plan_families.create_family(
        container.uow(), clock, org, plan_families.FamilyInput("support", "Support plans")
    )
    support = _monthly_plan({"JPY": 500}, charges=[charge("chatbot_sessions", 3, "hard")])
    cat.create_plan(
        container.uow(),
        clock,
        org,
        cat.PlanInput("support", "Support", "support", rank=0, terms=support, publish=True),
    )
    acct = new_account(container, org, "JPY", TZ)
    card(container, org, acct)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    older = _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 15), TZ, 9))
    newer = _subscribe(container, org, acct, "support", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 20), TZ, 9))
    assert (
        send(container, org, acct, "chatbot_sessions", "2026-03-20T09:00:00+09:00", 3)
        == ["accepted"] * 3
    )
    bought = buy(container, org, newer, "sessions_5")
    assert bought.purchase.status is PackStatus.PAID
    # The older subscription bills the meter: its standing holds the pack.
    assert standing(container, org, older)["chatbot_sessions"][:4] == (3, 5, 3, 5)
    clock.set(local_at(D(2026, 3, 20), TZ, 10))
    answers = send(container, org, acct, "chatbot_sessions", "2026-03-20T10:00:00+09:00", 6)
    assert sorted(answers) == ["accepted"] * 5 + ["limit_exceeded"]
    assert standing(container, org, older)["chatbot_sessions"][:4] == (3, 5, 8, 0)
    # The bill agrees: March's usage line on the older subscription allows 3 + 5, bills 0.
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    _bill(container, org)
    lines = {i.subscription_id: usage_lines(i) for i in _invoices(container, org) if usage_lines(i)}
    assert lines == {
        older: [
            (
                "usage",
                "Usage: chatbot_sessions",
                1,
                0,
                0,
                D(2026, 3, 1),
                D(2026, 4, 1),
                "chatbot_sessions",
                Fraction(8),
                8,
                Fraction(0),
            )
        ]
    }
