"""Invoices in SQL: invoices and their lines, pending items taken, gapless numbering, credit
notes, and the charged lines a credit reverses.

Guarantees that rest on the database: one invoice per subscription and billing key (unique),
items taken by one invoice only (conditional update), invoice status moves as conditional
updates, and numbers from a per-organization counter row updated in the finalizing transaction
(so a rollback gives the number back).

Limits that depend on what other transactions write (the room left to credit on an invoice,
what it still owes) are read under a row lock held until commit: ``hold_invoice`` (SELECT ...
FOR NO KEY UPDATE on PostgreSQL); SQLite's BEGIN IMMEDIATE runs one writer at a time. Rows
are always held in this order, so two transactions never wait for each other in a circle: an
existing invoice, then accounts (in id order when several, see the ledger), then a document
counter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.invoicing.invoice_rows import (
    _discount,
    _line,
    invoice_row,
    invoice_state,
    line_rows,
    seller_data,
    seller_of,
)
from plansmith.adapters.db.paging import page_after
from plansmith.adapters.db.subscriptions.rows import sandboxes
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.invoicing.invoice import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Totals,
)
from plansmith.domain.invoicing.pricing import ChargedLine
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.branding import Seller

INV = t.invoices.c
LINE = "line_"  # the prefix of a joined line's columns


def invoice_of_row(r: Mapping[Any, Any], lines: Sequence[InvoiceLine]) -> Invoice:
    """An invoice from its row (a mapping of its columns) and its lines."""
    return Invoice(
        id=r["id"],
        organization_id=r["organization_id"],
        account_id=r["account_id"],
        subscription_id=r["subscription_id"],
        currency=r["currency"],
        status=InvoiceStatus(r["status"]),
        number=r["number"],
        period_start=r["period_start"],
        period_end=r["period_end"],
        lines=tuple(lines),
        totals=Totals(
            r["subtotal"],
            r["discount"],
            r["tax"],
            r["total"],
            r["credit_applied"],
            r["amount_due"],
        ),
        tax_id=r["tax_id"],
        created_at=r["created_at"],
        finalize_after=r["finalize_after"],
        finalized_at=r["finalized_at"],
        paid_at=r["paid_at"],
        voided_at=r["voided_at"],
        discounts=tuple(_discount(d) for d in r["discounts"]),
        billing_run_id=r["billing_run_id"],
    )


class SqlInvoices:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._buyers: dict[str, dict[str, object]] = {}
        self._sellers: dict[str, Seller | None] = {}

    def add_invoice(
        self, invoice: Invoice, billing_key: str | None, buyer: dict[str, object]
    ) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(t.invoices).values(**invoice_row(invoice, billing_key, buyer))
                )
        except IntegrityError as exc:
            raise Conflict(
                "this subscription is invoiced for that period already",
                code=ec.INVOICE_EXISTS,
            ) from exc
        if invoice.lines:
            self.session.execute(insert(t.invoice_lines), line_rows(invoice))

    def has_invoice(self, subscription_id: str, billing_key: str) -> bool:
        q = select(INV.id).where(
            INV.subscription_id == subscription_id, INV.billing_key == billing_key
        )
        return self.session.execute(q).first() is not None

    def update_invoice(
        self, invoice: Invoice, expected_status: str, *, seller: Seller | None = None
    ) -> None:
        values = invoice_state(invoice)
        if seller is not None:  # finalizing: kept with the invoice, in the same statement
            values["seller"] = seller_data(seller)
        try:
            with self.session.begin_nested():
                result = self.session.execute(
                    update(t.invoices)
                    .where(INV.id == invoice.id, INV.status == expected_status)
                    .values(**values)
                )
        except IntegrityError as exc:
            raise Conflict("that invoice number is taken", code=ec.CONCURRENT_CHANGE) from exc
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "the invoice was changed at the same time by another request; fetch it again",
                code=ec.CONCURRENT_CHANGE,
            )

    def _invoice(self, r: Mapping[Any, Any], lines: Sequence[InvoiceLine]) -> Invoice:
        # The buyer is written with the invoice and never changed: kept for ``buyer``.
        self._buyers[r["id"]] = r["buyer"]
        self._sellers[r["id"]] = seller_of(r["seller"])
        return invoice_of_row(r, lines)

    def _with_lines(self, q: Select[Any]) -> list[Invoice]:
        """The invoices ``q`` selects (whole rows, in its order, within its limit), each with
        its lines, in one statement: the rows as a subquery, their lines joined to it."""
        page = q.subquery("page")
        li = t.invoice_lines.c
        joined = (
            select(page, *(c.label(f"{LINE}{c.name}") for c in li))
            .select_from(page.outerjoin(t.invoice_lines, li.invoice_id == page.c.id))
            .order_by(page.c.created_at, page.c.id, li.position)
        )
        found: dict[str, tuple[Mapping[Any, Any], list[InvoiceLine]]] = {}
        for row in self.session.execute(joined):
            r = row._mapping
            _, lines = found.setdefault(r["id"], (r, []))
            if r[f"{LINE}position"] is not None:
                lines.append(_line({k[len(LINE) :]: v for k, v in r.items() if k.startswith(LINE)}))
        return [self._invoice(r, lines) for r, lines in found.values()]

    def get_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        q = select(t.invoices).where(INV.organization_id == organization_id, INV.id == invoice_id)
        found = self._with_lines(q)
        return found[0] if found else None

    def get_invoices(self, organization_id: str, invoice_ids: Sequence[str]) -> Sequence[Invoice]:
        if not invoice_ids:
            return []
        q = select(t.invoices).where(
            INV.organization_id == organization_id, INV.id.in_(list(invoice_ids))
        )
        return self._with_lines(q)

    def hold_invoice(self, organization_id: str, invoice_id: str) -> Invoice | None:
        q = select(t.invoices).where(INV.organization_id == organization_id, INV.id == invoice_id)
        # SQLite's BEGIN IMMEDIATE already serializes every writer. On PostgreSQL, the lock an
        # UPDATE takes (FOR NO KEY UPDATE): rows that only refer to the invoice may still be
        # inserted meanwhile.
        if self.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(key_share=True)
        row = self.session.execute(q).first()
        if row is None:
            return None
        c = t.invoice_lines.c
        lines = self.session.execute(
            select(t.invoice_lines).where(c.invoice_id == invoice_id).order_by(c.position)
        )
        return self._invoice(row._mapping, [_line(line._mapping) for line in lines])

    def buyer(self, invoice_id: str) -> dict[str, object]:
        if invoice_id in self._buyers:
            return dict(self._buyers[invoice_id])
        value: dict[str, object] = self.session.execute(
            select(INV.buyer).where(INV.id == invoice_id)
        ).scalar_one()
        return value

    def seller(self, invoice_id: str) -> Seller | None:
        if invoice_id in self._sellers:
            return self._sellers[invoice_id]
        value = self.session.execute(select(INV.seller).where(INV.id == invoice_id)).scalar_one()
        return seller_of(value)

    def invoices(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int | None,
    ) -> Sequence[Invoice]:
        q = select(t.invoices).where(INV.organization_id == organization_id)
        if account_id is not None:
            q = q.where(INV.account_id == account_id)
        if status is not None:
            q = q.where(INV.status == status)
        return self._with_lines(page_after(q, t.invoices, after, limit))

    def drafts_to_finalize(
        self, organization_id: str | None, as_of: datetime, limit: int
    ) -> Sequence[tuple[str, str]]:
        q = select(INV.organization_id, INV.id).where(
            INV.status == InvoiceStatus.DRAFT.value, INV.finalize_after <= as_of
        )
        if organization_id is not None:
            q = q.where(INV.organization_id == organization_id)
        else:
            q = q.where(INV.organization_id.not_in(sandboxes()))
        q = q.order_by(INV.finalize_after, INV.id).limit(limit)
        return [(org, invoice) for org, invoice in self.session.execute(q)]

    def take_items(self, invoice_id: str, item_ids: Sequence[str]) -> None:
        c = t.subscription_items.c
        result = self.session.execute(
            update(t.subscription_items)
            .where(c.id.in_(list(item_ids)), c.invoice_id.is_(None))
            .values(invoice_id=invoice_id)
        )
        if result.rowcount != len(item_ids):  # type: ignore[attr-defined]
            raise Conflict(
                "some of these items were invoiced at the same time", code=ec.CONCURRENT_CHANGE
            )

    def with_pending_items(
        self, organization_id: str | None, limit: int, after: tuple[str, str] | None
    ) -> Sequence[tuple[str, str]]:
        c = t.subscription_items.c
        q = select(c.organization_id, c.subscription_id).where(c.invoice_id.is_(None))
        if organization_id is not None:
            q = q.where(c.organization_id == organization_id)
        else:
            q = q.where(c.organization_id.not_in(sandboxes()))
        if after is not None:
            org, last_id = after
            q = q.where(
                or_(
                    c.organization_id > org,
                    (c.organization_id == org) & (c.subscription_id > last_id),
                )
            )
        q = q.group_by(c.organization_id, c.subscription_id)
        q = q.order_by(c.organization_id, c.subscription_id)
        return [(org, sub) for org, sub in self.session.execute(q.limit(limit))]

    def next_number(self, organization_id: str, kind: str) -> int:
        return self.take_numbers(organization_id, kind, 1)

    def take_numbers(self, organization_id: str, kind: str, count: int) -> int:
        """Move the organization's counter on by ``count`` (negative: give back unused ones,
        only while this transaction still holds the counter); returns the last number."""
        c = t.document_sequences.c
        dialect = self.session.get_bind().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            make(t.document_sequences)
            .values(organization_id=organization_id, kind=kind, last_number=0)
            .on_conflict_do_nothing()
        )
        number: int = self.session.execute(
            update(t.document_sequences)
            .where(c.organization_id == organization_id, c.kind == kind)
            .values(last_number=c.last_number + count)
            .returning(c.last_number)
        ).scalar_one()
        return number

    def add_credit_note(self, note: CreditNote) -> None:
        self.session.execute(insert(t.credit_notes).values(**note.__dict__))

    def credit_notes(self, invoice_id: str) -> Sequence[CreditNote]:
        c = t.credit_notes.c
        q = select(t.credit_notes).where(c.invoice_id == invoice_id).order_by(c.created_at, c.id)
        return [CreditNote(**row._mapping) for row in self.session.execute(q)]

    def next_finalize_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        q = select(func.min(INV.finalize_after)).where(
            INV.organization_id == organization_id,
            INV.status == InvoiceStatus.DRAFT.value,
            INV.finalize_after > after,
            INV.finalize_after <= until,
        )
        found: datetime | None = self.session.execute(q).scalar_one()
        return found

    def charged_lines(
        self, subscription_ids: Sequence[str], ending_after: date
    ) -> Mapping[str, Sequence[ChargedLine]]:
        # An invoice line knows its item (source_id); the item knows its component and the
        # event that made it, whose seq orders the subscription's charges.
        li, it, ev = t.invoice_lines.c, t.subscription_items.c, t.subscription_events.c
        q = (
            select(
                it.subscription_id,
                it.component,
                li.plan_id,
                li.period_start,
                li.period_end,
                li.amount,
                li.discount,
            )
            .select_from(
                t.invoice_lines.join(
                    t.subscription_items,
                    (it.id == li.source_id) & (it.invoice_id == li.invoice_id),
                ).join(t.subscription_events, ev.id == it.event_id)
            )
            .where(
                it.subscription_id.in_(list(subscription_ids)),
                li.kind.in_([LineKind.RECURRING.value, LineKind.CHARGE.value]),
                li.period_end > ending_after,
            )
            .order_by(it.subscription_id, ev.seq, it.position)
        )
        found: dict[str, list[ChargedLine]] = {}
        for sub_id, component, plan_id, start, end, amount, discount in self.session.execute(q):
            line = ChargedLine(component, plan_id, start, end, amount, discount)
            found.setdefault(sub_id, []).append(line)
        return found
