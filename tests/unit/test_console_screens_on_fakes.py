"""The console's overview use cases (dashboard and subscriptions list) on the fakes: the same
figures as the SQL reads give, and refusals that name their field and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plansmith.application.screens.revenue import revenue_report
from plansmith.application.screens.subscription_list import subscription_list
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.domain.kernel.errors import DomainError
from tests.unit.fake_world import ORG, World


def _world() -> tuple[World, str, str]:
    w = World()
    w.seed_catalog()
    account = w.open_account()
    sub = subscribe(w.uow(), w.clock, ORG, SubscribeInput(account, "basic")).view.subscription.id
    w.clock.set(datetime(2026, 2, 15, tzinfo=UTC))
    data = actions.ChangeInput(plan="pro")
    actions.change_subscription(w.uow(), w.clock, ORG, sub, data)
    w.clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    return w, account, sub


def test_the_dashboard_reads_the_log_of_held_terms() -> None:
    w, _, _ = _world()

    report = revenue_report(w.uow(), w.clock, ORG, months=3)

    usd = [m.by_currency["USD"] for m in report.months]
    assert [(f.mrr, f.new, f.expansion) for f in usd] == [
        (3100, 3100, 0),
        (6200, 0, 3100),
        (6200, 0, 0),
    ]
    assert report.currencies == ("USD",)
    assert report.plan_names and report.family_names


def test_the_list_filters_and_prices_each_subscription() -> None:
    w, _, sub = _world()

    found = subscription_list(w.uow(), ORG, status="active", search="kato")
    none = subscription_list(w.uow(), ORG, status="canceled")

    assert [
        (line.subscription.id, line.plan_name, line.monthly_value) for line in found.page.items
    ] == [(sub, "Pro", 6200)]
    assert none.page.items == ()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"family_id": "fam_nope"}, "family"),
        ({"plan_id": "plan_nope"}, "plan"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_a_filter_naming_nothing_known_is_refused_naming_it(
    query: dict[str, str], field: str
) -> None:
    w, _, _ = _world()
    before = w.snapshot()

    with pytest.raises(DomainError) as refused:
        subscription_list(w.uow(), ORG, **query)  # type: ignore[arg-type]

    assert refused.value.field == field
    assert w.snapshot() == before
