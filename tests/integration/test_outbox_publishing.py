"""Use cases publish typed events to the outbox in the transaction of their change, on SQLite
and PostgreSQL: subscriptions, invoices (finalized in a billing run's batch or alone, paid,
written off, voided), credit notes, plan-version moves, billing runs. A use case that fails
after publishing leaves no outbox row, and one whose outbox write fails leaves no change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db import unit_of_work
from plansmith.adapters.db.events import outbox as outbox_repositories
from plansmith.adapters.db.subscriptions.repositories import SqlSubscriptions
from plansmith.application.billing.run import run_billing
from plansmith.application.invoicing import invoices
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.events.registry import event_from_data
from tests.conftest import Tenant
from tests.unit.subscription_builders import new_account, seed_catalog

PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def _outbox(container: Plansmith, since: int = 0) -> list[dict[str, Any]]:
    c = t.outbox_events.c
    with container.engine.connect() as connection:
        rows = connection.execute(select(t.outbox_events).where(c.seq > since).order_by(c.seq))
        return [dict(r._mapping) for r in rows]


def _last_seq(container: Plansmith) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.max(t.outbox_events.c.seq))).scalar() or 0)


def _count(container: Plansmith, table: Any) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _setup(container: Plansmith, tenant: Tenant, clock: TestClock, n: int = 1) -> list[str]:
    org = tenant.organization_id
    seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
    subs = []
    for k in range(n):
        account = new_account(container, org, "USD", "UTC", name=f"Customer {k}")
        started = subscribe(container.uow(), clock, org, SubscribeInput(account, "seat"))
        subs.append(started.view.subscription.id)
    return subs


def test_subscription_use_cases_publish_what_their_history_records(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    before = _last_seq(container)
    (sub_id,) = _setup(container, tenant, clock)
    actions.change_subscription(
        container.uow(), clock, org, sub_id, actions.ChangeInput(quantity=3)
    )
    clock.advance(timedelta(days=3))
    actions.cancel_subscription(container.uow(), clock, org, sub_id, "now")
    actions.reactivate_subscription(container.uow(), clock, org, sub_id)

    rows = _outbox(container, before)
    assert [r["type"] for r in rows] == [
        "subscription.created",
        "subscription.changed",
        "subscription.canceled",
        "subscription.reactivated",
    ]
    assert {(r["organization_id"], r["object_type"], r["object_id"]) for r in rows} == {
        (org, "subscription", sub_id)
    }
    events = [event_from_data(r["data"]) for r in rows]
    changed = events[1].to_data()["data"]
    assert (changed["previous"]["quantity"], changed["terms"]["quantity"]) == (1, 3)
    assert changed["parts"] == ["more seats"] and changed["cause"] == "operator"
    # The history holds the same events, in the same order (one transaction wrote both).
    with container.engine.connect() as connection:
        c = t.subscription_events.c
        kinds = connection.execute(
            select(c.kind).where(c.subscription_id == sub_id).order_by(c.seq)
        ).scalars()
        assert list(kinds) == ["subscribed", "changed", "canceled", "reactivated"]
    reactivated = events[3].to_data()["data"]
    assert (reactivated["from_status"], reactivated["to_status"]) == ("canceled", "active")
    assert reactivated["terms"]["quantity"] == 3 and reactivated["period_end"] == "2026-02-28"


def test_a_billing_run_publishes_renewals_invoices_with_their_numbers_and_its_end(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    subs = _setup(container, tenant, clock, n=3)
    clock.advance(timedelta(days=30))  # past the first period end: each renews
    before = _last_seq(container)

    record = run_billing(container.uow(), clock, org, grace=timedelta(0))

    rows = _outbox(container, before)
    types = [r["type"] for r in rows]
    assert types.count("subscription.renewed") == 3
    assert types.count("invoice.finalized") == 3
    assert types[-1] == "billing_run.finished"
    with container.engine.connect() as connection:
        c = t.invoices.c
        stored = {i: n for i, n in connection.execute(select(c.id, c.number))}
    finalized = [event_from_data(r["data"]).to_data()["data"] for r in rows]
    numbers = {d["invoice_id"]: d["number"] for d in finalized if "number" in d and "total" in d}
    assert numbers == stored  # the numbers taken at the batch's commit, not stand-ins
    assert all(n and n.startswith("INV-") for n in numbers.values())
    assert {d["subscription_id"] for d in finalized if "invoice_id" in d} == set(subs)
    assert all(d["currency"] == "USD" and d["status"] == "open" for d in finalized[3:6])
    end = finalized[-1]
    assert (end["run_id"], end["renewed"], end["invoiced"]) == (record.id, 3, record.invoiced)


def test_invoice_changes_and_credit_notes_publish_their_events(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _setup(container, tenant, clock, n=3)
    run_billing(container.uow(), clock, org, grace=timedelta(hours=1))  # drafts
    with container.engine.connect() as connection:
        drafts = list(connection.execute(select(t.invoices.c.id)).scalars())
    a, b, c = sorted(drafts)
    before = _last_seq(container)

    for invoice_id in (a, b, c):
        invoices.finalize_invoice(container.uow(), clock, org, invoice_id)
    note = invoices.issue_credit_note(container.uow(), clock, org, a, 1000, "goodwill")
    invoices.mark_paid(container.uow(), clock, org, b)
    invoices.mark_uncollectible(container.uow(), clock, org, c)
    invoices.void_invoice(container.uow(), clock, org, c)

    rows = _outbox(container, before)
    assert [(r["type"], r["object_id"]) for r in rows] == [
        ("invoice.finalized", a),
        ("invoice.finalized", b),
        ("invoice.finalized", c),
        ("credit_note.issued", note.id),
        ("invoice.paid", a),  # the note settled all it owed
        ("invoice.paid", b),
        ("invoice.marked_uncollectible", c),
        ("invoice.voided", c),
    ]
    data = [event_from_data(r["data"]).to_data()["data"] for r in rows]
    assert (data[3]["amount"], data[3]["to_amount_due"], data[3]["invoice_id"]) == (1000, 1000, a)
    assert rows[3]["aggregate_id"] == a  # delivered in order with its invoice's events
    assert (data[4]["amount_due"], data[4]["paid_amount"]) == (0, 0)
    assert (data[5]["paid_amount"], data[5]["amount_due"]) == (1000, 0)
    assert data[7]["previous_status"] == "uncollectible" and data[7]["status"] == "void"


def test_a_use_case_that_fails_after_publishing_leaves_no_outbox_row(
    container: Plansmith, tenant: Tenant, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tenant.organization_id
    (sub_id,) = _setup(container, tenant, clock)
    before = _last_seq(container)
    history = _count(container, t.subscription_events)

    def refuse(*_args: object) -> None:
        raise RuntimeError("the disk is full")

    # Items are written after the events were published, before the commit.
    monkeypatch.setattr(SqlSubscriptions, "add_items", refuse)
    with pytest.raises(RuntimeError):
        actions.cancel_subscription(container.uow(), clock, org, sub_id, "now")

    assert _outbox(container, before) == []
    assert _count(container, t.subscription_events) == history


def test_a_failed_outbox_write_leaves_no_change(
    container: Plansmith, tenant: Tenant, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tenant.organization_id
    (sub_id,) = _setup(container, tenant, clock)
    before = _last_seq(container)
    history = _count(container, t.subscription_events)
    real = outbox_repositories.write_events

    def half_then_fail(session: Any, events: Any) -> None:
        real(session, events)
        raise RuntimeError("the connection dropped")

    monkeypatch.setattr(unit_of_work, "write_events", half_then_fail)
    with pytest.raises(RuntimeError):
        actions.cancel_subscription(container.uow(), clock, org, sub_id, "now")

    assert _outbox(container, before) == []
    assert _count(container, t.subscription_events) == history
    with container.engine.connect() as connection:
        status = connection.execute(
            select(t.subscriptions.c.status).where(t.subscriptions.c.id == sub_id)
        ).scalar_one()
    assert status == "active"
