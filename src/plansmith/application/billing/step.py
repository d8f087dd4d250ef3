"""The billing step: a pure function from a subscription's snapshot to its outcome.

For each subscription: walk it through the period ends it has passed (``advance``), put what
is pending (with what that made) on a draft for its billing key unless that key is invoiced
already, and, without a grace period, finalize the draft with the customer credit its
account has. No storage is read or written here: the billing run loads the snapshot and
writes the outcomes (billing_snapshot), and the upcoming invoice runs the same step on a
snapshot and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from plansmith.application.billing.ports import (
    BillingOutcome,
    BillingSnapshot,
    InvoiceOutcome,
    NewItem,
    SubscriptionSnapshot,
)
from plansmith.application.invoicing.drafts import (
    DraftInputs,
    billing_key,
    buyer,
    draft_invoice,
    finalized,
    tax_rate_of,
)
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.subscriptions.lifecycle import SYSTEM
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel.periods import local_date, local_midnight, zone
from plansmith.domain.subscriptions.events import PeriodClosed, common
from plansmith.domain.subscriptions.held_log import Span, apply_held, changed_spans
from plansmith.domain.subscriptions.renewals import Arrears, advance, period_end
from plansmith.domain.subscriptions.subscription import BillableItem, Outcome, Subscription
from plansmith.domain.subscriptions.usage_lines import (
    Measure,
    Packs,
    charges_at_end,
    stop_usage_items,
    usage_items,
)
from plansmith.domain.usage.measures import Measured
from plansmith.domain.usage.measures import measure as measured
from plansmith.domain.usage.meters import Aggregation


def _caught_up(
    snapshot: BillingSnapshot, entry: SubscriptionSnapshot, now: datetime
) -> tuple[Outcome, list[Span]]:
    """Every period end passed by now (in the subscription's time zone), and the log after.

    A period whose plan version charges usage ends only once its end + the grace window for
    late events has passed (ADR: usage lines in arrears): its usage is closed then, and the
    same end bills it, exactly once, with the renewal."""
    sub = entry.subscription
    today = local_date(now, zone(sub.time_zone))
    out = advance(
        sub, entry.log, snapshot.book, today, now, snapshot.moves, _arrears(snapshot, entry, now)
    )
    return out, apply_held(entry.log, out.held)


def _readers(snapshot: BillingSnapshot, entry: SubscriptionSnapshot) -> tuple[Measure, Packs]:
    def measure(meter: str, start: date, end: date) -> Measured:
        aggregation = snapshot.meters.get(meter, Aggregation.COUNT)
        return measured(aggregation, entry.usage, meter, start, end)

    def packs(meter: str, start: date, _end: date) -> Sequence[int]:
        return entry.packs.get((start, meter), ())

    return measure, packs


def _arrears(snapshot: BillingSnapshot, entry: SubscriptionSnapshot, now: datetime) -> Arrears:
    measure, packs = _readers(snapshot, entry)

    def arrears(sub: Subscription, spans: Sequence[Span]) -> Sequence[BillableItem] | None:
        if not charges_at_end(sub, snapshot.book):
            return ()
        if now < local_midnight(sub.period_end, zone(sub.time_zone)) + snapshot.event_grace:
            return None  # late events may still come: the end waits
        return usage_items(sub, spans, snapshot.book, measure, packs, entry.owned)

    return arrears


def _stop_usage_due(snapshot: BillingSnapshot, sub: Subscription, now: datetime) -> bool:
    stop = sub.stop_usage
    return stop is not None and now >= stop.closes_from + snapshot.event_grace


def _bill_stop_usage(
    snapshot: BillingSnapshot,
    entry: SubscriptionSnapshot,
    credit_balance: int,
    now: datetime,
    grace: timedelta,
    run_id: str | None,
) -> BillingOutcome:
    """ADR 0034: the usage of the period stopped in its middle, once its grace window has
    passed, on an invoice of its own (billing key ``stop-usage:<stop date>``). The window is
    cleared in the same save (the revision check and the unique billing and usage keys make
    a concurrent run bill nothing twice)."""
    sub = entry.subscription
    stop = sub.stop_usage
    assert stop is not None
    measure, packs = _readers(snapshot, entry)
    items = stop_usage_items(sub, entry.log, snapshot.book, measure, packs, entry.owned)
    after = replace(sub, stop_usage=None, updated_at=now)
    closed = PeriodClosed(
        **common(after, now, stop.on, sub.status),
        closed_start=stop.start,
        closed_end=stop.on + timedelta(days=1),
    )
    made = tuple(NewItem(new_id("item"), item, 0) for item in items)
    invoice = None
    if made and stop.billing_key not in entry.invoiced_keys:
        pending = [(n.id, n.item) for n in made]
        invoice = _invoice(
            snapshot,
            entry,
            after,
            stop.billing_key,
            pending,
            (),
            credit_balance,
            now,
            grace,
            run_id,
        )
    return BillingOutcome(
        before=sub,
        subscription=after,
        events=(closed,),
        first_seq=entry.last_event_seq + 1,
        spans_written=(),
        spans_deleted=(),
        items=made,
        invoice=invoice,
        actor=SYSTEM,
        at=now,
        stop_usage=True,
    )


def _invoice(
    snapshot: BillingSnapshot,
    entry: SubscriptionSnapshot,
    current: Subscription,
    key: str,
    pending: Sequence[tuple[str, BillableItem]],
    taken: tuple[str, ...],
    credit_balance: int,
    now: datetime,
    grace: timedelta,
    run_id: str | None,
) -> InvoiceOutcome:
    """The invoice of ``pending`` under ``key``: a draft, or finalized without a grace period
    with the customer credit its account has."""
    drafted = draft_invoice(
        current, snapshot.book, _inputs(snapshot, entry), pending, now, grace, run_id
    )
    made_out_to = buyer(entry.account, entry.address)
    if grace <= timedelta(0):
        done = finalized(drafted.invoice, credit_balance, entry.redemptions, now)
        return InvoiceOutcome(
            done.invoice,
            key,
            made_out_to,
            taken,
            done.posting,
            done.redemption_uses,
            snapshot.seller,
        )
    return InvoiceOutcome(drafted.invoice, key, made_out_to, taken, None, ())


def _inputs(snapshot: BillingSnapshot, entry: SubscriptionSnapshot) -> DraftInputs:
    rate = tax_rate_of(snapshot.tax_rates, entry.account_tax_rate_id, entry.address)
    return DraftInputs(entry.account, entry.redemptions, rate, entry.charged)


def bill_subscription(
    snapshot: BillingSnapshot,
    entry: SubscriptionSnapshot,
    credit_balance: int,
    now: datetime,
    grace: timedelta,
    run_id: str | None = None,
) -> BillingOutcome:
    """One subscription's step. ``credit_balance``: its account's customer-credit balance in
    its currency, as left by the subscriptions before it in the batch; ``run_id``: the
    billing run its invoice is made by (None: outside a run)."""
    sub = entry.subscription
    if _stop_usage_due(snapshot, sub, now):
        return _bill_stop_usage(snapshot, entry, credit_balance, now, grace, run_id)
    out, log_after = _caught_up(snapshot, entry, now)
    write: Sequence[Span] = ()
    delete: Sequence[int] = ()
    if out.held:  # a renewal on the same terms leaves the log as it was
        write, delete = changed_spans(entry.log, log_after)
    made = tuple(
        NewItem(new_id("item"), item, event)
        for item, event in zip(out.items, out.item_events, strict=True)
    )
    current = out.subscription
    key = billing_key(current)
    pending = [*entry.pending, *((n.id, n.item) for n in made)]
    invoice = None
    if pending and key not in entry.invoiced_keys:
        taken = tuple(item_id for item_id, _item in entry.pending)
        invoice = _invoice(
            snapshot, entry, current, key, pending, taken, credit_balance, now, grace, run_id
        )
    return BillingOutcome(
        before=sub,
        subscription=current,
        events=out.events,
        first_seq=entry.last_event_seq + 1,
        spans_written=tuple(write),
        spans_deleted=tuple(delete),
        items=made,
        invoice=invoice,
        actor=SYSTEM,
        at=now,
    )


def bill_all(
    snapshot: BillingSnapshot,
    subscription_ids: Sequence[str],
    now: datetime,
    grace: timedelta,
    run_id: str | None = None,
) -> list[BillingOutcome]:
    """Each subscription's step, in order; NotFound for an id the snapshot lacks (not the
    organization's). Subscriptions of one account share its credit: each finds what the
    ones before it left, less what the account's open invoices owe, those it finalized
    included (oldest first, ADR 0037): a credit one makes pays an older invoice before a
    later one's."""
    net = dict(snapshot.credit)  # the balance (negative) plus what open invoices owe
    outcomes = []
    for sub_id in subscription_ids:
        entry = snapshot.entries.get(sub_id)
        if entry is None:
            raise NotFound(f"no subscription {sub_id!r}", field="subscription_id")
        at = (entry.account.id, entry.subscription.terms.currency)
        available = min(0, net.get(at, 0))
        outcome = bill_subscription(snapshot, entry, available, now, grace, run_id)
        posting = outcome.invoice.posting if outcome.invoice is not None else None
        if posting is not None and outcome.invoice is not None:
            # What it took from the balance and what it still owes: its total, either way.
            net[at] = net.get(at, 0) + outcome.invoice.invoice.totals.total
        outcomes.append(outcome)
    return outcomes


def upcoming(
    snapshot: BillingSnapshot, entry: SubscriptionSnapshot, now: datetime, grace: timedelta
) -> tuple[Invoice, datetime | None] | None:
    """The subscription's next invoice as the run would make it, and when the run cuts it
    (None: no period end coming); None if it would bill nothing."""
    out, log_after = _caught_up(snapshot, entry, now)
    current = out.subscription
    stored = [item for _id, item in entry.pending]
    items: list[BillableItem]
    cut: datetime | None
    if stored and billing_key(current) not in entry.invoiced_keys:
        # The next run bills what is pending now, on its own (with any catch-up).
        items, cut = stored + list(out.items), now + grace
    else:
        # The next period end, on the state after the catch-up.
        items, cut = stored + list(out.items), None
        due: date | None = current.due_on()
        if due is not None:
            items += period_end(current, log_after, snapshot.book, now, snapshot.moves).items
            cut = local_midnight(due, zone(current.time_zone)) + grace
    if not items:
        return None
    numbered = [(f"upcoming:{i}", item) for i, item in enumerate(items)]
    inputs = _inputs(snapshot, entry)
    return draft_invoice(current, snapshot.book, inputs, numbered, now, grace).invoice, cut
