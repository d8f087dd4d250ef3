"""The billing run's unit of work: one transaction for a batch of subscriptions.

Billing one subscription on its own costs about 35 statements, nearly all of them round trips.
Here, what the run reads of a batch is loaded in a few queries when the unit of work opens,
and what it writes is held and written in bulk (executemany) at commit: a batch of 500 costs
about 30 statements in all. The use-case code is the very code that bills one subscription;
these repositories answer the same calls from memory. A call they do not know goes to the
database as usual, so it must not depend on rows still held back (none of the run's do).

The guarantees stay in the database: every subscription update checks its revision and the
row count is checked; items are taken only while uninvoiced; the unique (subscription,
billing key) and (kind, reference) constraints hold. If anything refuses, the whole batch rolls
back with Conflict and the caller bills those subscriptions one at a time.

Invoice numbers: the organization's counter row is locked from the moment a number is taken
until commit, so the batch hands out stand-ins while it works and takes the real numbers, one
block, as its very last statement; the invoices get them in the order they were finalized.
Two workers' batches then wait for each other only for that one statement and the commit,
and the numbers stay gapless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Self

from sqlalchemy import ARRAY, Text, any_, bindparam, delete, func, literal, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.bulk import bulk_insert, bulk_update
from plansmith.adapters.db.coupon_repositories import SqlCoupons, redemptions_where
from plansmith.adapters.db.invoice_repositories import SqlInvoices, invoice_row, line_rows
from plansmith.adapters.db.ledger_repositories import SqlLedger, entry_rows, transaction_row
from plansmith.adapters.db.repositories import SqlAccounts, SqlInvoiceAddresses
from plansmith.adapters.db.run_repositories import SqlRunRecords
from plansmith.adapters.db.subscription_repositories import (
    SqlSubscriptions,
    event_rows,
    item_of_row,
    item_rows,
    span_of_row,
    span_rows,
    subscription_of_row,
    subscription_values,
)
from plansmith.adapters.db.tax_rate_repositories import SqlTaxRates
from plansmith.adapters.db.unit_of_work import SqlUnitOfWork
from plansmith.application.billing_ports import Redemption
from plansmith.application.errors import Conflict
from plansmith.application.invoices import invoice_number
from plansmith.application.ports import StoredItem
from plansmith.domain import error_codes as ec
from plansmith.domain.accounts import Account, InvoiceAddress
from plansmith.domain.held_log import Span
from plansmith.domain.invoicing import Invoice, TaxRate
from plansmith.domain.ledger import LedgerAccount, Transaction
from plansmith.domain.subscriptions import Event, Subscription

S, IT = t.subscriptions.c, t.subscription_items.c


@dataclass
class _Loaded:
    """What the run reads of the batch, loaded at once (and kept current as it writes)."""

    subscriptions: dict[str, Subscription]
    logs: dict[str, list[Span]]
    pending: dict[str, list[StoredItem]]
    last_event: dict[str, int]
    invoice_keys: set[tuple[str, str]]
    accounts: dict[str, Account]
    addresses: dict[str, InvoiceAddress]
    account_rates: dict[str, str]
    redemptions: dict[str, list[Redemption]]
    credit: dict[tuple[str, str], int]  # (account, currency) -> customer credit balance
    tax_rates: dict[str, list[TaxRate]] = field(default_factory=dict)


@dataclass
class _Held:
    """What the run wrote, in the order it is written at commit."""

    subscription_updates: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    span_deletes: list[tuple[str, int]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, tuple[Invoice, str | None, dict[str, object]]] = field(default_factory=dict)
    takes: list[tuple[str, str]] = field(default_factory=list)  # (item, invoice) stored before
    transactions: list[Transaction] = field(default_factory=list)
    posted: set[tuple[str, str]] = field(default_factory=set)
    redemption_uses: list[str] = field(default_factory=list)
    numbered: dict[str, list[str]] = field(default_factory=dict)  # org -> invoices, in order
    run_counts: list[tuple[str, int, int, int, datetime, datetime | None]] = field(
        default_factory=list
    )


class _Among:
    """``column IN (ids)`` for a batch. PostgreSQL gets one array parameter (``= ANY``): a
    list of 500 parameters would be a new statement for the driver to parse each time."""

    def __init__(self, session: Session) -> None:
        self.arrays = session.get_bind().dialect.name == "postgresql"

    def __call__(self, column: Any, values: Sequence[str]) -> Any:
        found = sorted(set(values))
        if self.arrays:
            return column == any_(literal(found, ARRAY(Text())))
        return column.in_(found)


def _load(session: Session, ids: Sequence[str]) -> _Loaded:
    _in = _Among(session)
    subs = {
        r.id: subscription_of_row(r)
        for r in session.execute(select(t.subscriptions).where(_in(S.id, ids)))
    }
    ids = sorted(subs)
    sp = t.subscription_spans.c
    logs: dict[str, list[Span]] = {i: [] for i in ids}
    for row in session.execute(
        select(t.subscription_spans).where(_in(sp.subscription_id, ids)).order_by(sp.seq)
    ):
        logs[row.subscription_id].append(span_of_row(row))
    e = t.subscription_events.c
    pending: dict[str, list[StoredItem]] = {i: [] for i in ids}
    q = (
        select(t.subscription_items)
        .join(t.subscription_events, e.id == IT.event_id)
        .where(_in(IT.subscription_id, ids), IT.invoice_id.is_(None))
        .order_by(e.seq, IT.position)
    )
    for row in session.execute(q):
        pending[row.subscription_id].append(item_of_row(row))
    last_event = dict(
        session.execute(
            select(e.subscription_id, func.max(e.seq))
            .where(_in(e.subscription_id, ids))
            .group_by(e.subscription_id)
        ).all()
    )
    inv = t.invoices.c
    keys = {
        (s, k)
        for s, k in session.execute(
            select(inv.subscription_id, inv.billing_key).where(_in(inv.subscription_id, ids))
        )
    }
    account_ids = [s.account_id for s in subs.values()]
    a = t.accounts.c
    accounts = {
        r.id: Account(**r._mapping)
        for r in session.execute(select(t.accounts).where(_in(a.id, account_ids)))
    }
    address_ids = [x.default_invoice_address_id for x in accounts.values()]
    ad = t.invoice_addresses.c
    addresses = {
        r.id: InvoiceAddress(**r._mapping)
        for r in session.execute(
            select(t.invoice_addresses).where(_in(ad.id, [i for i in address_ids if i]))
        )
    }
    ar = t.account_tax_rates.c
    rates = dict(
        session.execute(
            select(ar.account_id, ar.tax_rate_id).where(_in(ar.account_id, account_ids))
        ).all()
    )
    redemptions = redemptions_where(session, _in(t.coupon_redemptions.c.subscription_id, ids))
    organizations = sorted({s.organization_id for s in subs.values()})
    credit = _credit(session, _in, organizations, account_ids)
    if credit and session.get_bind().dialect.name == "postgresql":
        # Accounts that have credit are held until commit (as hold_credit does for one), and
        # their credit read again under the lock: nobody else can use it meanwhile.
        holders = sorted({account for account, _currency in credit})
        session.execute(select(a.id).where(_in(a.id, holders)).order_by(a.id).with_for_update())
        credit = _credit(session, _in, organizations, holders)
    return _Loaded(
        subs, logs, pending, last_event, keys, accounts, addresses, rates, redemptions, credit
    )


def _credit(
    session: Session, among: _Among, organizations: Sequence[str], accounts: Sequence[str]
) -> dict[tuple[str, str], int]:
    """(account, currency) -> customer credit balance, where it is not zero."""
    le = t.ledger_entries.c
    q = (
        select(le.account_id, le.currency, func.sum(le.amount))
        .where(
            among(le.organization_id, organizations),
            among(le.account_id, accounts),
            le.ledger_account == LedgerAccount.CUSTOMER_CREDIT.value,
        )
        .group_by(le.account_id, le.currency)
    )
    return {(account, currency): int(n) for account, currency, n in session.execute(q) if n}


class _BatchSubscriptions(SqlSubscriptions):
    def __init__(self, session: Session, loaded: _Loaded, held: _Held) -> None:
        super().__init__(session)
        self.loaded, self.held = loaded, held

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None:
        sub = self.loaded.subscriptions.get(subscription_id)
        if sub is None:
            return super().get(organization_id, subscription_id)
        return sub if sub.organization_id == organization_id else None

    def log(self, subscription_id: str) -> Sequence[Span]:
        if subscription_id not in self.loaded.logs:
            return super().log(subscription_id)
        return list(self.loaded.logs[subscription_id])

    def items(self, subscription_id: str, *, pending_only: bool) -> Sequence[StoredItem]:
        if not pending_only or subscription_id not in self.loaded.pending:
            return super().items(subscription_id, pending_only=pending_only)
        return list(self.loaded.pending[subscription_id])

    def update(self, subscription: Subscription, expected_revision: int) -> None:
        if subscription.id not in self.loaded.subscriptions:
            return super().update(subscription, expected_revision)
        first = self.held.subscription_updates.get(subscription.id)
        expected = first[1] if first else expected_revision
        if self.loaded.subscriptions[subscription.id].revision != expected_revision:
            raise Conflict("the subscription changed within this batch", code=ec.CONCURRENT_CHANGE)
        values = {**subscription_values(subscription), "revision": expected_revision + 1}
        self.held.subscription_updates[subscription.id] = (values, expected)
        self.loaded.subscriptions[subscription.id] = replace(
            subscription, revision=expected_revision + 1
        )

    def save_log(
        self, subscription: Subscription, write: Sequence[Span], delete_seqs: Sequence[int]
    ) -> None:
        if subscription.id not in self.loaded.logs:
            return super().save_log(subscription, write, delete_seqs)
        touched = {s.seq for s in write} | set(delete_seqs)
        self.held.span_deletes += [(subscription.id, seq) for seq in sorted(touched)]
        self.held.spans += span_rows(subscription, write)
        kept = [s for s in self.loaded.logs[subscription.id] if s.seq not in touched]
        self.loaded.logs[subscription.id] = sorted([*kept, *write], key=lambda s: s.seq)

    def add_events(
        self, subscription: Subscription, events: Sequence[Event], actor: str, at: Any
    ) -> Sequence[str]:
        if subscription.id not in self.loaded.subscriptions:
            return super().add_events(subscription, events, actor, at)
        last = self.loaded.last_event.get(subscription.id, 0)
        rows = event_rows(subscription, events, actor, at, last + 1)
        self.loaded.last_event[subscription.id] = last + len(rows)
        self.held.events += rows
        return [row["id"] for row in rows]

    def add_items(self, subscription: Subscription, items: Sequence[StoredItem]) -> None:
        if subscription.id not in self.loaded.pending:
            return super().add_items(subscription, items)
        for row in item_rows(subscription, items):
            self.held.items[row["id"]] = row
        self.loaded.pending[subscription.id] += [s for s in items if s.invoice_id is None]


class _BatchInvoices(SqlInvoices):
    def __init__(self, session: Session, loaded: _Loaded, held: _Held) -> None:
        super().__init__(session)
        self.loaded, self.held = loaded, held

    def has_invoice(self, subscription_id: str, billing_key: str) -> bool:
        if subscription_id not in self.loaded.subscriptions:
            return super().has_invoice(subscription_id, billing_key)
        return (subscription_id, billing_key) in self.loaded.invoice_keys

    def add_invoice(
        self, invoice: Invoice, billing_key: str | None, buyer: dict[str, object]
    ) -> None:
        sub_id = invoice.subscription_id
        if sub_id is None or sub_id not in self.loaded.subscriptions or billing_key is None:
            return super().add_invoice(invoice, billing_key, buyer)
        if (sub_id, billing_key) in self.loaded.invoice_keys:
            raise Conflict(
                "this subscription is invoiced for that period already", code=ec.INVOICE_EXISTS
            )
        self.loaded.invoice_keys.add((sub_id, billing_key))
        self.held.invoices[invoice.id] = (invoice, billing_key, buyer)
        # As a reload would find: the draft carries its coupons (a use each once finalized).
        carried = {d.coupon_id for d in invoice.discounts}
        found = self.loaded.redemptions.get(sub_id, [])
        for i, redemption in enumerate(found):
            if redemption.coupon.id in carried:
                found[i] = replace(redemption, in_drafts=redemption.in_drafts + 1)

    def get_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        held = self.held.invoices.get(invoice_id)
        if held is None:
            return super().get_invoice(organization_id, invoice_id)
        return held[0] if held[0].organization_id == organization_id else None

    def hold_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        if invoice_id not in self.held.invoices:
            return super().hold_invoice(organization_id, invoice_id)
        return self.get_invoice(organization_id, invoice_id)  # its own: nobody else sees it

    def update_invoice(self, invoice: Invoice, expected_status: str) -> None:
        held = self.held.invoices.get(invoice.id)
        if held is None:
            return super().update_invoice(invoice, expected_status)
        if held[0].status.value != expected_status:
            raise Conflict("the invoice changed within this batch", code=ec.CONCURRENT_CHANGE)
        if held[0].number is None and invoice.number is not None:
            self.held.numbered.setdefault(invoice.organization_id, []).append(invoice.id)
        self.held.invoices[invoice.id] = (invoice, held[1], held[2])

    def take_items(self, invoice_id: str, item_ids: Sequence[str]) -> None:
        held = self.held.invoices.get(invoice_id)
        if held is None or held[0].subscription_id is None:
            return super().take_items(invoice_id, item_ids)
        pending = self.loaded.pending[held[0].subscription_id]
        waiting = {s.id for s in pending}
        if not set(item_ids) <= waiting:
            raise Conflict(
                "some of these items were invoiced at the same time", code=ec.CONCURRENT_CHANGE
            )
        for item_id in item_ids:
            row = self.held.items.get(item_id)
            if row is not None:
                row["invoice_id"] = invoice_id  # written once, already taken
            else:
                self.held.takes.append((item_id, invoice_id))
        taken = set(item_ids)
        pending[:] = [s for s in pending if s.id not in taken]

    def next_number(self, organization_id: str, kind: str) -> int:
        if kind != "invoice":
            return super().next_number(organization_id, kind)
        # A stand-in: the real one is taken at commit (see the module docstring).
        return len(self.held.numbered.setdefault(organization_id, [])) + 1

    def number_invoices(self) -> None:
        """Take each organization's block of numbers and give them out; the last statement."""
        for organization_id, invoice_ids in sorted(self.held.numbered.items()):
            last = self.take_numbers(organization_id, "invoice", len(invoice_ids))
            first = last - len(invoice_ids) + 1
            numbered = [
                {"id": invoice_id, "number": invoice_number(first + k)}
                for k, invoice_id in enumerate(invoice_ids)
            ]
            bulk_update(self.session, t.invoices, numbered)


class _BatchTaxRates(SqlTaxRates):
    def __init__(self, session: Session, loaded: _Loaded, held: _Held) -> None:
        super().__init__(session)
        self.loaded, self.held = loaded, held

    def tax_rates(self, organization_id: str) -> Sequence[TaxRate]:
        if organization_id not in self.loaded.tax_rates:
            self.loaded.tax_rates[organization_id] = list(super().tax_rates(organization_id))
        return self.loaded.tax_rates[organization_id]

    def account_tax_rate(self, account_id: str) -> str | None:
        if account_id not in self.loaded.accounts:
            return super().account_tax_rate(account_id)
        return self.loaded.account_rates.get(account_id)


class _BatchCoupons(SqlCoupons):
    def __init__(self, session: Session, loaded: _Loaded, held: _Held) -> None:
        super().__init__(session)
        self.loaded, self.held = loaded, held

    def redemptions(self, subscription_id: str) -> Sequence[Redemption]:
        if subscription_id not in self.loaded.subscriptions:
            return super().redemptions(subscription_id)
        return list(self.loaded.redemptions.get(subscription_id, []))

    def count_redemption_use(self, redemption_id: str) -> None:
        for found in self.loaded.redemptions.values():
            for i, redemption in enumerate(found):
                if redemption.id == redemption_id:
                    # Its draft is finalized: a use counted, no longer one waiting.
                    found[i] = replace(
                        redemption,
                        invoices_used=redemption.invoices_used + 1,
                        in_drafts=max(redemption.in_drafts - 1, 0),
                    )
                    self.held.redemption_uses.append(redemption_id)
                    return
        super().count_redemption_use(redemption_id)


class _BatchLedger(SqlLedger):
    def __init__(self, session: Session, loaded: _Loaded, held: _Held) -> None:
        super().__init__(session)
        self.loaded, self.held = loaded, held

    def post(self, transaction: Transaction) -> None:
        if transaction.account_id not in self.loaded.accounts:
            return super().post(transaction)
        key = (transaction.kind, transaction.reference)
        if key in self.held.posted:
            raise Conflict(
                f"{transaction.kind} was posted for {transaction.reference} already",
                code=ec.ALREADY_POSTED,
            )
        self.held.posted.add(key)
        self.held.transactions.append(transaction)
        for entry in transaction.entries:
            if entry.account is LedgerAccount.CUSTOMER_CREDIT:
                at = (transaction.account_id, entry.currency)
                self.loaded.credit[at] = self.loaded.credit.get(at, 0) + entry.amount

    def hold_credit(self, account_id: str) -> None:
        # Accounts of the batch that have credit were held when it was loaded; one without
        # had none to use twice (credit added since waits for a later invoice).
        if account_id not in self.loaded.accounts:
            super().hold_credit(account_id)

    def ledger_balance(self, account_id: str, ledger_account: LedgerAccount, currency: str) -> int:
        if ledger_account is LedgerAccount.CUSTOMER_CREDIT and account_id in self.loaded.accounts:
            return self.loaded.credit.get((account_id, currency), 0)
        held = sum(
            e.amount
            for x in self.held.transactions
            if x.account_id == account_id
            for e in x.entries
            if e.account is ledger_account and e.currency == currency
        )
        return super().ledger_balance(account_id, ledger_account, currency) + held


class _BatchRuns(SqlRunRecords):
    def __init__(self, session: Session, loaded: _Loaded, held: _Held) -> None:
        super().__init__(session)
        self.loaded, self.held = loaded, held

    def count_run(
        self,
        run_id: str,
        renewed: int,
        invoiced: int,
        finalized: int,
        at: datetime,
        lease_until: datetime | None = None,
    ) -> None:
        # Held, and written after the numbers: workers sharing a run hold its row only then.
        self.held.run_counts.append((run_id, renewed, invoiced, finalized, at, lease_until))

    def write_run_counts(self) -> None:
        for run_id, renewed, invoiced, finalized, at, lease_until in self.held.run_counts:
            super().count_run(run_id, renewed, invoiced, finalized, at, lease_until)


class _BatchAccounts(SqlAccounts):
    def __init__(self, session: Session, loaded: _Loaded) -> None:
        super().__init__(session)
        self.loaded = loaded

    def get(self, organization_id: str, account_id: str) -> Account | None:
        account = self.loaded.accounts.get(account_id)
        if account is None or account.organization_id != organization_id:
            return super().get(organization_id, account_id)
        return account


class _BatchAddresses(SqlInvoiceAddresses):
    def __init__(self, session: Session, loaded: _Loaded) -> None:
        super().__init__(session)
        self.loaded = loaded

    def get(self, organization_id: str, address_id: str) -> InvoiceAddress | None:
        address = self.loaded.addresses.get(address_id)
        if address is None or address.organization_id != organization_id:
            return super().get(organization_id, address_id)
        return address


def _write(session: Session, held: _Held) -> None:
    """Everything held, in bulk, in an order the foreign keys accept."""
    if held.span_deletes:
        sp = t.subscription_spans.c
        session.execute(
            delete(t.subscription_spans).where(
                tuple_(sp.subscription_id, sp.seq).in_(held.span_deletes)
            )
        )
    if held.subscription_updates:
        rows = [
            {**values, "id": sub_id, "b_revision": expected}
            for sub_id, (values, expected) in sorted(held.subscription_updates.items())
        ]
        if bulk_update(session, t.subscriptions, rows, checked=True) != len(rows):
            raise Conflict(
                "a subscription of this batch was changed at the same time",
                code=ec.CONCURRENT_CHANGE,
            )
    for table, rows in (
        (t.subscription_spans, held.spans),
        (t.subscription_events, held.events),
        (t.invoices, [{**invoice_row(*x), "number": None} for x in held.invoices.values()]),
        (t.invoice_lines, [row for x in held.invoices.values() for row in line_rows(x[0])]),
        (t.subscription_items, list(held.items.values())),
    ):
        bulk_insert(session, table, rows)
    if held.takes:
        result = session.execute(
            update(t.subscription_items)
            .where(IT.id == bindparam("b_id"), IT.invoice_id.is_(None))
            .values(invoice_id=bindparam("b_invoice")),
            [{"b_id": item, "b_invoice": invoice} for item, invoice in held.takes],
        )
        if result.rowcount != len(held.takes):  # type: ignore[attr-defined]
            raise Conflict(
                "some of these items were invoiced at the same time", code=ec.CONCURRENT_CHANGE
            )
    for table, rows in (
        (t.ledger_transactions, [transaction_row(x) for x in held.transactions]),
        (t.ledger_entries, [row for x in held.transactions for row in entry_rows(x)]),
    ):
        bulk_insert(session, table, rows)
    if held.redemption_uses:
        r = t.coupon_redemptions.c
        session.execute(
            update(t.coupon_redemptions)
            .where(r.id == bindparam("b_id"))
            .values(invoices_used=r.invoices_used + 1),
            [{"b_id": x} for x in held.redemption_uses],
        )


class BatchUnitOfWork(SqlUnitOfWork):
    """Bills a batch of subscriptions in one transaction (see the module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], subscription_ids: Sequence[str]):
        super().__init__(session_factory)
        self._ids = list(subscription_ids)

    def __enter__(self) -> Self:
        super().__enter__()
        try:
            loaded, self._held = _load(self.session, self._ids), _Held()
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)  # closes the session
            raise
        self.subscriptions = _BatchSubscriptions(self.session, loaded, self._held)
        self.invoices = self._invoices = _BatchInvoices(self.session, loaded, self._held)
        self.tax_rates = _BatchTaxRates(self.session, loaded, self._held)
        self.coupons = _BatchCoupons(self.session, loaded, self._held)
        self.ledger = _BatchLedger(self.session, loaded, self._held)
        self.billing_runs = self._runs = _BatchRuns(self.session, loaded, self._held)
        self.accounts = _BatchAccounts(self.session, loaded)
        self.invoice_addresses = _BatchAddresses(self.session, loaded)
        return self

    def commit(self) -> None:
        try:
            _write(self.session, self._held)
            self._invoices.number_invoices()
            self._runs.write_run_counts()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict(
                "a subscription of this batch was billed at the same time",
                code=ec.CONCURRENT_CHANGE,
            ) from exc
        except Conflict:
            self.session.rollback()
            raise
        except DBAPIError as exc:
            self.session.rollback()
            # Two batches over the same subscriptions (two runs at once) may deadlock on their
            # row locks; PostgreSQL aborts one, which is then billed one subscription at a time.
            if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
                raise Conflict(
                    "this batch met another one billing the same subscriptions",
                    code=ec.CONCURRENT_CHANGE,
                ) from exc
            raise
        super().commit()
