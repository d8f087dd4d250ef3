"""Loading a billing snapshot: what the billing step reads of a batch, in a fixed number of
queries (one per table, whatever the batch size or the catalog's size).

Customer credit is held by whoever uses it (ADR 0009): loaded to finalize, the accounts that
have credit are locked (in id order) and their credit read again under the lock, so two
transactions never both use it; one without credit had none to use twice (credit added since
waits for a later invoice). SQLite's BEGIN IMMEDIATE already runs one writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, String, Text, and_, any_, case, func, literal, select
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.billing.usage_reads import batch_usage
from plansmith.adapters.db.catalog.price_books import read_catalog
from plansmith.adapters.db.invoicing.coupons import redemptions_where
from plansmith.adapters.db.invoicing.tax_rates import rate_of_row
from plansmith.adapters.db.organizations.branding import SqlBranding
from plansmith.adapters.db.subscriptions.history_rows import span_of_row
from plansmith.adapters.db.subscriptions.item_rows import item_of_row
from plansmith.adapters.db.subscriptions.rows import subscription_of_row
from plansmith.application.billing.ports import BillingSnapshot, SubscriptionSnapshot
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.invoicing.pricing import ChargedLine
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription
from plansmith.domain.subscriptions.usage_standing import Charging, owned_meters

S, IT = t.subscriptions.c, t.subscription_items.c


class Among:
    """``column IN (ids)`` for a batch. PostgreSQL gets one array (``= ANY``): a list of 500
    parameters would be a new statement for the driver to parse each time. The array goes
    as one text of comma-separated ids, split by the server: the driver quotes an array's
    elements one by one in Python, which cost more than the query (ids have no commas; any
    value with one goes as an array)."""

    def __init__(self, session: Session) -> None:
        self.arrays = session.get_bind().dialect.name == "postgresql"

    def __call__(self, column: Any, values: Sequence[str]) -> Any:
        found = sorted(set(values))
        if not self.arrays:
            return column.in_(found)
        joined = ",".join(found)
        if joined.count(",") == max(len(found) - 1, 0):
            return column == any_(func.string_to_array(literal(joined, Text()), ","))
        return column == any_(literal(found, ARRAY(Text())))


def _credit(
    session: Session, among: Among, organization_id: str, accounts: Sequence[str]
) -> dict[tuple[str, str], int]:
    """(account, currency) -> customer credit balance, where it is not zero."""
    le = t.ledger_entries.c
    q = (
        select(le.account_id, le.currency, func.sum(le.amount))
        .where(
            le.organization_id == organization_id,
            among(le.account_id, accounts),
            le.ledger_account == LedgerAccount.CUSTOMER_CREDIT.value,
        )
        .group_by(le.account_id, le.currency)
    )
    return {(account, currency): int(n) for account, currency, n in session.execute(q) if n}


def _net_of_open_invoices(
    session: Session,
    among: Among,
    organization_id: str,
    accounts: Sequence[str],
    credit: dict[tuple[str, str], int],
) -> dict[tuple[str, str], int]:
    """``credit`` plus what each account's open invoices in that currency still owe: they
    take a balance before any invoice the batch makes (ADR 0037)."""
    inv = t.invoices.c
    q = (
        select(inv.account_id, inv.currency, func.sum(inv.amount_due))
        .where(
            inv.organization_id == organization_id,
            among(inv.account_id, accounts),
            inv.status == "open",
            inv.amount_due > 0,
        )
        .group_by(inv.account_id, inv.currency)
    )
    net = dict(credit)
    for account, currency, owed in session.execute(q):
        net[(account, currency)] = net.get((account, currency), 0) + int(owed)
    return net


def pending_credit_charges(
    session: Session, among: Among, pending: dict[str, list[tuple[str, BillableItem]]]
) -> dict[str, list[ChargedLine]]:
    """Per subscription with a pending credit, its invoiced recurring and charge lines that
    end after its earliest credit starts, oldest first (in the order its events made them)."""
    starts = {
        sub_id: min(item.period_start for _id, item in items if item.kind is LineKind.CREDIT)
        for sub_id, items in pending.items()
        if any(item.kind is LineKind.CREDIT for _id, item in items)
    }
    found: dict[str, list[ChargedLine]] = {}
    if not starts:
        return found
    li, ev = t.invoice_lines.c, t.subscription_events.c
    q = (
        select(
            IT.subscription_id,
            IT.component,
            li.plan_id,
            li.period_start,
            li.period_end,
            li.amount,
            li.discount,
        )
        .select_from(
            t.invoice_lines.join(
                t.subscription_items, (IT.id == li.source_id) & (IT.invoice_id == li.invoice_id)
            ).join(t.subscription_events, ev.id == IT.event_id)
        )
        .where(
            among(IT.subscription_id, list(starts)),
            li.kind.in_([LineKind.RECURRING.value, LineKind.CHARGE.value]),
            li.period_end > min(starts.values()),
        )
        .order_by(IT.subscription_id, ev.seq, IT.position)
    )
    for sub_id, component, plan_id, start, end, amount, discount in session.execute(q):
        if end > starts[sub_id]:
            line = ChargedLine(component, plan_id, start, end, amount, discount)
            found.setdefault(sub_id, []).append(line)
    return found


def _invoiced_keys(session: Session, among: Among, ids: Sequence[str]) -> Any:
    """(subscription id, billing key) of the subscriptions' invoices that their next
    invoice's key may be: not those of a period or stop before the subscription's current
    period (or its stop, if that came first), as catching up only moves a subscription on.
    An invoice of every period it ever had would be read for each billing otherwise."""
    inv = t.invoices.c
    since: Any = case(
        (and_(S.ended_on.is_not(None), S.ended_on < S.period_start), S.ended_on),
        else_=S.period_start,
    )
    # The keys' dates are ISO dates ("period:2027-01-10"): as text they sort as dates.
    if session.get_bind().dialect.name == "postgresql":
        since = func.to_char(since, "YYYY-MM-DD")
    key = inv.billing_key

    def before(prefix: str) -> Any:
        return and_(key >= prefix, key < literal(prefix, String()).concat(since))

    return (
        select(inv.subscription_id, key)
        .join(t.subscriptions, S.id == inv.subscription_id)
        .where(among(S.id, ids), key.is_not(None), ~before("period:"), ~before("stop:"))
    )


def load_snapshot(
    session: Session, organization_id: str, ids: Sequence[str], *, hold_credit: bool
) -> BillingSnapshot:
    # Each query's rows are fetched at once (.all()): row by row costs a call per row.
    _in = Among(session)
    subs = {
        r.id: subscription_of_row(r)
        for r in session.execute(
            select(t.subscriptions).where(S.organization_id == organization_id, _in(S.id, ids))
        ).all()
    }
    ids = sorted(subs)
    sp = t.subscription_spans.c
    logs: dict[str, list[Span]] = {i: [] for i in ids}
    for row in session.execute(
        select(t.subscription_spans).where(_in(sp.subscription_id, ids)).order_by(sp.seq)
    ).all():
        logs[row.subscription_id].append(span_of_row(row))
    e = t.subscription_events.c
    pending: dict[str, list[tuple[str, BillableItem]]] = {i: [] for i in ids}
    q = (
        select(t.subscription_items)
        .join(t.subscription_events, e.id == IT.event_id)
        .where(_in(IT.subscription_id, ids), IT.invoice_id.is_(None))
        .order_by(e.seq, IT.position)
    )
    for row in session.execute(q).all():
        stored = item_of_row(row)
        pending[row.subscription_id].append((stored.id, stored.item))
    last_event = dict(
        session.execute(
            select(e.subscription_id, func.max(e.seq))
            .where(_in(e.subscription_id, ids))
            .group_by(e.subscription_id)
        ).all()
    )
    keys: dict[str, set[str]] = {i: set() for i in ids}
    for sub_id, key in session.execute(_invoiced_keys(session, _in, ids)).all():
        keys[sub_id].add(key)
    account_ids = [s.account_id for s in subs.values()]
    a = t.accounts.c
    accounts = {
        r.id: Account(**r._mapping)
        for r in session.execute(select(t.accounts).where(_in(a.id, account_ids))).all()
    }
    address_ids = [x.default_invoice_address_id for x in accounts.values()]
    ad = t.invoice_addresses.c
    addresses = {
        r.id: InvoiceAddress(**r._mapping)
        for r in session.execute(
            select(t.invoice_addresses).where(
                ad.organization_id == organization_id, _in(ad.id, [i for i in address_ids if i])
            )
        )
    }
    ar = t.account_tax_rates.c
    own_rates = dict(
        session.execute(
            select(ar.account_id, ar.tax_rate_id).where(_in(ar.account_id, account_ids))
        ).all()
    )
    redemptions = redemptions_where(session, _in(t.coupon_redemptions.c.subscription_id, ids))
    tr = t.tax_rates.c
    rates = tuple(
        rate_of_row(row)
        for row in session.execute(
            select(t.tax_rates).where(tr.organization_id == organization_id).order_by(tr.created_at)
        )
    )
    credit = _credit(session, _in, organization_id, account_ids)
    if hold_credit and credit and session.get_bind().dialect.name == "postgresql":
        holders = sorted({account for account, _currency in credit})
        session.execute(select(a.id).where(_in(a.id, holders)).order_by(a.id).with_for_update())
        credit = _credit(session, _in, organization_id, holders)
    if hold_credit:
        credit = _net_of_open_invoices(session, _in, organization_id, account_ids, credit)
    charged = pending_credit_charges(session, _in, pending)
    catalog = read_catalog(session, organization_id)
    since: dict[str, date] = {}
    for sub in subs.values():
        first = since.get(sub.account_id)
        start = sub.usage_read_from
        since[sub.account_id] = start if first is None else min(first, start)
    usage = batch_usage(session, _in, organization_id, catalog.book, since)
    entries = {}
    for sub_id, sub in subs.items():
        account = accounts[sub.account_id]
        address_id = account.default_invoice_address_id
        entries[sub_id] = SubscriptionSnapshot(
            subscription=sub,
            log=tuple(logs[sub_id]),
            pending=tuple(pending[sub_id]),
            last_event_seq=last_event.get(sub_id) or 0,
            invoiced_keys=frozenset(keys[sub_id]),
            account=account,
            address=addresses.get(address_id) if address_id is not None else None,
            account_tax_rate_id=own_rates.get(account.id),
            redemptions=tuple(redemptions.get(sub_id, ())),
            charged=tuple(charged.get(sub_id, ())),
            usage=tuple(
                day
                for day in usage.days.get(sub.account_id, ())
                if day.local_date >= sub.usage_read_from
            ),
            packs=usage.packs.get(sub.account_id, {}),
            owned=_owned(catalog.book, sub, usage.charging.get(sub.account_id, [])),
        )
    # Loaded to finalize: the seller its invoices keep, read once for the batch.
    branding = SqlBranding(session).get(organization_id) if hold_credit else None
    return BillingSnapshot(
        organization_id=organization_id,
        book=catalog.book,
        moves=catalog.moves,
        tax_rates=rates,
        credit=credit,
        entries=entries,
        seller=branding.seller if branding is not None else None,
        meters=usage.meters,
        event_grace=usage.grace,
    )


def _owned(book: PriceBook, sub: Subscription, account: Sequence[Charging]) -> frozenset[str]:
    terms = sub.terms
    me = Charging(sub.id, sub.created_at, terms.version_id, terms.currency, True, sub.stopped_at)
    return frozenset(owned_meters(book, me, account))
