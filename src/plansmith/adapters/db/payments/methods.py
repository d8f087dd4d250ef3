"""Payment methods in SQL: gateway tokens and what may be shown of a card; one default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.payments.payments import PaymentMethod

m = t.payment_methods.c


def _method(r: Any) -> PaymentMethod:
    return PaymentMethod(
        r.id,
        r.organization_id,
        r.account_id,
        r.gateway,
        r.token,
        r.customer_ref,
        r.brand,
        r.last4,
        r.exp_month,
        r.exp_year,
        r.is_default,
        r.created_at,
    )


class SqlPaymentMethods:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, method: PaymentMethod) -> None:
        self.session.execute(
            insert(t.payment_methods).values(
                id=method.id,
                organization_id=method.organization_id,
                account_id=method.account_id,
                gateway=method.gateway,
                token=method.token,
                customer_ref=method.customer_ref,
                brand=method.brand,
                last4=method.last4,
                exp_month=method.exp_month,
                exp_year=method.exp_year,
                is_default=method.is_default,
                created_at=method.created_at,
            )
        )

    def get(self, organization_id: str, method_id: str) -> PaymentMethod | None:
        q = select(t.payment_methods).where(
            m.organization_id == organization_id, m.id == method_id, m.removed_at.is_(None)
        )
        row = self.session.execute(q).first()
        return _method(row) if row is not None else None

    def get_any(self, method_id: str) -> PaymentMethod | None:
        """Removed or not: what a payment made with it needs to be asked about again."""
        row = self.session.execute(select(t.payment_methods).where(m.id == method_id)).first()
        return _method(row) if row is not None else None

    def get_many(self, organization_id: str, method_ids: Sequence[str]) -> Sequence[PaymentMethod]:
        if not method_ids:
            return []
        q = select(t.payment_methods).where(
            m.organization_id == organization_id, m.id.in_(list(method_ids))
        )
        return [_method(row) for row in self.session.execute(q)]

    def of_account(self, account_id: str) -> Sequence[PaymentMethod]:
        q = (
            select(t.payment_methods)
            .where(m.account_id == account_id, m.removed_at.is_(None))
            .order_by(m.is_default.desc(), m.created_at.desc(), m.id.desc())
        )
        return [_method(r) for r in self.session.execute(q)]

    def default_of(self, account_id: str) -> PaymentMethod | None:
        q = select(t.payment_methods).where(
            m.account_id == account_id, m.removed_at.is_(None), m.is_default.is_(True)
        )
        row = self.session.execute(q).first()
        return _method(row) if row is not None else None

    def make_default(self, account_id: str, method_id: str) -> None:
        # Off first, then on: the one-default index never sees two.
        self.session.execute(
            update(t.payment_methods)
            .where(m.account_id == account_id, m.is_default.is_(True), m.id != method_id)
            .values(is_default=False)
        )
        self.session.execute(
            update(t.payment_methods)
            .where(m.account_id == account_id, m.id == method_id, m.removed_at.is_(None))
            .values(is_default=True)
        )

    def remove(self, method_id: str, at: datetime) -> None:
        self.session.execute(
            update(t.payment_methods)
            .where(m.id == method_id, m.removed_at.is_(None))
            .values(removed_at=at, is_default=False)
        )

    def customer_ref(self, account_id: str, gateway: str) -> str | None:
        q = (
            select(m.customer_ref)
            .where(m.account_id == account_id, m.gateway == gateway, m.customer_ref.is_not(None))
            .order_by(m.created_at)
            .limit(1)
        )
        return self.session.execute(q).scalar()
