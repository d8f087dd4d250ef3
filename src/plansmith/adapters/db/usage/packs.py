"""Extra packs bought and the standing rows of hard limits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.usage.packs import PackPurchase, PackStatus
from plansmith.domain.usage.thresholds import ThresholdCrossing

p, st = t.usage_packs.c, t.usage_standings.c


def _row(purchase: PackPurchase) -> dict[str, Any]:
    return {
        "id": purchase.id,
        "organization_id": purchase.organization_id,
        "account_id": purchase.account_id,
        "subscription_id": purchase.subscription_id,
        "request_key": purchase.request_key,
        "pack_code": purchase.pack_code,
        "pack_name": purchase.pack_name,
        "meter": purchase.meter,
        "quantity": purchase.quantity,
        "units": purchase.units,
        "currency": purchase.currency,
        "amount": purchase.amount,
        "status": purchase.status.value,
        "period_start": purchase.period_start,
        "period_end": purchase.period_end,
        "payment_id": purchase.payment_id,
        "invoice_id": purchase.invoice_id,
        "created_at": purchase.created_at,
        "paid_at": purchase.paid_at,
    }


def _purchase(row: Any) -> PackPurchase:
    values = dict(row._mapping)
    values["status"] = PackStatus(values["status"])
    values["units"] = int(values["units"])
    values["amount"] = int(values["amount"])
    return PackPurchase(**values)


class SqlPacks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    def add(self, purchase: PackPurchase) -> bool:
        stmt = (
            self._insert()(t.usage_packs)
            .values(**_row(purchase))
            .on_conflict_do_nothing(index_elements=["organization_id", "request_key"])
            .returning(p.id)
        )
        return self.session.execute(stmt).scalar() is not None

    def by_key(self, organization_id: str, request_key: str) -> PackPurchase | None:
        row = self.session.execute(
            select(t.usage_packs).where(
                p.organization_id == organization_id, p.request_key == request_key
            )
        ).first()
        return None if row is None else _purchase(row)

    def get(self, organization_id: str, purchase_id: str) -> PackPurchase | None:
        row = self.session.execute(
            select(t.usage_packs).where(p.organization_id == organization_id, p.id == purchase_id)
        ).first()
        return None if row is None else _purchase(row)

    def update(self, purchase: PackPurchase, expected: PackStatus) -> bool:
        values = _row(purchase)
        result = self.session.execute(
            update(t.usage_packs)
            .where(p.id == purchase.id, p.status == expected.value)
            .values(
                status=values["status"],
                payment_id=values["payment_id"],
                invoice_id=values["invoice_id"],
                paid_at=values["paid_at"],
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def of_subscription(
        self, organization_id: str, subscription_id: str, on: date
    ) -> Sequence[PackPurchase]:
        rows = self.session.execute(
            select(t.usage_packs)
            .where(
                p.organization_id == organization_id,
                p.subscription_id == subscription_id,
                p.period_start <= on,
                p.period_end > on,
            )
            .order_by(p.created_at, p.id)
        )
        return [_purchase(r) for r in rows]

    def paid_units(
        self, account_id: str, periods: Collection[date]
    ) -> dict[tuple[date, str], list[int]]:
        if not periods:
            return {}
        found: dict[tuple[date, str], list[int]] = {}
        for start, meter, units in self.session.execute(
            select(p.period_start, p.meter, p.units)
            .where(
                p.account_id == account_id,
                p.period_start.in_(sorted(periods)),
                p.status == PackStatus.PAID.value,
            )
            .order_by(p.created_at, p.id)
        ):
            found.setdefault((start, meter), []).append(int(units))
        return found

    def paid_units_of(
        self, periods: Collection[tuple[str, date]]
    ) -> dict[str, dict[tuple[date, str], list[int]]]:
        found: dict[str, dict[tuple[date, str], list[int]]] = {a: {} for a, _ in periods}
        if not found:
            return {}
        for account_id, start, meter, units in self.session.execute(
            select(p.account_id, p.period_start, p.meter, p.units)
            .where(
                p.account_id.in_(sorted(found)),
                p.period_start.in_(sorted({s for _, s in periods})),
                p.status == PackStatus.PAID.value,
            )
            .order_by(p.created_at, p.id)
        ):
            if (account_id, start) in periods:
                found[account_id].setdefault((start, meter), []).append(int(units))
        return found

    def hold(self, keys: Sequence[tuple[str, str, date]]) -> None:
        if not keys:
            return
        ordered = sorted(set(keys))
        rows = [{"account_id": a, "meter": m, "period_start": d} for a, m, d in ordered]
        self.session.execute(self._insert()(t.usage_standings).on_conflict_do_nothing(), rows)
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                select(st.account_id)
                .where(tuple_(st.account_id, st.meter, st.period_start).in_(ordered))
                .order_by(st.account_id, st.meter, st.period_start)
                .with_for_update()
            )

    def sold(
        self,
        organization_id: str,
        *,
        pack_code: str | None,
        periods_from: date | None,
        periods_to: date | None,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[PackPurchase]:
        q = select(t.usage_packs).where(p.organization_id == organization_id)
        if pack_code is not None:
            q = q.where(p.pack_code == pack_code)
        if periods_from is not None:
            q = q.where(p.period_start >= periods_from)
        if periods_to is not None:
            q = q.where(p.period_start < periods_to)
        if before is not None:
            q = q.where(tuple_(p.created_at, p.id) < tuple_(*before))
        q = q.order_by(p.created_at.desc(), p.id.desc()).limit(limit)
        return [_purchase(row) for row in self.session.execute(q)]

    def reach(
        self, crossings: Sequence[ThresholdCrossing], at: datetime
    ) -> set[tuple[str, str, date, int, int]]:
        if not crossings:
            return set()
        a = t.allowance_thresholds.c
        rows = [
            {
                "account_id": c.account_id,
                "meter": c.meter,
                "period_start": c.period_start,
                "threshold": c.threshold,
                "allowance": c.allowance,
                "organization_id": c.organization_id,
                "subscription_id": c.subscription_id,
                "used": c.used,
                "reached_at": at,
            }
            for c in sorted(crossings, key=lambda c: c.key)  # key order: no waiting in a cycle
        ]
        stmt = (
            self._insert()(t.allowance_thresholds)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(a.account_id, a.meter, a.period_start, a.threshold, a.allowance)
        )
        return {(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in self.session.execute(stmt).all()}
