"""Shared by the subscription scenarios (test_subscription_scenarios_*.py).

Rows are (kind, component, quantity, unit amount, amount, period start, period end, days,
period days). Each scenario ends by running the renewal step once more: it makes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, func, select

from plansmith.adapters.db import tables as t
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.lifecycle import Result
from plansmith.application.subscriptions.queries import subscription_items
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.subscriptions.subscription import BillableItem

D = date


def _rows(items: Sequence[BillableItem]) -> list[tuple[object, ...]]:
    names = ("component", "quantity", "unit_amount", "amount", "period_start", "period_end")
    return [(i.kind.value, *(getattr(i, n) for n in names), i.days, i.period_days) for i in items]


def _stored(app: Plansmith, org: str, sub_id: str) -> list[tuple[object, ...]]:
    return _rows([s.item for s in subscription_items(app.uow(), org, sub_id)])


def _count(app: Plansmith, table: Table) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _advance(app: Plansmith, org: str) -> actions.Advanced:
    return actions.advance_due(app.uow(), app.clock, org)


def _nothing_more_is_due(app: Plansmith, org: str, sub_id: str) -> None:
    before = _count(app, t.subscription_items), _count(app, t.subscription_events)
    assert _advance(app, org) == actions.Advanced(0, 0, 0)
    assert (_count(app, t.subscription_items), _count(app, t.subscription_events)) == before
    again = actions.advance_subscription(app.uow(), app.clock, org, sub_id)
    assert (again.applied, again.items) == (False, ())


def _subscribe(app: Plansmith, org: str, account: str, plan: str, quantity: int = 1) -> str:
    data = SubscribeInput(account, plan, quantity=quantity)
    return subscribe(app.uow(), app.clock, org, data).view.subscription.id


def _change(app: Plansmith, org: str, sub_id: str, **changes: Any) -> Result:
    data = actions.ChangeInput(**changes)
    return actions.change_subscription(app.uow(), app.clock, org, sub_id, data)


def _plan(amounts: dict[str, int], **extra: object) -> dict[str, object]:
    prices = [{"currency": c, "cycle": "month", "amount": a} for c, a in amounts.items()]
    return {"pricing": "per_seat", "prices": prices, **extra}
