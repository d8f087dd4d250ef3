"""Writing a batch's billing outcomes in bulk: COPY on PostgreSQL, executemany elsewhere
(bulk.py), one statement per table, in an order the foreign keys accept.

The guarantees stay in the database: every subscription update checks its revision (one
``UPDATE ... FROM`` a scratch table) and the row count must be the batch's; stored items are
taken only while ``invoice_id IS NULL`` (row count checked); the unique (subscription,
billing key) and (kind, reference) constraints and the ledger's triggers hold for COPY as for
INSERT. Whatever refuses raises Conflict and the caller's transaction rolls back whole.

Invoice numbers are taken just before the invoices are written, so each invoice row is
written once, with its number (not inserted, then updated): one block per organization from
its counter, given in the order the invoices were finalized. Everything that does not refer
to an invoice by foreign key (items, postings) is written before. The counter row is locked
from that statement until commit, so two workers' batches wait for each other only while
one writes its invoices, their lines and its events and commits, and a rolled-back batch
gives its block back with everything else: the numbers stay gapless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.billing.snapshots import load_snapshot
from plansmith.adapters.db.bulk import bulk_insert, bulk_update
from plansmith.adapters.db.invoicing.invoice_rows import invoice_row, line_rows
from plansmith.adapters.db.invoicing.invoices import SqlInvoices
from plansmith.adapters.db.invoicing.ledger import entry_rows, transaction_row
from plansmith.adapters.db.subscriptions.history_rows import event_rows, record_events, span_rows
from plansmith.adapters.db.subscriptions.item_rows import item_rows
from plansmith.adapters.db.subscriptions.rows import subscription_values
from plansmith.application.billing.ports import BillingOutcome, BillingSnapshot
from plansmith.application.invoicing.drafts import invoice_number
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions.ports import StoredItem
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel import error_codes as ec

IT = t.subscription_items.c


def _items(outcome: BillingOutcome, event_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The items the step made, taken already by its invoice if it made one."""
    sub = outcome.subscription
    invoice_id = outcome.invoice.invoice.id if outcome.invoice is not None else None
    stored = [
        StoredItem(n.id, sub.id, event_ids[n.event], n.item, invoice_id, outcome.at)
        for n in outcome.items
    ]
    return item_rows(sub, stored)


def _subscriptions(session: Session, outcomes: Sequence[BillingOutcome]) -> None:
    """Spans deleted, subscriptions updated (revision checked), spans and events inserted."""
    saved = [o for o in outcomes if o.events]
    touched = [
        (o.subscription.id, seq)
        for o in saved
        for seq in sorted({s.seq for s in o.spans_written} | set(o.spans_deleted))
    ]
    if touched:
        sp = t.subscription_spans.c
        session.execute(
            delete(t.subscription_spans).where(tuple_(sp.subscription_id, sp.seq).in_(touched))
        )
    rows = [
        {
            **subscription_values(o.subscription),
            "revision": o.before.revision + 1,
            "id": o.subscription.id,
            "b_revision": o.before.revision,
        }
        for o in sorted(saved, key=lambda o: o.subscription.id)
    ]
    if bulk_update(session, t.subscriptions, rows, checked=True) != len(rows):
        raise Conflict(
            "a subscription of this batch was changed at the same time", code=ec.CONCURRENT_CHANGE
        )
    bulk_insert(
        session,
        t.subscription_spans,
        [row for o in saved for row in span_rows(o.subscription, o.spans_written)],
    )


def write_outcomes(session: Session, outcomes: Sequence[BillingOutcome]) -> Mapping[str, str]:
    """Everything the outcomes hold, in bulk; returns invoice id -> number."""
    _subscriptions(session, outcomes)
    events, items = [], []
    for o in outcomes:
        rows = event_rows(o.subscription, o.events, o.actor, o.at, o.first_seq)
        events += rows
        items += _items(o, [row["id"] for row in rows])
    record_events(session, events)
    invoiced = [o.invoice for o in outcomes if o.invoice is not None]
    # Items and postings refer to invoices by id only (no foreign key): written before the
    # numbers are taken, so the counter is held only while the invoices and their lines
    # are written, then until the commit.
    bulk_insert(session, t.subscription_items, items)
    takes = [{"b_id": item, "b_invoice": x.invoice.id} for x in invoiced for item in x.taken]
    if takes:
        result = session.execute(
            update(t.subscription_items)
            .where(IT.id == bindparam("b_id"), IT.invoice_id.is_(None))
            .values(invoice_id=bindparam("b_invoice")),
            takes,
        )
        if result.rowcount != len(takes):  # type: ignore[attr-defined]
            raise Conflict(
                "some of these items were invoiced at the same time", code=ec.CONCURRENT_CHANGE
            )
    postings = [x.posting for x in invoiced if x.posting is not None]
    bulk_insert(session, t.ledger_transactions, [transaction_row(p) for p in postings])
    bulk_insert(session, t.ledger_entries, [row for p in postings for row in entry_rows(p)])
    uses = [{"b_id": r} for x in invoiced for r in x.redemption_uses]
    if uses:
        r = t.coupon_redemptions.c
        session.execute(
            update(t.coupon_redemptions)
            .where(r.id == bindparam("b_id"))
            .values(invoices_used=r.invoices_used + 1),
            uses,
        )
    # Each invoice is written once, with its number.
    numbers = _number(session, [x.invoice for x in invoiced if x.finalized])
    bulk_insert(
        session,
        t.invoices,
        [
            {
                **invoice_row(
                    x.invoice, x.billing_key, dict(x.buyer), x.seller if x.finalized else None
                ),
                "number": numbers.get(x.invoice.id),
            }
            for x in invoiced
        ],
    )
    bulk_insert(session, t.invoice_lines, [row for x in invoiced for row in line_rows(x.invoice)])
    return numbers


def _number(session: Session, finalized: Sequence[Invoice]) -> dict[str, str]:
    """Each organization's block of numbers, in the order given."""
    by_organization: dict[str, list[str]] = {}
    for invoice in finalized:
        by_organization.setdefault(invoice.organization_id, []).append(invoice.id)
    numbers: dict[str, str] = {}
    for organization_id, invoice_ids in sorted(by_organization.items()):
        last = SqlInvoices(session).take_numbers(organization_id, "invoice", len(invoice_ids))
        first = last - len(invoice_ids) + 1
        for k, invoice_id in enumerate(invoice_ids):
            numbers[invoice_id] = invoice_number(first + k)
    return numbers


class SqlBillingBatches:
    def __init__(self, session: Session) -> None:
        self.session = session

    def snapshot(
        self, organization_id: str, subscription_ids: Sequence[str], *, hold_credit: bool
    ) -> BillingSnapshot:
        return load_snapshot(
            self.session, organization_id, subscription_ids, hold_credit=hold_credit
        )

    def write(self, outcomes: Sequence[BillingOutcome]) -> Mapping[str, str]:
        try:
            return write_outcomes(self.session, outcomes)
        except IntegrityError as exc:
            raise Conflict(
                "a subscription of this batch was billed at the same time",
                code=ec.CONCURRENT_CHANGE,
            ) from exc
        except DBAPIError as exc:
            # Two batches over the same subscriptions (two runs at once) may deadlock on their
            # row locks; PostgreSQL aborts one, which is then billed one subscription at a time.
            if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
                raise Conflict(
                    "this batch met another one billing the same subscriptions",
                    code=ec.CONCURRENT_CHANGE,
                ) from exc
            raise
