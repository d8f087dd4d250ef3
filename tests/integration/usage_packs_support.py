"""Shared by the extra pack, hard limit and standing scenarios (test_usage_packs_*.py): a
Tokyo account on a JPY plan charging a meter, a card from a sandbox token, packs bought through
the use case at the clock's time, and the pack and usage lines of invoices.

Pack line rows: (kind, description, quantity, unit amount, amount, period start, period end)."""

from __future__ import annotations

from typing import Any

from plansmith.adapters.clock import TestClock
from plansmith.application.catalog.extras import ExtraPackInput, create_extra_pack
from plansmith.application.payments import methods
from plansmith.application.payments.pack_purchases import PackBought, buy_pack
from plansmith.application.subscriptions.allowance_standing import (
    MeterStanding,
    subscription_standing,
)
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice, LineKind

TZ = "Asia/Tokyo"
Row = tuple[object, ...]


def charge(meter: str, included: int, limit: str, price: str = "10") -> dict[str, object]:
    return {
        "meter": meter,
        "currency": "JPY",
        "included": included,
        "limit": limit,
        "model": "per_unit",
        "unit_price": price,
    }


def pack(app: Plansmith, org: str, code: str, meter: str, units: int, jpy: int) -> None:
    data = ExtraPackInput(code, code.replace("_", " ").title(), {"JPY": jpy}, meter, units)
    create_extra_pack(app.uow(), app.clock, org, data)


def card(app: Plansmith, org: str, account: str, token: str = "tok_sandbox_success") -> None:
    methods.add_card(app.uow(), app.gateway_for(org), app.clock, org, account, source=token)


def buy(
    app: Plansmith, org: str, sub_id: str, code: object, quantity: object = 1, key: Any = None
) -> PackBought:
    return buy_pack(
        app.uow(), app.gateway_for(org), app.clock, org, sub_id, code, quantity, request_key=key
    )


def standing(app: Plansmith, org: str, sub_id: str) -> dict[str, tuple[object, ...]]:
    """meter -> (included, extra, used, remaining, excess, limit)."""
    found: list[MeterStanding] = subscription_standing(app.uow(), org, sub_id)
    return {
        s.meter: (
            s.standing.included,
            s.standing.extra,
            s.standing.used,
            s.standing.remaining,
            s.standing.excess,
            s.limit.value,
        )
        for s in found
    }


def pack_lines(invoice: Invoice) -> list[Row]:
    return [
        (
            line.kind.value,
            line.description,
            line.quantity,
            line.unit_amount,
            line.amount,
            line.period_start,
            line.period_end,
        )
        for line in invoice.lines
        if line.kind is LineKind.PACK
    ]


def now(app: Plansmith) -> object:
    clock = app.clock
    assert isinstance(clock, TestClock)
    return clock.now()
