"""What the upcoming invoice of one account reads: the billing step's snapshot of the account's
subscriptions, in a fixed number of statements that grows neither with the account's history
nor with the catalog (the price book comes from the caller, cached per process).

Unlike the billing run's loader it holds nothing, reads no customer credit (a draft uses
none) and reads only the billing keys the step may still ask about: a key is made from the
period the subscription is in (or the day it stopped), which only moves forward, so invoices
keyed before the stored period can never match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.billing.snapshots import Among, pending_credit_charges
from plansmith.adapters.db.invoicing.coupons import redemptions_where
from plansmith.adapters.db.invoicing.tax_rates import rate_of_row
from plansmith.adapters.db.subscriptions.history_rows import span_of_row
from plansmith.adapters.db.subscriptions.item_rows import item_of_row
from plansmith.adapters.db.subscriptions.rows import subscription_of_row
from plansmith.application.billing.ports import (
    AccountHoldings,
    BillingSnapshot,
    SubscriptionSnapshot,
)
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.invoicing.invoice import TaxRate
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove
from plansmith.domain.subscriptions.subscription import (
    BillableItem,
    Subscription,
)
from plansmith.domain.usage.packs import PackStatus

S, SP, IT = t.subscriptions.c, t.subscription_spans.c, t.subscription_items.c
P, R = t.usage_packs.c, t.catalog_revisions.c
A, AD, AR = t.accounts.c, t.invoice_addresses.c, t.account_tax_rates.c
_SPAN = ("seq", "start_on", "end_on", "terms", "plan_name", "trial", "pay_per_day", "ended_by")


# The statements below are built once, with bind parameters: building them per call (their
# ~80 labelled columns, an alias's column collection) cost more CPU than running them.
# Untyped: each use takes the type of the column it is compared with.
ORG: BindParameter[Any] = bindparam("organization_id")
ACCOUNT: BindParameter[Any] = bindparam("account_id")


def _held_rows_statement(*more: ColumnElement[Any]) -> Select[Any]:
    """The account with its default address and own tax rate, and its subscriptions with
    their logs, in one statement: a row per span (the account alone when it holds none),
    with ``more`` columns on each."""
    return (
        select(
            *[c.label(f"acct_{c.name}") for c in t.accounts.c],
            AR.tax_rate_id.label("own_tax_rate_id"),
            *[c.label(f"address_{c.name}") for c in t.invoice_addresses.c],
            *more,
            t.subscriptions,
            *[SP[name].label(f"span_{name}") for name in _SPAN],
        )
        .select_from(
            t.accounts.outerjoin(t.account_tax_rates, AR.account_id == A.id)
            .outerjoin(
                t.invoice_addresses,
                and_(AD.id == A.default_invoice_address_id, AD.organization_id == ORG),
            )
            .outerjoin(
                t.subscriptions,
                and_(S.account_id == A.id, S.organization_id == A.organization_id),
            )
            .outerjoin(t.subscription_spans, SP.subscription_id == S.id)
        )
        .where(A.organization_id == ORG, A.id == ACCOUNT)
        .order_by(S.created_at, S.id, SP.seq)
    )


def _snapshot_rows() -> Select[Any]:
    """The held rows with each subscription's last event."""
    e = t.subscription_events.c
    last = select(func.max(e.seq)).where(e.subscription_id == S.id).scalar_subquery()
    return _held_rows_statement(last.label("last_event_seq"))


def _holdings_rows() -> Select[Any]:
    """The held rows with the catalog revision and, as one text the same on each row ("day
    meter units" joined by ";", a meter code holds neither a space nor a ";"), the account's
    paid packs since its earliest subscription's period: a list inside a row on both
    databases."""
    revision = select(R.revision).where(R.organization_id == ORG)
    s2 = t.subscriptions.alias("held").c
    since = select(func.min(s2.period_start)).where(s2.account_id == A.id)
    packs = select(
        func.aggregate_strings(
            cast(P.period_start, String) + " " + P.meter + " " + cast(P.units, String), ";"
        )
    ).where(
        P.account_id == A.id,
        P.period_start >= since.scalar_subquery(),
        P.status == PackStatus.PAID.value,
    )
    return _held_rows_statement(
        revision.scalar_subquery().label("catalog_revision"),
        packs.scalar_subquery().label("paid_packs"),
    )


_SNAPSHOT_ROWS, _HOLDINGS_ROWS = _snapshot_rows(), _holdings_rows()
_TAX_RATES = (
    select(t.tax_rates)
    .where(t.tax_rates.c.organization_id == ORG)
    .order_by(t.tax_rates.c.created_at)
)


class SqlUpcomingReads:
    def __init__(self, session: Session) -> None:
        self.session = session

    def account_snapshot(
        self,
        organization_id: str,
        account_id: str,
        book: PriceBook,
        moves: Mapping[str, RenewalMove],
    ) -> tuple[Account, InvoiceAddress | None, BillingSnapshot] | None:
        rows = self._held_rows(_SNAPSHOT_ROWS, organization_id, account_id)
        if not rows:
            return None
        account, address, own_rate, subs, logs = _held_of(rows)
        last_event = {r.id: r.last_event_seq or 0 for r in rows if r.id is not None}
        ids = list(subs)
        pending = self._pending(ids)
        keys = self._keys([subs[i] for i in ids if pending[i]])
        _in = Among(self.session)
        redemptions = (
            redemptions_where(self.session, _in(t.coupon_redemptions.c.subscription_id, ids))
            if ids
            else {}
        )
        rates = self._tax_rates(organization_id)
        charged = pending_credit_charges(self.session, _in, pending)
        entries = {
            sub_id: SubscriptionSnapshot(
                subscription=sub,
                log=tuple(logs[sub_id]),
                pending=tuple(pending[sub_id]),
                last_event_seq=last_event[sub_id],
                invoiced_keys=frozenset(keys.get(sub_id, ())),
                account=account,
                address=address,
                account_tax_rate_id=own_rate,
                redemptions=tuple(redemptions.get(sub_id, ())),
                charged=tuple(charged.get(sub_id, ())),
            )
            for sub_id, sub in subs.items()
        }
        return account, address, BillingSnapshot(organization_id, book, moves, rates, {}, entries)

    def account_holdings(self, organization_id: str, account_id: str) -> AccountHoldings | None:
        """Two statements: the tax rates, and a row per span of each subscription (the account
        alone when it holds none) with the account, its default address and own tax rate, and
        as scalar subqueries the catalog revision and each subscription's paid packs."""
        rows = self._held_rows(_HOLDINGS_ROWS, organization_id, account_id)
        if not rows:
            return None
        account, address, own_rate, subs, logs = _held_of(rows)
        r = rows[0]._mapping
        return AccountHoldings(
            account,
            address,
            own_rate,
            self._tax_rates(organization_id),
            tuple((sub, tuple(logs[sub_id])) for sub_id, sub in subs.items()),
            int(r["catalog_revision"] or 0),
            _packs(r["paid_packs"]),
        )

    def _held_rows(
        self, statement: Select[Any], organization_id: str, account_id: str
    ) -> list[Row[Any]]:
        ids = {"organization_id": organization_id, "account_id": account_id}
        return list(self.session.execute(statement, ids))

    def _tax_rates(self, organization_id: str) -> tuple[TaxRate, ...]:
        rows = self.session.execute(_TAX_RATES, {"organization_id": organization_id})
        return tuple(rate_of_row(row) for row in rows)

    def _pending(self, ids: Sequence[str]) -> dict[str, list[tuple[str, BillableItem]]]:
        pending: dict[str, list[tuple[str, BillableItem]]] = {i: [] for i in ids}
        if not ids:
            return pending
        e = t.subscription_events.c
        q = (
            select(t.subscription_items)
            .join(t.subscription_events, e.id == IT.event_id)
            .where(IT.subscription_id.in_(list(ids)), IT.invoice_id.is_(None))
            .order_by(e.seq, IT.position)
        )
        for row in self.session.execute(q):
            stored = item_of_row(row)
            pending[row.subscription_id].append((stored.id, stored.item))
        return pending

    def _keys(self, subs: Sequence[Subscription]) -> dict[str, set[str]]:
        """The billing keys invoiced for these subscriptions from their stored period (or
        stop day, if earlier) on; the step asks only about those when items are pending."""
        keys: dict[str, set[str]] = {}
        if not subs:
            return keys
        inv = t.invoices.c
        wanted = [
            and_(
                inv.subscription_id == s.id,
                or_(
                    and_(inv.billing_key >= f"period:{_from(s)}", inv.billing_key < "period;"),
                    and_(inv.billing_key >= f"stop:{_from(s)}", inv.billing_key < "stop;"),
                ),
            )
            for s in subs
        ]
        q = select(inv.subscription_id, inv.billing_key).where(or_(*wanted))
        for sub_id, key in self.session.execute(q):
            keys.setdefault(sub_id, set()).add(key)
        return keys


def _held_of(
    rows: Sequence[Row[Any]],
) -> tuple[
    Account, InvoiceAddress | None, str | None, dict[str, Subscription], dict[str, list[Span]]
]:
    """The account, its address, its own tax rate, and its subscriptions (oldest first) with
    their logs, from ``_held_rows``."""
    r = rows[0]._mapping
    account = Account(**{c.name: r[f"acct_{c.name}"] for c in t.accounts.c})
    address = None
    if r["address_id"] is not None:
        address = InvoiceAddress(**{c.name: r[f"address_{c.name}"] for c in t.invoice_addresses.c})
    subs: dict[str, Subscription] = {}
    logs: dict[str, list[Span]] = {}
    for row in rows:
        m = row._mapping
        if m["id"] is None:
            continue  # the account holds no subscription
        if m["id"] not in subs:
            subs[m["id"]] = subscription_of_row(row)
            logs[m["id"]] = []
        if m["span_seq"] is not None:
            logs[m["id"]].append(span_of_row(row, "span_"))
    return account, address, r["own_tax_rate_id"], subs, logs


def _from(sub: Subscription) -> str:
    since: date = min(sub.period_start, sub.ended_on or sub.period_start)
    return since.isoformat()


def _packs(text: str | None) -> dict[tuple[date, str], tuple[int, ...]]:
    found: dict[tuple[date, str], tuple[int, ...]] = {}
    for pair in (text or "").split(";"):
        if pair:
            day, meter, units = pair.split(" ")
            key = (date.fromisoformat(day), meter)
            found[key] = (*found.get(key, ()), int(units))
    return found
