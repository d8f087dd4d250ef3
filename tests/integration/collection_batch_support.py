"""Shared by test_collection_batch.py: invoices made due through the use cases (one account
each, its card saved from a sandbox token, subscribed, billed), the gateway wrappers a test
uses to act at a chosen moment (real sandbox gateway underneath, no mocks), and what a
collection left behind read back as rows without ids or timestamps, so two organizations
built alike can be compared."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.billing.test_clocks import organization_clock
from plansmith.application.kernel.ports import Clock
from plansmith.application.payments import top_ups
from plansmith.application.payments.collection_batch import BatchCollected, collect_batch
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    PaymentGateway,
    RefundRequest,
    SavedCard,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.payments.payments import GatewayAnswer


@dataclass(frozen=True)
class Customer:
    account_id: str
    subscription_id: str
    invoice_id: str


def clock_of(app: Plansmith, org: str) -> Clock:
    return organization_clock(app.uow(), app.clock, org)


def customers(
    app: Plansmith, org: str, tokens: Sequence[str | None], top_up: dict[int, int] | None = None
) -> list[Customer]:
    """One account per token (the catalog made first), its card saved from it (None: none),
    topped up by ``top_up[n]`` before billing if given, subscribed and billed: one open
    invoice each."""
    clock = clock_of(app, org)
    gateway = app.gateway_for(org)
    made: list[tuple[str, str]] = []
    for n, token in enumerate(tokens):
        data = AccountInput(f"Customer {n}", f"c{n}@example.com", "USD")
        account = open_account(app.uow(), clock, org, data).id
        if token is not None:  # None: an account without a card
            add_card(app.uow(), gateway, clock, org, account, source=token)
        if top_up and n in top_up:
            top_ups.top_up(app.uow(), gateway, clock, org, account, top_up[n], "USD")
        sub = subscribe(app.uow(), clock, org, SubscribeInput(account, "std"))
        made.append((account, sub.view.subscription.id))
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    i = t.invoices.c
    with app.engine.connect() as connection:
        found = dict(
            connection.execute(
                select(i.account_id, i.id).where(i.organization_id == org, i.status == "open")
            ).all()
        )
    return [Customer(a, s, found[a]) for a, s in made]


class Wrapped:
    """The real gateway underneath, each call handed on: a test's wrapper overrides what it
    acts on."""

    def __init__(self, inner: PaymentGateway) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    def tokenize(self, card: CardDetails, today: date) -> str:
        return self.inner.tokenize(card, today)

    def save_card(self, card: CardToSave) -> SavedCard:
        return self.inner.save_card(card)

    def forget_card(self, token: str, customer_ref: str | None) -> None:
        self.inner.forget_card(token, customer_ref)

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        return self.inner.charge(request)

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        return self.inner.charge_many(requests)

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        return self.inner.refund(request)


class CrashAfterCharge(Wrapped):
    """The process "dies" right after the gateway answered a charge: the charge is made and
    stored by the gateway, its answer never recorded (the payment stays pending)."""

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        self.inner.charge(request)
        raise RuntimeError("the worker died after the gateway answered")


class MeanwhileGateway(Wrapped):
    """Runs ``meanwhile`` (once) when a batch is charged, then charges it: something done
    through a use case while the batch's payments are in flight."""

    def __init__(self, inner: PaymentGateway, meanwhile: Callable[[], object]) -> None:
        super().__init__(inner)
        self.meanwhile = meanwhile
        self.calls = 0

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        self.calls += 1
        if self.calls == 1:
            self.meanwhile()
        return self.inner.charge_many(requests)


def event_rows(app: Plansmith, org: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, object id, data) of the organization's outbox events, oldest first."""
    c = t.outbox_events.c
    q = select(c.type, c.object_id, c.data).where(c.organization_id == org).order_by(c.seq)
    with app.engine.connect() as connection:
        return [(ty, oid, dict(data)) for ty, oid, data in connection.execute(q)]


# Event fields that differ between two organizations built alike, or between two runs.
_VARYING = {
    "id",
    "number",
    "organization_id",
    "account_id",
    "invoice_id",
    "payment_id",
    "subscription_id",
}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _plain(v)
            for k, v in value.items()
            if k not in _VARYING and not k.endswith("_at") and not k.endswith("_id")
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _mentions(data: Any, ids: set[str]) -> bool:
    if isinstance(data, dict):
        return any(_mentions(v, ids) for v in data.values())
    if isinstance(data, list):
        return any(_mentions(v, ids) for v in data)
    return isinstance(data, str) and data in ids


def events_of(app: Plansmith, org: str, who: Customer) -> list[tuple[str, Any]]:
    """The customer's events from the first payment event on (type, data without ids and
    times), oldest first: what collecting its invoice published."""
    ids = {who.account_id, who.invoice_id, who.subscription_id}
    mine = [
        (ty, data) for ty, oid, data in event_rows(app, org) if oid in ids or _mentions(data, ids)
    ]
    return [(ty, _plain(data)) for ty, data in mine]


def outcome(app: Plansmith, org: str, who: Customer) -> dict[str, Any]:
    """Everything a collection leaves behind for one customer, without ids or times."""
    with app.uow() as uow:
        invoice = uow.invoices.get_invoice(org, who.invoice_id)
        assert invoice is not None
        found = sorted(
            uow.payments.of_account(who.account_id, before=None, limit=50),
            key=lambda p: (p.created_at, p.kind.value, p.status.value),
        )
        payments = [
            (p.kind.value, p.status.value, p.amount, p.decline_code, p.to_balance) for p in found
        ]
        # the rest of each payment: ids only as "there" and "this invoice's"
        settled = [
            (
                p.message,
                p.settled_at,
                p.gateway,
                p.gateway_reference is not None,
                p.payment_method_id is not None,
                p.invoice_id == who.invoice_id,
                p.idempotency_key.rsplit("-", 1)[-1],
            )
            for p in found
        ]
        ledger = {
            a.value: uow.ledger.ledger_balance(who.account_id, a, "USD") for a in LedgerAccount
        }
        dunning = uow.collections.get(who.invoice_id)
        collection = (
            None if dunning is None else (dunning.state, dunning.failures, dunning.next_attempt_at)
        )
        sub = uow.subscriptions.get(org, who.subscription_id)
        assert sub is not None
    return {
        "payments": payments,
        "invoice": (
            invoice.status.value,
            invoice.totals.total,
            invoice.totals.credit_applied,
            invoice.totals.amount_due,
        ),
        "settled": settled,
        "dates": (invoice.finalized_at, invoice.paid_at, invoice.voided_at),
        "ledger": ledger,
        "collection": collection,
        "subscription": sub.status.value,
        "events": events_of(app, org, who),
    }


def batch(
    app: Plansmith, org: str, ids: list[str], gateway: PaymentGateway | None = None
) -> BatchCollected:
    """collect_batch of these invoices, through ``gateway`` (default: the organization's)."""
    charged = app.gateway_for(org) if gateway is None else gateway
    return collect_batch(app.uow(), charged, clock_of(app, org), org, ids)


def newest_open(app: Plansmith, org: str, other_than: str) -> str:
    """The organization's one open invoice besides ``other_than``."""
    i = t.invoices.c
    q = select(i.id).where(i.organization_id == org, i.status == "open", i.id != other_than)
    with app.engine.connect() as connection:
        (found,) = connection.execute(q).scalars().all()
    return str(found)


def keys_captured(app: Plansmith, invoice_id: str) -> tuple[int, int]:
    """(succeeded payments of the invoice, captures at the gateway under their keys)."""
    p, c = t.payments.c, t.sandbox_charges.c
    with app.engine.connect() as connection:
        keys = dict(
            connection.execute(
                select(p.idempotency_key, p.status).where(p.invoice_id == invoice_id)
            ).all()
        )
        captured = connection.execute(
            select(c.idempotency_key).where(
                c.idempotency_key.in_(list(keys)), c.kind == "charge", c.outcome == "succeeded"
            )
        ).all()
    return sum(1 for s in keys.values() if s == "succeeded"), len(captured)


def at_once(app: Plansmith, org: str, ids: list[str]) -> list[BatchCollected]:
    """Two batches over the same invoices, each its own thread and unit of work, released
    together."""
    barrier = threading.Barrier(2)

    def run(_: int) -> BatchCollected:
        uow = app.uow()
        barrier.wait()
        return collect_batch(uow, app.gateway_for(org), clock_of(app, org), org, ids)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, range(2)))
