"""The prediction use cases on the fakes: an account's prediction from its subscription and
the usage ingested, the pack seam, a change's effect before it is made (nothing saved), and
an unknown account refused naming account_id with nothing changed.

The world: Metered, USD 31.00 a month flat (a day of January is 100 cents) charging 50 cents
a call past 10 included; subscribed Jan 1 in UTC; 20 calls by Jan 10 noon (10 of 31 days)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from plansmith.application.catalog import plans as cat
from plansmith.application.kernel.errors import NotFound
from plansmith.application.subscriptions.actions import ChangeInput
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.application.usage.ingest import ingest
from plansmith.application.usage.meters import create_meter
from plansmith.application.usage.prediction import account_prediction, change_effect
from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.subscription import Subscription
from tests.unit.fake_world import ORG, World, flat_terms

CALLS = {"meter": "calls", "currency": "USD", "model": "per_unit", "unit_price": "0.50"}


def _world() -> tuple[World, str, str]:
    w = World()
    w.seed_catalog()
    meter = {"code": "calls", "name": "Calls", "event_code": "call", "aggregation": "count"}
    create_meter(w.uow(), w.clock, ORG, meter)
    terms = flat_terms(3100, charges=[{**CALLS, "included": 10}])
    data = cat.PlanInput("metered", "Metered", "service", rank=0, terms=terms, publish=True)
    cat.create_plan(w.uow(), w.clock, ORG, data)
    account = w.open_account()
    sub = subscribe(w.uow(), w.clock, ORG, SubscribeInput(account, "metered", trial=False))
    events = [
        {
            "id": f"e-{n}",
            "account_id": account,
            "code": "call",
            "timestamp": f"2026-01-{1 + n % 10:02d}T09:00:00+00:00",
            "properties": {},
        }
        for n in range(20)
    ]
    w.clock.set(datetime(2026, 1, 10, 12, tzinfo=UTC))
    assert {a.status for a in ingest(w.uow(), w.clock, ORG, events)} == {"accepted"}
    return w, account, sub.view.subscription.id


def test_the_accounts_prediction_from_its_subscription_and_usage() -> None:
    w, account, sub = _world()

    found = account_prediction(w.uow(), w.clock, ORG, account)

    [p] = found.subscriptions
    assert (p.subscription_id, p.elapsed_days, p.period.days) == (sub, 10, 31)
    plan, calls = p.lines
    assert (plan.so_far, plan.estimate) == (1000, 3100)
    # 20 calls, 10 included: 10 x 50 = 500; projected 20 / 10 x 31 = 62: 52 x 50 = 2,600.
    assert (calls.quantity_so_far, calls.quantity_projected) == (Fraction(20), Fraction(62))
    assert (calls.so_far, calls.estimate) == (500, 2600)
    assert [(t.currency, t.so_far, t.estimate) for t in found.totals] == [("USD", 1500, 5700)]


def test_extra_units_per_meter_come_in_through_the_pack_seam() -> None:
    w, account, _sub = _world()

    def packs(_sub: Subscription, _period: Period) -> dict[str, int]:
        return {"calls": 5}

    [p] = account_prediction(w.uow(), w.clock, ORG, account, packs).subscriptions
    assert (p.lines[1].allowance, p.lines[1].so_far, p.lines[1].estimate) == (15, 250, 2350)


def test_a_change_shows_its_effect_on_the_estimate_and_saves_nothing() -> None:
    w, _account, sub = _world()
    before = w.snapshot()

    effect = change_effect(w.uow(), w.clock, ORG, sub, ChangeInput(plan="pro", when="now"))

    assert w.snapshot() == before
    assert effect.before is not None and effect.after is not None
    assert effect.before.estimate == 5700
    # Metered Jan 1..9 (900), Pro Jan 10..31 (6,200 x 22/31 = 4,400); Pro charges no calls.
    assert [(x.component, x.so_far, x.estimate) for x in effect.after.lines] == [
        ("plan", 900, 900),
        ("plan", 200, 4400),
    ]
    assert effect.estimate_change == 5300 - 5700
    assert effect.result.applied is False


def test_an_unknown_account_is_refused_naming_it_and_nothing_changes() -> None:
    w, _account, _sub = _world()
    before = w.snapshot()
    with pytest.raises(NotFound) as refused:
        account_prediction(w.uow(), w.clock, ORG, "acct_nobody")
    assert refused.value.field == "account_id"
    assert w.snapshot() == before


def test_a_period_the_run_has_not_passed_yet_is_predicted_from_the_schedule() -> None:
    w, account, _sub = _world()
    w.clock.set(datetime(2027, 2, 14, 12, tzinfo=UTC))  # no billing run since January 2026

    [p] = account_prediction(w.uow(), w.clock, ORG, account).subscriptions

    assert (p.period.start, p.period.end, p.elapsed_days) == (
        date(2027, 2, 1),
        date(2027, 3, 1),
        14,
    )
    assert [(x.so_far, x.estimate) for x in p.lines] == [(1550, 3100), (0, 0)]
