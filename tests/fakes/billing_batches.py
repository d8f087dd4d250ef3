"""The fake of the BillingBatches port: the snapshot the SQL loader builds
(adapters/db/billing_snapshots.py), read from the working rows, and the bulk write of the SQL
writer (adapters/db/billing_writer.py) with the same checks: the revision, the unique
(subscription, billing key), items taken only while uninvoiced, numbers given in a block in
the order the invoices were finalized (the SQL writer takes them just before the invoices)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace

from plansmith.application.billing.ports import (
    BillingBatches,
    BillingOutcome,
    BillingSnapshot,
    SubscriptionSnapshot,
)
from plansmith.application.invoicing.drafts import invoice_number
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions.ports import StoredItem
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus, LineKind
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.invoicing.pricing import ChargedLine
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.branding import Seller
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove, resolved_moves
from plansmith.domain.subscriptions.subscription import BillableItem
from tests.fakes.billing import FakeCoupons, FakeTaxRates
from tests.fakes.branding import FakeBranding
from tests.fakes.catalog import FakeAddOns, FakePlanFamilies, FakePlans, FakePlanVersions
from tests.fakes.invoices import FakeInvoices
from tests.fakes.store import FakeStore, InvoiceRow, ItemRow, Repo, Rows, SpanRow
from tests.fakes.subscriptions import FakeSubscriptions, record_events

Pending = list[tuple[str, BillableItem]]


class FakeBillingBatches(Repo):
    def snapshot(
        self, organization_id: str, subscription_ids: Sequence[str], *, hold_credit: bool
    ) -> BillingSnapshot:
        # ``hold_credit``: nothing to hold, the fake runs one unit of work at a time.
        rows = self._rows
        wanted = set(subscription_ids)
        subs = {
            s.id: s
            for s in rows.subscriptions.values()
            if s.organization_id == organization_id and s.id in wanted
        }
        reads = FakeSubscriptions(self._store, rows)
        pending: dict[str, Pending] = {
            sub_id: [(s.id, s.item) for s in reads.items(sub_id, pending_only=True)]
            for sub_id in subs
        }
        charged = self._charged(pending)
        coupons = FakeCoupons(self._store, rows)
        entries = {}
        for sub_id, sub in subs.items():
            account = rows.accounts[sub.account_id]
            address = rows.invoice_addresses.get(account.default_invoice_address_id or "")
            if address is not None and address.organization_id != organization_id:
                address = None
            entries[sub_id] = SubscriptionSnapshot(
                subscription=sub,
                log=tuple(reads.log(sub_id)),
                pending=tuple(pending[sub_id]),
                last_event_seq=max((e.seq for e in reads.events(sub_id)), default=0),
                invoiced_keys=frozenset(
                    r.billing_key
                    for r in rows.invoices.values()
                    if r.invoice.subscription_id == sub_id and r.billing_key is not None
                ),
                account=account,
                address=address,
                account_tax_rate_id=rows.account_tax_rates.get(account.id),
                redemptions=tuple(coupons.redemptions(sub_id)),
                charged=tuple(charged.get(sub_id, ())),
            )
        return BillingSnapshot(
            organization_id=organization_id,
            book=self._book(organization_id),
            moves=self._moves(organization_id),
            tax_rates=tuple(FakeTaxRates(self._store, rows).tax_rates(organization_id)),
            credit=self._credit(
                organization_id, {s.account_id for s in subs.values()}, owed=hold_credit
            ),
            entries=entries,
            seller=self._seller(organization_id) if hold_credit else None,
        )

    def _seller(self, organization_id: str) -> Seller | None:
        branding = FakeBranding(self._store, self._rows).get(organization_id)
        return branding.seller if branding is not None else None

    def _book(self, organization_id: str) -> PriceBook:
        store, rows = self._store, self._rows
        plans = FakePlans(store, rows).list(organization_id)
        versions = FakePlanVersions(store, rows).for_plans([p.id for p in plans])
        return PriceBook(
            families={f.id: f for f in FakePlanFamilies(store, rows).list(organization_id)},
            plans={p.id: p for p in plans},
            versions={v.id: v for v in versions},
            add_ons={a.code: a for a in FakeAddOns(store, rows).list(organization_id)},
        )

    def _moves(self, organization_id: str) -> dict[str, RenewalMove]:
        found = [
            m
            for m in self._rows.plan_version_moves.values()
            if m.organization_id == organization_id
        ]
        return resolved_moves(sorted(found, key=lambda m: (m.plan_id, m.created_at)))

    def _credit(
        self, organization_id: str, accounts: set[str], *, owed: bool
    ) -> dict[tuple[str, str], int]:
        """(account, currency) -> customer credit balance, where it is not zero; ``owed``
        (loaded to finalize): plus what the account's open invoices owe (ADR 0037)."""
        sums: dict[tuple[str, str], int] = {}
        for x in self._rows.transactions.values():
            if x.organization_id != organization_id or x.account_id not in accounts:
                continue
            for entry in x.entries:
                if entry.account is LedgerAccount.CUSTOMER_CREDIT:
                    key = (x.account_id, entry.currency)
                    sums[key] = sums.get(key, 0) + entry.amount
        net = {key: amount for key, amount in sums.items() if amount}
        for row in self._rows.invoices.values() if owed else ():
            i = row.invoice
            if (
                i.organization_id == organization_id
                and i.account_id in accounts
                and i.status is InvoiceStatus.OPEN
                and i.totals.amount_due > 0
            ):
                key = (i.account_id, i.currency)
                net[key] = net.get(key, 0) + i.totals.amount_due
        return net

    def _charged(self, pending: dict[str, Pending]) -> dict[str, list[ChargedLine]]:
        """Per subscription with a pending credit, its invoiced charges ending after its
        earliest credit starts, in the order its events made them."""
        starts = {
            sub_id: min(i.period_start for _id, i in items if i.kind is LineKind.CREDIT)
            for sub_id, items in pending.items()
            if any(i.kind is LineKind.CREDIT for _id, i in items)
        }
        if not starts:
            return {}
        lines = FakeInvoices(self._store, self._rows).charged_lines(
            list(starts), min(starts.values())
        )
        return {
            sub_id: [line for line in found if line.period_end > starts[sub_id]]
            for sub_id, found in lines.items()
        }

    def write(self, outcomes: Sequence[BillingOutcome]) -> Mapping[str, str]:
        # Written on a copy and put in place only when all of it holds: a Conflict leaves
        # the working rows as they were.
        staged = copy.deepcopy(self._rows)
        numbers = _write(self._store, staged, outcomes)
        for f in fields(Rows):
            setattr(self._rows, f.name, getattr(staged, f.name))
        return numbers


def _billed_meanwhile() -> Conflict:
    return Conflict(
        "a subscription of this batch was billed at the same time", code=ec.CONCURRENT_CHANGE
    )


def _subscriptions(store: FakeStore, rows: Rows, outcomes: Sequence[BillingOutcome]) -> None:
    """Revision-checked updates, then the spans written and deleted."""
    saved = [o for o in outcomes if o.events]
    for o in saved:
        stored = rows.subscriptions.get(o.subscription.id)
        if stored is None or stored.revision != o.before.revision:
            raise Conflict(
                "a subscription of this batch was changed at the same time",
                code=ec.CONCURRENT_CHANGE,
            )
    subs = FakeSubscriptions(store, rows)
    for o in saved:
        sub = o.subscription
        if subs.holds_another(sub):  # the one-plan-per-family index refuses the update
            raise _billed_meanwhile()
        rows.subscriptions[sub.id] = replace(sub, revision=o.before.revision + 1)
        for seq in {s.seq for s in o.spans_written} | set(o.spans_deleted):
            rows.spans.pop((sub.id, seq), None)
        for span in o.spans_written:
            rows.spans[(sub.id, span.seq)] = SpanRow(
                sub.id, sub.organization_id, sub.account_id, sub.family_id, span
            )


def _items(rows: Rows, outcome: BillingOutcome, event_ids: Sequence[str]) -> None:
    """The items the step made, taken already by its invoice if it made one."""
    sub = outcome.subscription
    invoice_id = outcome.invoice.invoice.id if outcome.invoice is not None else None
    for position, new in enumerate(outcome.items):
        if new.id in rows.items:
            raise _billed_meanwhile()
        stored = StoredItem(new.id, sub.id, event_ids[new.event], new.item, invoice_id, outcome.at)
        rows.items[new.id] = ItemRow(stored, sub.organization_id, sub.account_id, position)


def _write(store: FakeStore, rows: Rows, outcomes: Sequence[BillingOutcome]) -> dict[str, str]:
    _subscriptions(store, rows, outcomes)
    for o in outcomes:
        try:
            event_ids = record_events(rows, o.subscription, o.events, o.actor, o.first_seq)
        except Conflict as exc:  # (subscription, seq) taken: another writer got there first
            raise _billed_meanwhile() from exc
        _items(rows, o, event_ids)
    invoiced = [o.invoice for o in outcomes if o.invoice is not None]
    for x in invoiced:
        invoice = x.invoice
        key_taken = any(
            r.invoice.subscription_id == invoice.subscription_id and r.billing_key == x.billing_key
            for r in rows.invoices.values()
        )
        if key_taken or invoice.id in rows.invoices:
            raise _billed_meanwhile()
        rows.invoices[invoice.id] = InvoiceRow(
            replace(invoice, number=None),
            x.billing_key,
            dict(x.buyer),
            x.seller if x.finalized else None,
        )
    for x in invoiced:
        for item_id in x.taken:
            row = rows.items.get(item_id)
            if row is None or row.stored.invoice_id is not None:
                raise Conflict(
                    "some of these items were invoiced at the same time",
                    code=ec.CONCURRENT_CHANGE,
                )
            rows.items[item_id] = replace(row, stored=replace(row.stored, invoice_id=x.invoice.id))
    for x in invoiced:
        posting = x.posting
        if posting is None:
            continue
        if posting.id in rows.transactions or any(
            t.kind == posting.kind and t.reference == posting.reference
            for t in rows.transactions.values()
        ):
            raise _billed_meanwhile()
        rows.transactions[posting.id] = posting
    for x in invoiced:
        for redemption_id in x.redemption_uses:
            found = rows.redemptions.get(redemption_id)
            if found is not None:
                rows.redemptions[redemption_id] = replace(
                    found, invoices_used=found.invoices_used + 1
                )
    return _number(rows, [x.invoice for x in invoiced if x.finalized])


def _number(rows: Rows, finalized: Sequence[Invoice]) -> dict[str, str]:
    """Each organization's block of numbers, in the order given."""
    by_organization: dict[str, list[str]] = {}
    for invoice in finalized:
        by_organization.setdefault(invoice.organization_id, []).append(invoice.id)
    numbers: dict[str, str] = {}
    for organization_id, invoice_ids in sorted(by_organization.items()):
        key = (organization_id, "invoice")
        first = rows.document_sequences.get(key, 0) + 1
        rows.document_sequences[key] = first + len(invoice_ids) - 1
        for k, invoice_id in enumerate(invoice_ids):
            numbers[invoice_id] = number = invoice_number(first + k)
            row = rows.invoices[invoice_id]
            rows.invoices[invoice_id] = replace(row, invoice=replace(row.invoice, number=number))
    return numbers


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_batches: BillingBatches = FakeBillingBatches(FakeStore(), Rows())
