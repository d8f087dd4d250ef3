"""collect_batch (application/payments/collection_batch.py, ADR 0023) against collect_invoice,
on SQLite and PostgreSQL with the real sandbox gateway: every invoice of a batch ends exactly
as collecting it alone would leave it (payments, invoice, ledger, dunning, subscription,
events), an invoice voided, marked paid or credited while its batch is being charged keeps
what the card paid beyond what it owes on the balance, a customer's "pay now" meanwhile
captures once, a past-due subscription recovers, two batches over the same invoices at once
capture and count each attempt once (PostgreSQL), and invoices the batch may not collect are
refused as collect_invoice refuses them while the rest is collected."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import run_billing
from plansmith.application.invoicing.invoices import (
    issue_credit_note,
    mark_paid,
    mark_uncollectible,
    void_invoice,
)
from plansmith.application.kernel.errors import NotFound
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.collection_batch import collect_batch
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.ledger import LedgerAccount
from tests.conftest import Tenant, make_tenant
from tests.integration.collection_batch_support import (
    CrashAfterCharge,
    Customer,
    MeanwhileGateway,
    at_once,
    batch,
    clock_of,
    customers,
    event_rows,
    keys_captured,
    newest_open,
    outcome,
)
from tests.integration.collection_support import PRICE, captures, catalog, invoice_state

A = LedgerAccount

BILLED = ["subscription.created", "invoice.finalized"]
RETRY_AT = datetime(2026, 2, 1, 15, 0, tzinfo=UTC)  # the first retry: a day after
RESOLVE_AT = datetime(2026, 1, 31, 15, 15, tzinfo=UTC)  # a timeout asked again soon
RENEWED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # past the first period's end
MIXED: list[str | None] = [
    "tok_sandbox_success",
    "tok_sandbox_insufficient_funds",
    "tok_sandbox_timeout_succeeded",
    "tok_sandbox_timeout_failed",
    "tok_sandbox_success",  # holds 400 of the 1,000 it owes: the card pays 600
    "tok_sandbox_success",  # its payment left in flight by a crashed attempt
    "tok_sandbox_success",  # paid already (a bank transfer)
    None,  # no card
    "tok_sandbox_success",  # marked uncollectible
]
HELD = 400


@pytest.fixture
def grace_minutes() -> int:
    return 0


def _mixed(app: Plansmith, org: str) -> list[Customer]:
    catalog(app, org)
    made = customers(app, org, MIXED, top_up={4: HELD})
    crashed = CrashAfterCharge(app.gateway_for(org))
    with pytest.raises(RuntimeError):
        collect_invoice(app.uow(), crashed, clock_of(app, org), org, made[5].invoice_id)
    mark_paid(app.uow(), clock_of(app, org), org, made[6].invoice_id)
    mark_uncollectible(app.uow(), clock_of(app, org), org, made[8].invoice_id)
    return made


def test_a_mixed_batch_ends_as_collecting_each_alone(container: Plansmith, tenant: Tenant) -> None:
    batch_org = tenant.organization_id
    alone_org = make_tenant(container, "Twin Operator").organization_id
    in_batch = _mixed(container, batch_org)
    alone = _mixed(container, alone_org)

    done = collect_batch(
        container.uow(),
        container.gateway_for(batch_org),
        clock_of(container, batch_org),
        batch_org,
        [c.invoice_id for c in in_batch],
    )
    for c in alone:
        collect_invoice(
            container.uow(),
            container.gateway_for(alone_org),
            clock_of(container, alone_org),
            alone_org,
            c.invoice_id,
        )

    assert done.errors == []
    assert len(done.outcomes) == len(MIXED)
    got = [outcome(container, batch_org, c) for c in in_batch]
    want = [outcome(container, alone_org, c) for c in alone]
    for n, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, (n, MIXED[n])
    retry = RETRY_AT
    soon = RESOLVE_AT
    assert [(o["payments"], o["invoice"], o["collection"], o["subscription"]) for o in got] == [
        ([("payment", "succeeded", PRICE, None, 0)], ("paid", PRICE, 0, 0), None, "active"),
        (
            [("payment", "failed", PRICE, "insufficient_funds", 0)],
            ("open", PRICE, 0, PRICE),
            ("scheduled", 1, retry),
            "past_due",
        ),
        (
            [("payment", "unknown", PRICE, None, 0)],
            ("open", PRICE, 0, PRICE),
            ("scheduled", 0, soon),
            "active",
        ),
        (
            [("payment", "unknown", PRICE, None, 0)],
            ("open", PRICE, 0, PRICE),
            ("scheduled", 0, soon),
            "active",
        ),
        (
            [
                ("payment", "succeeded", PRICE - HELD, None, 0),
                ("top_up", "succeeded", HELD, None, 0),
            ],
            ("paid", PRICE, HELD, 0),
            None,
            "active",
        ),
        ([("payment", "succeeded", PRICE, None, 0)], ("paid", PRICE, 0, 0), None, "active"),
        ([], ("paid", PRICE, 0, 0), None, "active"),
        (
            [("payment", "failed", PRICE, "no_payment_method", 0)],
            ("open", PRICE, 0, PRICE),
            ("scheduled", 1, retry),
            "past_due",
        ),
        ([("payment", "succeeded", PRICE, None, 0)], ("paid", PRICE, 0, 0), None, "active"),
    ]
    paid = {A.REVENUE.value: -PRICE, A.CASH.value: PRICE}
    owed = {A.REVENUE.value: -PRICE, A.RECEIVABLE.value: PRICE}
    assert [{k: v for k, v in o["ledger"].items() if v} for o in got] == [
        paid,
        owed,
        owed,
        owed,
        paid,
        paid,
        paid,
        owed,
        paid,
    ]
    assert [[ty for ty, _d in o["events"]] for o in got] == [
        [*BILLED, "invoice.paid", "payment.succeeded"],
        [*BILLED, "payment.failed", "subscription.past_due"],
        BILLED,
        BILLED,
        ["payment.succeeded", *BILLED, "invoice.paid", "payment.succeeded"],  # the top-up's first
        [*BILLED, "invoice.paid", "payment.succeeded"],
        [*BILLED, "invoice.paid"],  # marked paid before the batch
        [*BILLED, "payment.failed", "subscription.past_due"],
        [*BILLED, "invoice.marked_uncollectible", "invoice.paid", "payment.succeeded"],
    ]
    # each captured once at the gateway: the in-flight one's key asked again, not charged anew
    assert captures(container) == 2 * 6  # each organization: its top-up and 5 invoices' cards


@pytest.mark.parametrize("meanwhile", ["void", "mark_paid"])
def test_an_invoice_settled_while_its_batch_is_charged_keeps_the_capture_on_the_balance(
    container: Plansmith, tenant: Tenant, meanwhile: str
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    gone, kept = customers(container, org, ["tok_sandbox_success"] * 2)
    settle = void_invoice if meanwhile == "void" else mark_paid
    gateway = MeanwhileGateway(
        container.gateway_for(org),
        lambda: settle(container.uow(), clock_of(container, org), org, gone.invoice_id),
    )

    done = batch(container, org, [gone.invoice_id, kept.invoice_id], gateway)

    assert gateway.calls == 1 and done.errors == []
    after = "void" if meanwhile == "void" else "paid"
    assert invoice_state(container, gone.invoice_id) == (after, 0 if after == "paid" else PRICE)
    assert invoice_state(container, kept.invoice_id) == ("paid", 0)
    mine = outcome(container, org, gone)
    assert mine["payments"] == [("payment", "succeeded", PRICE, None, 0)]
    # nothing lost: the card's 1,000 sits on the balance (customer_credit, sign turned)
    held = {A.CUSTOMER_CREDIT.value: -PRICE, A.CASH.value: PRICE}
    if meanwhile == "mark_paid":  # paid outside too: revenue earned, that payment's cash
        held = {A.CUSTOMER_CREDIT.value: -PRICE, A.CASH.value: 2 * PRICE, A.REVENUE.value: -PRICE}
    assert {k: v for k, v in mine["ledger"].items() if v} == held
    assert mine["collection"] is None
    assert [ty for ty, _d in mine["events"]][-1] == "payment.succeeded"
    assert captures(container) == 2


def _past_due_renewed(app: Plansmith, org: str) -> Customer:
    """A customer whose first invoice was declined (dunning scheduled, subscription past due),
    billed again a month later: the renewal's invoice, open, owing, with no dunning state."""
    catalog(app, org)
    (first,) = customers(app, org, ["tok_sandbox_declines_1"])
    declined = collect_invoice(
        app.uow(), app.gateway_for(org), clock_of(app, org), org, first.invoice_id
    )
    assert declined.payment is not None and declined.payment.status.value == "failed"
    return first


def test_a_past_due_subscriptions_new_invoice_paid_in_a_batch_recovers_it(
    container: Plansmith, tenant: Tenant
) -> None:
    batch_org = tenant.organization_id
    alone_org = make_tenant(container, "Twin Operator").organization_id
    first = _past_due_renewed(container, batch_org)
    twin = _past_due_renewed(container, alone_org)
    assert outcome(container, batch_org, first)["subscription"] == "past_due"
    clock = container.clock
    assert isinstance(clock, TestClock)
    clock.set(RENEWED)
    for org in (batch_org, alone_org):
        run_billing(container.uow(), clock_of(container, org), org, grace=timedelta(0))
    renewal = replace(first, invoice_id=newest_open(container, batch_org, first.invoice_id))
    twin_renewal = replace(twin, invoice_id=newest_open(container, alone_org, twin.invoice_id))

    done = batch(container, batch_org, [renewal.invoice_id])
    collect_invoice(
        container.uow(),
        container.gateway_for(alone_org),
        clock_of(container, alone_org),
        alone_org,
        twin_renewal.invoice_id,
    )

    assert done.errors == []
    got = outcome(container, batch_org, renewal)
    assert got == outcome(container, alone_org, twin_renewal)
    assert got["subscription"] == "active"
    assert got["invoice"] == ("paid", PRICE, 0, 0)
    assert [ty for ty, _d in got["events"]][-3:] == [
        "invoice.paid",
        "subscription.payment_recovered",
        "payment.succeeded",
    ]
    # the first invoice is still owed, its dunning still scheduled
    assert invoice_state(container, first.invoice_id) == ("open", PRICE)
    older = outcome(container, batch_org, first)["collection"]
    assert older is not None and older[:2] == ("scheduled", 1)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_batches_over_the_same_invoices_at_once_capture_each_once(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    for _round in range(4):
        made = customers(container, org, ["tok_sandbox_success"] * 8)
        ids = [c.invoice_id for c in made]

        results = at_once(container, org, ids)

        assert [r.errors for r in results] == [[], []]
        assert all(invoice_state(container, i) == ("paid", 0) for i in ids)
        assert all(keys_captured(container, i) == (1, 1) for i in ids)
        reported = {
            (o.invoice.id, o.payment.id)
            for r in results
            for o in r.outcomes
            if o and o.payment and o.payment.status.value == "succeeded"
        }
        # whoever reports an invoice's capture reports its one payment
        assert sorted(i for i, _p in reported) == sorted(ids)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_batches_of_declines_and_timeouts_at_once_count_each_attempt_once(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    tokens = [
        "tok_sandbox_success",
        "tok_sandbox_insufficient_funds",
        "tok_sandbox_declines_1",
        "tok_sandbox_timeout_succeeded",
        "tok_sandbox_timeout_failed",
    ]
    for _round in range(3):
        made = customers(container, org, tokens)

        results = at_once(container, org, [c.invoice_id for c in made])

        assert [r.errors for r in results] == [[], []]
        rows = [outcome(container, org, c) for c in made]
        # one attempt each, captured at most once, a decline counted once by dunning
        assert [len(o["payments"]) for o in rows] == [1] * len(tokens)
        for c, o in zip(made, rows, strict=True):
            ok = sum(1 for p in o["payments"] if p[1] == "succeeded")
            assert keys_captured(container, c.invoice_id) == (ok, ok)
        assert rows[0]["invoice"] == ("paid", PRICE, 0, 0)
        for declined in rows[1:3]:
            assert declined["payments"][0][1:4] == ("failed", PRICE, "insufficient_funds")
            assert declined["collection"][:2] == ("scheduled", 1)
            assert declined["subscription"] == "past_due"
        # a timeout answers unknown, or what it really was if asked again meanwhile
        assert rows[3]["payments"][0][1] in ("unknown", "succeeded")
        assert rows[4]["payments"][0][1] in ("unknown", "failed")
        assert rows[4]["invoice"] == ("open", PRICE, 0, PRICE)


def test_a_batch_of_three_publishes_each_invoices_events_as_one_by_one(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    made = customers(container, org, ["tok_sandbox_success"] * 3)

    done = batch(container, org, [c.invoice_id for c in made])

    assert done.errors == [] and len(done.outcomes) == 3
    rows = event_rows(container, org)
    for c in made:
        paid = [
            (ty, data["data"])
            for ty, oid, data in rows
            if ty.startswith(("invoice.paid", "payment."))
            and (oid == c.invoice_id or data["data"].get("invoice_id") == c.invoice_id)
        ]
        assert [ty for ty, _d in paid] == ["invoice.paid", "payment.succeeded"]
        assert paid[0][1]["paid_amount"] == PRICE and paid[0][1]["amount_due"] == 0
        assert paid[1][1]["amount"] == PRICE and paid[1][1]["status"] == "succeeded"


def test_unknown_and_other_organizations_invoices_are_refused_and_the_rest_collected(
    container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    org, other = tenant.organization_id, other_tenant.organization_id
    catalog(container, org)
    catalog(container, other)
    mine = customers(container, org, ["tok_sandbox_success"] * 2)
    (theirs,) = customers(container, other, ["tok_sandbox_success"])
    ids = [mine[0].invoice_id, "inv_nosuchinvoice", theirs.invoice_id, mine[1].invoice_id]
    refusals = {}
    for refused in ("inv_nosuchinvoice", theirs.invoice_id):  # what collect_invoice says
        with pytest.raises(NotFound) as caught:
            collect_invoice(
                container.uow(), container.gateway_for(org), clock_of(container, org), org, refused
            )
        refusals[refused] = caught.value.message

    done = batch(container, org, ids)

    assert sorted(done.errors) == sorted(refusals.items())
    assert all(invoice_state(container, c.invoice_id) == ("paid", 0) for c in mine)
    assert invoice_state(container, theirs.invoice_id) == ("open", PRICE)
    assert outcome(container, other, theirs)["payments"] == []
    assert captures(container) == 2


def test_an_invoice_credited_in_part_while_charged_pays_the_rest_to_the_balance(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    (who,) = customers(container, org, ["tok_sandbox_success"])
    credited = 300
    gateway = MeanwhileGateway(
        container.gateway_for(org),
        lambda: issue_credit_note(
            container.uow(), clock_of(container, org), org, who.invoice_id, credited, "goodwill"
        ),
    )

    done = batch(container, org, [who.invoice_id], gateway)

    assert done.errors == []
    mine = outcome(container, org, who)
    assert mine["payments"] == [("payment", "succeeded", PRICE, None, 0)]
    assert mine["invoice"][0] == "paid" and mine["invoice"][3] == 0
    # the card paid what was still owed (700); the 300 the note took off is the customer's
    assert -mine["ledger"][A.CUSTOMER_CREDIT.value] == credited
    assert mine["ledger"][A.CASH.value] == PRICE
    assert captures(container) == 1


def test_a_customers_pay_now_while_the_batch_is_charged_captures_once(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    catalog(container, org)
    who, other = customers(container, org, ["tok_sandbox_success"] * 2)
    gateway = MeanwhileGateway(
        container.gateway_for(org),
        lambda: collect_invoice(
            container.uow(),
            container.gateway_for(org),
            clock_of(container, org),
            org,
            who.invoice_id,
            by_customer=True,
        ),
    )

    done = batch(container, org, [who.invoice_id, other.invoice_id], gateway)

    assert done.errors == []
    # the customer's call found the batch's payment in flight and asked about it: one payment
    assert outcome(container, org, who)["payments"] == [("payment", "succeeded", PRICE, None, 0)]
    assert [invoice_state(container, c.invoice_id) for c in (who, other)] == [("paid", 0)] * 2
    assert keys_captured(container, who.invoice_id) == (1, 1)
    assert captures(container) == 2
    assert [ty for ty, _d in outcome(container, org, who)["events"]][-2:] == [
        "invoice.paid",
        "payment.succeeded",
    ]
