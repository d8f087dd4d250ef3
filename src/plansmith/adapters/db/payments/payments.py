"""Payments in SQL. A payment is written pending before the gateway is called and settled by
one conditional update, so of two workers settling the same payment one wins. At most one
payment of an invoice is in flight (a unique partial index)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.payments import (
    IN_FLIGHT,
    Payment,
    PaymentKind,
    PaymentStatus,
)

p = t.payments.c
IN_FLIGHT_VALUES = tuple(s.value for s in IN_FLIGHT)


def _payment(r: Any) -> Payment:
    return Payment(
        id=r.id,
        organization_id=r.organization_id,
        account_id=r.account_id,
        kind=PaymentKind(r.kind),
        status=PaymentStatus(r.status),
        amount=r.amount,
        currency=r.currency,
        idempotency_key=r.idempotency_key,
        created_at=r.created_at,
        invoice_id=r.invoice_id,
        payment_method_id=r.payment_method_id,
        gateway=r.gateway,
        gateway_reference=r.gateway_reference,
        decline_code=r.decline_code,
        message=r.message,
        settled_at=r.settled_at,
        to_balance=r.to_balance,
        refund_of=r.refund_of,
        credit_note_id=r.credit_note_id,
    )


def _row(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "organization_id": payment.organization_id,
        "account_id": payment.account_id,
        "kind": payment.kind.value,
        "status": payment.status.value,
        "amount": payment.amount,
        "currency": payment.currency,
        "idempotency_key": payment.idempotency_key,
        "invoice_id": payment.invoice_id,
        "payment_method_id": payment.payment_method_id,
        "gateway": payment.gateway,
        "gateway_reference": payment.gateway_reference,
        "decline_code": payment.decline_code,
        "message": payment.message,
        "to_balance": payment.to_balance,
        "refund_of": payment.refund_of,
        "credit_note_id": payment.credit_note_id,
        "created_at": payment.created_at,
        "settled_at": payment.settled_at,
    }


def _newest_first(q: Select[Any], before: tuple[datetime, str] | None, limit: int) -> Select[Any]:
    if before is not None:
        at, last = before
        q = q.where(or_(p.created_at < at, and_(p.created_at == at, p.id < last)))
    return q.order_by(p.created_at.desc(), p.id.desc()).limit(limit)


class SqlPayments:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, payment: Payment) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(insert(t.payments).values(**_row(payment)))
        except IntegrityError as exc:
            raise Conflict(
                "a payment of this invoice is being made; wait for its outcome",
                field="invoice_id",
                code=ec.PAYMENT_IN_PROGRESS,
            ) from exc

    def get(self, organization_id: str, payment_id: str) -> Payment | None:
        q = select(t.payments).where(p.organization_id == organization_id, p.id == payment_id)
        row = self.session.execute(q).first()
        return _payment(row) if row is not None else None

    def settle(self, payment: Payment, expected: Sequence[str]) -> bool:
        done = self.session.execute(
            update(t.payments)
            .where(p.id == payment.id, p.status.in_(list(expected)))
            .values(
                status=payment.status.value,
                gateway_reference=payment.gateway_reference,
                decline_code=payment.decline_code,
                message=payment.message,
                settled_at=payment.settled_at,
                to_balance=payment.to_balance,
                invoice_id=payment.invoice_id,
            )
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def in_flight(self, invoice_id: str) -> Payment | None:
        q = select(t.payments).where(
            p.invoice_id == invoice_id,
            p.kind == PaymentKind.PAYMENT.value,
            p.status.in_(IN_FLIGHT_VALUES),
        )
        row = self.session.execute(q).first()
        return _payment(row) if row is not None else None

    def unsettled(self, organization_id: str | None, limit: int) -> Sequence[Payment]:
        q = select(t.payments).where(
            p.status.in_(IN_FLIGHT_VALUES),
            ~and_(p.kind == PaymentKind.PAYMENT.value, p.invoice_id.is_not(None)),
        )
        if organization_id is not None:
            q = q.where(p.organization_id == organization_id)
        q = q.order_by(p.created_at, p.id).limit(limit)
        return [_payment(r) for r in self.session.execute(q)]

    def of_account(
        self, account_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Payment]:
        q = _newest_first(select(t.payments).where(p.account_id == account_id), before, limit)
        return [_payment(r) for r in self.session.execute(q)]

    def of_invoice(self, invoice_id: str) -> Sequence[Payment]:
        q = select(t.payments).where(p.invoice_id == invoice_id).order_by(p.created_at, p.id)
        return [_payment(r) for r in self.session.execute(q)]

    def of_organization(
        self,
        organization_id: str,
        *,
        status: str | None,
        kind: str | None,
        before: tuple[datetime, str] | None,
        limit: int,
        account_id: str | None = None,
    ) -> Sequence[Payment]:
        q = select(t.payments).where(p.organization_id == organization_id)
        if account_id is not None:
            q = q.where(p.account_id == account_id)
        if status is not None:
            q = q.where(p.status == status)
        if kind is not None:
            q = q.where(p.kind == kind)
        return [_payment(r) for r in self.session.execute(_newest_first(q, before, limit))]

    def by_reference(self, gateway: str, reference: str) -> Payment | None:
        q = select(t.payments).where(p.gateway == gateway, p.gateway_reference == reference)
        row = self.session.execute(q).first()
        return _payment(row) if row is not None else None
