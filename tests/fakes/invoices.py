"""Fakes of the invoice and ledger ports: the unique keys, the guarded status moves, the
gapless numbers and the append-only ledger behave as in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from plansmith.application.invoicing.ports import InvoiceRepository, LedgerRepository
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.invoicing.invoice import CreditNote, Invoice, InvoiceStatus, LineKind
from plansmith.domain.invoicing.ledger import LedgerAccount, Transaction
from plansmith.domain.invoicing.pricing import ChargedLine
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.branding import Seller
from tests.fakes.store import FakeStore, InvoiceRow, Repo, Rows, clash, page

DRAFT = InvoiceStatus.DRAFT


class FakeInvoices(Repo):
    def _number_taken(self, invoice: Invoice) -> bool:
        return invoice.number is not None and any(
            r.invoice.id != invoice.id
            and r.invoice.organization_id == invoice.organization_id
            and r.invoice.number == invoice.number
            for r in self._rows.invoices.values()
        )

    def add_invoice(
        self, invoice: Invoice, billing_key: str | None, buyer: dict[str, object]
    ) -> None:
        if billing_key is not None and self._key_taken(invoice.subscription_id, billing_key):
            raise Conflict(
                "this subscription is invoiced for that period already",
                code=ec.INVOICE_EXISTS,
            )
        if invoice.id in self._rows.invoices or self._number_taken(invoice):
            raise clash()
        self._rows.invoices[invoice.id] = InvoiceRow(invoice, billing_key, dict(buyer))

    def _key_taken(self, subscription_id: str | None, billing_key: str) -> bool:
        return any(
            r.invoice.subscription_id == subscription_id and r.billing_key == billing_key
            for r in self._rows.invoices.values()
        )

    def has_invoice(self, subscription_id: str, billing_key: str) -> bool:
        return self._key_taken(subscription_id, billing_key)

    def update_invoice(
        self, invoice: Invoice, expected_status: str, *, seller: Seller | None = None
    ) -> None:
        row = self._rows.invoices.get(invoice.id)
        if self._number_taken(invoice):
            raise Conflict("that invoice number is taken", code=ec.CONCURRENT_CHANGE)
        if row is None or row.invoice.status.value != expected_status:
            raise Conflict(
                "the invoice was changed at the same time by another request; fetch it again",
                code=ec.CONCURRENT_CHANGE,
            )
        # What the SQL update sets: status, number, totals and stamps; never lines or discounts.
        saved = replace(
            row.invoice,
            status=invoice.status,
            number=invoice.number,
            totals=invoice.totals,
            finalized_at=invoice.finalized_at,
            paid_at=invoice.paid_at,
            voided_at=invoice.voided_at,
        )
        kept = seller if seller is not None else row.seller
        self._rows.invoices[invoice.id] = replace(row, invoice=saved, seller=kept)

    def get_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        row = self._rows.invoices.get(invoice_id)
        if row is None or row.invoice.organization_id != organization_id:
            return None
        return row.invoice

    def get_invoices(self, organization_id: str, invoice_ids: Sequence[str]) -> Sequence[Invoice]:
        found = (self.get_invoice(organization_id, i) for i in dict.fromkeys(invoice_ids))
        return [invoice for invoice in found if invoice is not None]

    def hold_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        return self.get_invoice(organization_id, invoice_id)  # one writer at a time here

    def buyer(self, invoice_id: str) -> dict[str, object]:
        return dict(self._rows.invoices[invoice_id].buyer)

    def seller(self, invoice_id: str) -> Seller | None:
        return self._rows.invoices[invoice_id].seller

    def invoices(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int | None,
    ) -> Sequence[Invoice]:
        found = [
            ((i.created_at, i.id), i)
            for i in (r.invoice for r in self._rows.invoices.values())
            if i.organization_id == organization_id
            and (account_id is None or i.account_id == account_id)
            and (status is None or i.status.value == status)
        ]
        return page(found, after, limit)

    def _in_scope(self, organization_id: str | None, of: str) -> bool:
        if organization_id is None:
            return of not in self._rows.sandbox_ids()
        return of == organization_id

    def drafts_to_finalize(
        self, organization_id: str | None, as_of: datetime, limit: int
    ) -> Sequence[tuple[str, str]]:
        found = sorted(
            (i.finalize_after, i.id, i.organization_id)
            for i in (r.invoice for r in self._rows.invoices.values())
            if i.status is DRAFT
            and i.finalize_after <= as_of
            and self._in_scope(organization_id, i.organization_id)
        )
        return [(org, invoice_id) for _, invoice_id, org in found[:limit]]

    def take_items(self, invoice_id: str, item_ids: Sequence[str]) -> None:
        items = self._rows.items
        waiting = [i for i in item_ids if i in items and items[i].stored.invoice_id is None]
        if len(waiting) != len(item_ids):
            raise Conflict(
                "some of these items were invoiced at the same time", code=ec.CONCURRENT_CHANGE
            )
        for item_id in item_ids:
            row = items[item_id]
            items[item_id] = replace(row, stored=replace(row.stored, invoice_id=invoice_id))

    def with_pending_items(
        self, organization_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> Sequence[tuple[str, str]]:
        found = {
            (r.organization_id, r.stored.subscription_id)
            for r in self._rows.items.values()
            if r.stored.invoice_id is None and self._in_scope(organization_id, r.organization_id)
        }
        return [key for key in sorted(found) if after is None or key > after][:limit]

    def next_number(self, organization_id: str, kind: str) -> int:
        key = (organization_id, kind)
        number = self._rows.document_sequences.get(key, 0) + 1
        self._rows.document_sequences[key] = number
        return number

    def next_finalize_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        return min(
            (
                i.finalize_after
                for i in (r.invoice for r in self._rows.invoices.values())
                if i.organization_id == organization_id
                and i.status is DRAFT
                and after < i.finalize_after <= until
            ),
            default=None,
        )

    def charged_lines(
        self, subscription_ids: Sequence[str], ending_after: date
    ) -> Mapping[str, Sequence[ChargedLine]]:
        # A line knows its item (source_id, taken by the same invoice); the item its event,
        # whose seq orders the subscription's charges.
        wanted = set(subscription_ids)
        charged = (LineKind.RECURRING, LineKind.CHARGE)
        found: list[tuple[str, int, int, ChargedLine]] = []
        for row in self._rows.invoices.values():
            for line in row.invoice.lines:
                item = self._rows.items.get(line.source_id or "")
                if (
                    item is None
                    or item.stored.invoice_id != row.invoice.id
                    or item.stored.subscription_id not in wanted
                    or line.kind not in charged
                    or line.period_start is None
                    or line.period_end is None
                    or line.period_end <= ending_after
                ):
                    continue
                seq = self._rows.events[item.stored.event_id].seq
                found.append(
                    (
                        item.stored.subscription_id,
                        seq,
                        item.position,
                        ChargedLine(
                            item.stored.item.component,
                            line.plan_id,
                            line.period_start,
                            line.period_end,
                            line.amount,
                            line.discount,
                        ),
                    )
                )
        result: dict[str, list[ChargedLine]] = {}
        for sub_id, _, _, charged_line in sorted(found, key=lambda x: x[:3]):
            result.setdefault(sub_id, []).append(charged_line)
        return result

    def add_credit_note(self, note: CreditNote) -> None:
        taken = any(
            n.organization_id == note.organization_id and n.number == note.number
            for n in self._rows.credit_notes.values()
        )
        if note.id in self._rows.credit_notes or taken:
            raise clash()
        self._rows.credit_notes[note.id] = note

    def credit_notes(self, invoice_id: str) -> Sequence[CreditNote]:
        found = [n for n in self._rows.credit_notes.values() if n.invoice_id == invoice_id]
        return sorted(found, key=lambda n: (n.created_at, n.id))


class FakeLedger(Repo):
    def post(self, transaction: Transaction) -> None:
        if self.posted(transaction.kind, transaction.reference) is not None:
            raise Conflict(
                f"{transaction.kind} was posted for {transaction.reference} already",
                code=ec.ALREADY_POSTED,
            )
        if transaction.id in self._rows.transactions:
            raise clash()
        self._rows.transactions[transaction.id] = transaction

    def posted(self, kind: str, reference: str) -> Transaction | None:
        found = self._rows.transactions.values()
        return next((x for x in found if x.kind == kind and x.reference == reference), None)

    def hold_credit(self, account_id: str) -> None:
        """Nothing to hold: the fake runs one unit of work at a time."""

    def ledger_balance(self, account_id: str, ledger_account: LedgerAccount, currency: str) -> int:
        return sum(
            e.amount
            for x in self._rows.transactions.values()
            if x.account_id == account_id
            for e in x.entries
            if e.account is ledger_account and e.currency == currency
        )

    def transactions(self, organization_id: str, account_id: str) -> Sequence[Transaction]:
        found = [
            x
            for x in self._rows.transactions.values()
            if x.organization_id == organization_id and x.account_id == account_id
        ]
        return sorted(found, key=lambda x: (x.at, x.id))


# mypy checks each fake against its port here: a port change breaks the fake at lint time.
_store, _rows = FakeStore(), Rows()
_invoices: InvoiceRepository = FakeInvoices(_store, _rows)
_ledger: LedgerRepository = FakeLedger(_store, _rows)
