"""The prediction the portal shows counts the extra packs paid in the period (the ``Packs``
seam of the prediction, fed by application/usage/pack_allowance.py), and the pack review's
estimate counts the units of the pack reviewed: on SQLite and PostgreSQL, for a Tokyo account
billed in JPY with 3 chatbot sessions included under a soft limit at JPY 10 each."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.screens.portal_usage import predicted, review_pack, usage_panel
from plansmith.application.usage.prediction import AccountPrediction, account_prediction
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _monthly_plan
from tests.integration.portal_plans_support import _enter, _text
from tests.integration.test_usage_packs_scenarios import _setup
from tests.integration.usage_billing_support import send
from tests.integration.usage_packs_support import TZ, buy, charge
from tests.unit.subscription_builders import local_at


def _usage_line(found: AccountPrediction) -> tuple[int, int]:
    [sub] = found.subscriptions
    [line] = [line for line in sub.lines if line.kind == "usage"]
    return line.so_far, line.estimate


def test_paid_packs_lower_the_usage_so_far_and_a_reviewed_pack_the_estimate(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "soft")])}
    acct, sub_id = _setup(container, org, clock, plans)
    clock.set(local_at(D(2026, 3, 5), TZ, 9))
    assert buy(container, org, sub_id, "sessions_5", 2, key="req-1").invoice is not None
    clock.set(local_at(D(2026, 3, 20), TZ, 9))
    assert (
        send(container, org, acct, "chatbot_sessions", "2026-03-20T09:00:00+09:00", 17)
        == ["accepted"] * 17
    )

    with_packs = predicted(container.uow, clock, org, acct)
    without = account_prediction(container.uow(), clock, org, acct)
    with container.uow() as uow:
        sub = uow.subscriptions.get(org, sub_id)
    assert sub is not None
    panel = usage_panel(container.uow, clock, org, sub)
    [offer] = panel.offers
    review = review_pack(container.uow, clock, org, sub, offer, 1)

    # 17 used by Mar 20 (day 20 of 31), 3 included + 10 of the packs: 4 billable so far
    # (JPY 40), not 14 (JPY 140). Projected: 17 / 20 x 31 = 26.35 -> 26 sessions, 13 billable
    # (JPY 130); one more pack of 5: 8 billable (JPY 80).
    assert _usage_line(with_packs) == (40, 130)
    assert _usage_line(without) == (40, 130)  # the API's prediction counts the paid packs too
    assert review.before is not None and review.after is not None
    assert review.before.estimate - review.after.estimate == 50
    assert (review.total, review.card_amount) == (500, 500)


def test_the_bar_of_a_soft_limit_says_the_excess_is_billed_at_period_end(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "soft")])}
    acct, _sub = _setup(container, org, clock, plans)
    clock.set(local_at(D(2026, 3, 20), TZ, 9))
    send(container, org, acct, "chatbot_sessions", "2026-03-20T09:00:00+09:00", 5)
    with container.uow() as uow:
        account = uow.accounts.get(org, acct)
    assert account is not None
    _enter(client, container, account)

    page = client.get("/portal/plans/service/packages")

    assert page.status_code == 200
    text = _text(page)
    assert "chatbot_sessions: 3 included per month Soft limit" in text
    assert "5 used of 3" in text
    assert "0 remaining; resets on Apr 1, 2026. 2 over the allowance, billed at period end." in text
    assert 'value="3"' in page.text.split('id="bar-chatbot_sessions"')[1].split(">")[0]
