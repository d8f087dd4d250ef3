"""Shared by the payment scenarios (test_payment_scenarios_*.py): a sandbox organization whose
test clock drives billing and collection (application/payments/clock.py), the real sandbox
gateway (docs/payments-sandbox.md), and what they wrote read back as plain rows.

Attempt rows: (kind, status, amount, decline code, created at) of each payment, oldest first.
Ledger rows: {ledger account: balance} of one account and currency (credit negative)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing import test_clocks
from plansmith.application.kernel.ports import Clock
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.payments import clock as payment_clock
from plansmith.application.payments import methods
from plansmith.application.payments.balance import balance_of
from plansmith.application.payments.ports import PaymentGateway
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import LedgerAccount
from tests.unit.subscription_builders import new_account, seed_catalog

D = date
NO_GRACE = timedelta(0)
DAY = timedelta(days=1)
A = LedgerAccount

Attempt = tuple[str, str, int, str | None, datetime]


def monthly(amounts: dict[str, int]) -> dict[str, object]:
    prices = [{"currency": c, "cycle": "month", "amount": a} for c, a in amounts.items()]
    return {"pricing": "flat", "prices": prices}


def sandbox_at(app: Plansmith, at: datetime, plans: dict[str, dict[str, object]]) -> str:
    """A sandbox organization whose test clock starts at ``at``, with ``plans`` published."""
    clock = app.clock
    assert isinstance(clock, TestClock)
    clock.set(at)
    org = create_organization(app.uow(), clock, "Sandbox Payments", sandbox=True).id
    seed_catalog(app, org, plans=plans, add_ons=False)
    return org


def org_clock(app: Plansmith, org: str) -> Clock:
    return test_clocks.organization_clock(app.uow(), app.clock, org)


def customer(
    app: Plansmith, org: str, currency: str, tz: str, card: str | None, name: str = "Kato Ltd"
) -> str:
    """An account, with a saved card made from a ready-made sandbox token (None: no card)."""
    account = new_account(app, org, currency, tz, name=name)
    if card is not None:
        methods.add_card(
            app.uow(), gateway(app, org), org_clock(app, org), org, account, source=card
        )
    return account


def subscribed(app: Plansmith, org: str, account: str, plan: str) -> str:
    data = SubscribeInput(account, plan)
    return subscribe(app.uow(), org_clock(app, org), org, data).view.subscription.id


def gateway(app: Plansmith, org: str) -> PaymentGateway:
    found = app.gateway_for(org)
    assert found.name == "sandbox"
    return found


def advance(app: Plansmith, org: str, to: datetime) -> test_clocks.ClockAdvance:
    """Bill and collect at each instant up to ``to`` (stopping at each scheduled retry)."""
    return payment_clock.advance_clock(app.uow(), gateway(app, org), org, to, NO_GRACE)


def invoices(app: Plansmith, org: str) -> list[Invoice]:
    with app.uow() as uow:
        found = uow.invoices.invoices(org, account_id=None, status=None, after=None, limit=500)
    return sorted(found, key=lambda i: (i.number or "~", i.created_at))


def invoice(app: Plansmith, org: str, invoice_id: str) -> Invoice:
    with app.uow() as uow:
        found = uow.invoices.get_invoice(org, invoice_id)
    assert found is not None
    return found


def head(i: Invoice) -> tuple[object, ...]:
    """(number, status, total, credit applied, amount due)."""
    return (i.number, i.status.value, i.totals.total, i.totals.credit_applied, i.totals.amount_due)


def attempts(app: Plansmith, invoice_id: str) -> list[Attempt]:
    with app.uow() as uow:
        found = uow.payments.of_invoice(invoice_id)
    return [(p.kind.value, p.status.value, p.amount, p.decline_code, p.created_at) for p in found]


KIND_ORDER = {"top_up": 0, "payment": 1, "refund": 2}


def account_payments(app: Plansmith, account: str) -> list[tuple[Any, ...]]:
    """(kind, status, amount, to balance, invoice id, created at) of all the account's payments,
    oldest first; those of one instant top-up, payment, refund (ids are random)."""
    with app.uow() as uow:
        found = uow.payments.of_account(account, before=None, limit=500)
    ordered = sorted(found, key=lambda p: (p.created_at, KIND_ORDER[p.kind.value]))
    return [
        (p.kind.value, p.status.value, p.amount, p.to_balance, p.invoice_id, p.created_at)
        for p in ordered
    ]


def sub_status(app: Plansmith, org: str, sub_id: str) -> str:
    with app.uow() as uow:
        found = uow.subscriptions.get(org, sub_id)
    assert found is not None
    return found.status.value


def collection(app: Plansmith, invoice_id: str) -> tuple[object, ...] | None:
    """(state, failures, next attempt at) of an invoice's collection."""
    with app.uow() as uow:
        found = uow.collections.get(invoice_id)
    return None if found is None else (found.state, found.failures, found.next_attempt_at)


def ledger(app: Plansmith, account: str, currency: str) -> dict[LedgerAccount, int]:
    with app.uow() as uow:
        return {a: uow.ledger.ledger_balance(account, a, currency) for a in LedgerAccount}


def balance(app: Plansmith, account: str, currency: str) -> int:
    with app.uow() as uow:
        return balance_of(uow, account, currency)


def captures(app: Plansmith, kind: str = "charge") -> list[tuple[str, str, int, str]]:
    """The sandbox gateway's own rows: (idempotency key, outcome, amount, currency)."""
    c = t.sandbox_charges.c
    q = select(c.idempotency_key, c.outcome, c.amount, c.currency).where(c.kind == kind)
    with app.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(q.order_by(c.created_at))]


def count(app: Plansmith, table: Any) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def events(app: Plansmith, org: str, type_: str) -> list[dict[str, Any]]:
    """The organization's outbox events of one type as sent (type, version, data), oldest
    first."""
    c = t.outbox_events.c
    q = select(c.data).where(c.organization_id == org, c.type == type_).order_by(c.seq)
    with app.engine.connect() as connection:
        return [dict(r) for (r,) in connection.execute(q)]
