"""Helpers of the review of ADR 0009 (batched billing against billing one subscription at a
time): two organizations built identically by ``World`` and the dated ``STEPS`` between
billing instants, snapshots of what each organization stored with random ids renamed by label,
and the subscriptions that renew together and the lock wait the review findings need.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AddressInput, add_invoice_address
from plansmith.application.billing.run import batches, invoice_subscription, run_billing
from plansmith.application.catalog import plan_families, publishing
from plansmith.application.catalog import plans as cat
from plansmith.application.invoicing.invoices import issue_credit_note, mark_paid
from plansmith.application.invoicing.taxes_and_coupons import (
    CouponInput,
    TaxRateInput,
    create_coupon,
    create_tax_rate,
    redeem_coupon,
    set_account_tax_rate,
)
from plansmith.application.subscriptions.actions import (
    ChangeInput,
    cancel_subscription,
    change_subscription,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
D = date
NO_GRACE = timedelta(0)


def _plan(amount: int, **extra: object) -> dict[str, object]:
    prices = [{"currency": "USD", "cycle": "month", "amount": amount}]
    return {"pricing": "per_seat", "prices": prices, **extra}


SERVICE = {"basic": _plan(1250), "pro": _plan(2899), "starter": _plan(1490, trial_days=14)}
# An account holds one plan per family: its second subscription is in "support".
SUPPORT = {"care": _plan(700), "care_plus": _plan(1100), "flex": _plan(2990, pay_per_day=True)}


class World:
    """One organization's subscriptions, by label (the same labels in both organizations)."""

    def __init__(self, app: Plansmith, org: str) -> None:
        self.app, self.org = app, org
        self.accounts: dict[str, str] = {}
        self.subs: dict[str, str] = {}

    def account(self, label: str) -> str:
        if label not in self.accounts:
            self.accounts[label] = new_account(self.app, self.org, "USD", TZ, name=label)
        return self.accounts[label]

    def subscribe(self, label: str, account: str, plan: str, seats: int, **extra: Any) -> str:
        data = SubscribeInput(self.account(account), plan, quantity=seats, **extra)
        started = subscribe(self.app.uow(), self.app.clock, self.org, data)
        self.subs[label] = started.view.subscription.id
        return self.subs[label]

    def change(self, label: str, **changes: Any) -> None:
        data = ChangeInput(**changes)
        change_subscription(self.app.uow(), self.app.clock, self.org, self.subs[label], data)

    def cancel(self, label: str, when: str) -> None:
        cancel_subscription(self.app.uow(), self.app.clock, self.org, self.subs[label], when)

    def label_of(self) -> dict[str, str]:
        """Every id of this organization by a label that is the same in the other one."""
        names = {v: k for k, v in (*self.subs.items(), *self.accounts.items())}
        p, v, i, r, c = t.plans.c, t.plan_versions.c, t.invoices.c, t.tax_rates.c, t.coupons.c
        with self.app.engine.connect() as connection:
            for key, code, number in connection.execute(
                select(v.id, p.code, v.number).join(t.plans, p.id == v.plan_id)
                .where(p.organization_id == self.org)
            ):  # fmt: skip
                names[key] = f"{code}@{number}"
            for key, sub_id, billing_key in connection.execute(
                select(i.id, i.subscription_id, i.billing_key).where(i.organization_id == self.org)
            ):
                names[key] = f"{names.get(sub_id)}/{billing_key}"
            for q in (select(p.id, p.code).where(p.organization_id == self.org),
                      select(r.id, r.name).where(r.organization_id == self.org),
                      select(c.id, c.name).where(c.organization_id == self.org)):  # fmt: skip
                names.update({key: str(name) for key, name in connection.execute(q)})
        return names


def _setup(world: World) -> None:
    """Jan 10 2027: two subscriptions per account for several accounts, taxes, coupons."""
    app, org, clock = world.app, world.org, world.app.clock
    seed_catalog(app, org, plans=SERVICE)  # + add-ons ai and chat
    support = plan_families.FamilyInput("support", "Support plans")
    plan_families.create_family(app.uow(), clock, org, support)
    data: cat.PlanInput | CouponInput
    for rank, (code, terms) in enumerate(SUPPORT.items()):
        data = cat.PlanInput(code, code.title(), "support", rank=rank, terms=terms, publish=True)
        cat.create_plan(app.uow(), clock, org, data)
    create_tax_rate(app.uow(), clock, org, TaxRateInput("Sales tax", "10", country="US"))
    own = create_tax_rate(app.uow(), clock, org, TaxRateInput("VAT", "19", inclusive=True))
    for data in (
        CouponInput("p20", "20 % x 2", "percent", percent="20", duration="repeating", cycles=2),
        CouponInput("usd5", "USD 5 off", "amount", amounts={"USD": 500}, duration="forever"),
    ):
        create_coupon(app.uow(), clock, org, data)
    address = AddressInput("Alpha Inc", "1 Main St", "Springfield", "US", region="IL")
    add_invoice_address(app.uow(), clock, org, world.account("alpha"), address)
    set_account_tax_rate(app.uow(), org, world.account("beta"), own.id)
    world.subscribe("a1", "alpha", "basic", 2)
    world.subscribe("a2", "alpha", "care", 1, add_ons={"ai": 1})
    world.subscribe("b1", "beta", "basic", 3, add_ons={"chat": 2})
    world.subscribe("b2", "beta", "flex", 2)
    world.subscribe("c1", "gamma", "starter", 1)
    world.subscribe("c2", "gamma", "care", 1)
    world.subscribe("d1", "delta", "pro", 2)
    world.subscribe("d2", "delta", "care", 1)
    world.subscribe("e1", "epsilon", "basic", 3)
    world.subscribe("e2", "epsilon", "care_plus", 2)
    for label, code in (("a1", "p20"), ("a2", "usd5"), ("b1", "p20"), ("e2", "usd5")):
        redeem_coupon(app.uow(), clock, org, world.subs[label], code)


def _credit_alpha(world: World) -> None:
    """Alpha's first invoice paid, then credited in part: customer credit for both its subs."""
    app, clock = world.app, world.app.clock
    with app.uow() as uow:
        found = uow.invoices.invoices(world.org, account_id=world.accounts["alpha"], status=None,
                                     after=None, limit=10)  # fmt: skip
    for invoice in found:  # paid, then credited: 2200 + 769, used by both February renewals
        mark_paid(app.uow(), clock, world.org, invoice.id)
        amount = min(invoice.totals.total, 2200)
        issue_credit_note(app.uow(), clock, world.org, invoice.id, amount, "Outage")


def _mid_period(world: World) -> None:
    world.change("e1", plan="pro")  # an upgrade now: a credit and a charge wait
    world.change("e2", plan="care")  # a downgrade: at the term end
    world.change("b1", quantity=5)  # more seats now
    world.cancel("c2", "term_end")
    world.cancel("d1", "now")  # a stop invoice: its credit is delta's customer credit


def _version_move(world: World) -> None:
    with world.app.uow() as uow:
        pro = next(p for p in uow.plans.list(world.org) if p.code == "pro")
    clock = world.app.clock
    cat.edit_plan(world.app.uow(), clock, world.org, pro.id, terms={"prices": [
        {"currency": "USD", "cycle": "month", "amount": 3100}]})  # fmt: skip
    publishing.publish_plan(world.app.uow(), clock, world.org, pro.id, "at_renewal")


STEPS: list[tuple[datetime, Callable[[World], None] | None]] = [
    (local_at(D(2027, 1, 10), TZ, 9), None),
    (local_at(D(2027, 1, 15), TZ, 9), _credit_alpha),
    (local_at(D(2027, 1, 20), TZ, 9), _mid_period),
    (local_at(D(2027, 1, 24), TZ, 1), None),  # the trial converts
    (local_at(D(2027, 2, 1), TZ, 9), _version_move),
    (local_at(D(2027, 2, 10), TZ, 1), None),  # everything renews
    (local_at(D(2027, 3, 10), TZ, 1), None),
]


def _bill_both(batched: World, single: World, clock: TestClock, batch: int) -> None:
    """The first world by the run in batches; the second one subscription at a time, in the
    order the run takes them."""
    now = clock.now()
    order = [
        sub for chunk in batches(batched.app.uow(), batched.org, now, batch) for _o, sub in chunk
    ]
    names = batched.label_of()
    record = run_billing(batched.app.uow(), clock, batched.org, grace=NO_GRACE, batch=batch)
    assert record.errors == (), record.errors
    for sub_id in order:
        invoice_subscription(
            single.app.uow(), clock, single.org, single.subs[names[sub_id]], NO_GRACE
        )


_RANDOM = re.compile(r"^[a-z]+_[a-z0-9]{20}$")


def _norm(value: Any, names: dict[str, str]) -> Any:
    """Ids by their labels; ids that differ by nature (items, events, invoices) left out."""
    if isinstance(value, str):
        return names.get(value, "<id>" if _RANDOM.match(value) else value)
    if isinstance(value, dict):
        return {k: _norm(x, names) for k, x in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_norm(x, names) for x in value]
    return value


def _rows(app: Plansmith, table: Table, org: str, names: dict[str, str]) -> list[tuple[Any, ...]]:
    """The organization's rows of ``table``, ids replaced by labels (or dropped), sorted."""
    with app.engine.connect() as connection:
        q = select(table)
        if "organization_id" in table.c:
            q = q.where(table.c.organization_id == org)
        found = []
        for row in connection.execute(q):
            found.append(tuple((k, _norm(x, names)) for k, x in row._mapping.items()))
    return sorted(found, key=repr)


def _invoices(app: Plansmith, org: str, names: dict[str, str]) -> list[tuple[Any, ...]]:
    with app.uow() as uow:
        found = uow.invoices.invoices(org, account_id=None, status=None, after=None, limit=500)
        return sorted(
            (
                (i.number, names[i.subscription_id or ""], i.status.value, i.period_start,
                 i.period_end, i.totals, [d.name for d in i.discounts],
                 [(x.kind.value, x.description, x.quantity, x.unit_amount, x.amount, x.discount,
                   x.tax, x.total, x.period_start, x.period_end) for x in i.lines],
                 uow.invoices.buyer(i.id))
                for i in found
            ),
            key=repr,
        )  # fmt: skip


def _ledger(app: Plansmith, org: str, names: dict[str, str]) -> list[tuple[Any, ...]]:
    with app.engine.connect() as connection:
        tx, e = t.ledger_transactions.c, t.ledger_entries.c
        q = (
            select(tx.kind, tx.reference, tx.account_id, e.ledger_account, e.currency, e.amount)
            .join(t.ledger_entries, e.transaction_id == tx.id)
            .where(tx.organization_id == org)
        )
        return sorted(tuple(_norm(list(row), names)) for row in connection.execute(q))


def _snapshot(world: World) -> dict[str, object]:
    names = world.label_of()
    tables = (t.subscriptions, t.subscription_spans, t.subscription_events, t.subscription_items,
              t.coupon_redemptions)  # fmt: skip
    return {
        "invoices": _invoices(world.app, world.org, names),
        "ledger": _ledger(world.app, world.org, names),
        **{x.name: _rows(world.app, x, world.org, names) for x in tables},
    }


def _assert_same(batched: World, single: World) -> None:
    mine, theirs = _snapshot(batched), _snapshot(single)
    for key in mine:
        assert mine[key] == theirs[key], key


def _renewing(app: Plansmith, org: str, clock: TestClock, count: int) -> list[str]:
    """``count`` basic subscriptions of their own accounts from Jan 10, first period billed;
    the clock at Feb 10, when they all renew."""
    clock.set(local_at(D(2027, 1, 10), TZ, 9))
    subs = []
    for n in range(count):
        account = new_account(app, org, "USD", TZ, name=f"Customer {n}")
        started = subscribe(app.uow(), clock, org, SubscribeInput(account, "basic"))
        subs.append(started.view.subscription.id)
    run_billing(app.uow(), clock, org, grace=NO_GRACE)
    clock.set(local_at(D(2027, 2, 10), TZ, 1))
    return subs


def _wait_for_a_lock_wait(app: Plansmith) -> None:
    """Until some session of this database waits for a row lock (bounded: 10 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.engine.connect() as connection:
            if connection.execute(query).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the other worker never waited for the account's credit")
