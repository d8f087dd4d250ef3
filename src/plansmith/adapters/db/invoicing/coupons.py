"""Coupons and their redemptions in SQL: one redemption per subscription and coupon (unique)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.application.invoicing.ports import Redemption
from plansmith.application.kernel.errors import Conflict
from plansmith.domain.invoicing.coupons import Coupon, Duration
from plansmith.domain.invoicing.invoice import DiscountKind, InvoiceStatus
from plansmith.domain.kernel import error_codes as ec

INV = t.invoices.c


def coupon_of_row(row: Row[Any]) -> Coupon:
    r = row._mapping
    return Coupon(
        id=r["id"],
        organization_id=r["organization_id"],
        code=r["code"],
        name=r["name"],
        kind=DiscountKind(r["kind"]),
        percent=Decimal(r["percent"]),
        amounts=dict(r["amounts"]),
        duration=Duration(r["duration"]),
        cycles=r["cycles"],
        plan_codes=frozenset(r["plan_codes"]),
        archived_at=r["archived_at"],
        created_at=r["created_at"],
    )


def redemption_of_row(row: Row[Any], coupon: Coupon, in_drafts: int = 0) -> Redemption:
    return Redemption(row.id, coupon, row.subscription_id, row.invoices_used, in_drafts)


def redemptions_where(session: Session, condition: Any) -> dict[str, list[Redemption]]:
    """Subscription id -> its coupon redemptions (oldest first), each with the drafts that
    carry its coupon, in three queries."""
    r, c = t.coupon_redemptions.c, t.coupons.c
    q = select(t.coupon_redemptions).where(condition).order_by(r.created_at, r.id)
    redeemed = session.execute(q).all()
    found: dict[str, list[Redemption]] = {}
    if not redeemed:
        return found
    ids = sorted({row.coupon_id for row in redeemed})
    coupons = {
        row.id: coupon_of_row(row)
        for row in session.execute(select(t.coupons).where(c.id.in_(ids)))
    }
    drafts = select(INV.subscription_id, INV.discounts).where(
        INV.status == InvoiceStatus.DRAFT.value,
        INV.subscription_id.in_(select(r.subscription_id).where(condition)),
    )
    carried: Counter[tuple[str, str]] = Counter(
        (sub_id, d["coupon_id"]) for sub_id, discounts in session.execute(drafts) for d in discounts
    )
    for row in redeemed:
        found.setdefault(row.subscription_id, []).append(
            redemption_of_row(
                row, coupons[row.coupon_id], carried[(row.subscription_id, row.coupon_id)]
            )
        )
    return found


class SqlCoupons:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_coupon(self, coupon: Coupon) -> None:
        self.session.execute(
            insert(t.coupons).values(
                id=coupon.id,
                organization_id=coupon.organization_id,
                code=coupon.code,
                name=coupon.name,
                kind=coupon.kind.value,
                percent=str(coupon.percent),
                amounts=dict(coupon.amounts),
                duration=coupon.duration.value,
                cycles=coupon.cycles,
                plan_codes=sorted(coupon.plan_codes),
                archived_at=coupon.archived_at,
                created_at=coupon.created_at,
            )
        )

    def coupon_by_code(self, organization_id: str, code: str) -> Coupon | None:
        c = t.coupons.c
        q = select(t.coupons).where(c.organization_id == organization_id, c.code == code)
        row = self.session.execute(q).first()
        return coupon_of_row(row) if row else None

    def coupons(self, organization_id: str) -> Sequence[Coupon]:
        c = t.coupons.c
        q = select(t.coupons).where(c.organization_id == organization_id).order_by(c.code)
        return [coupon_of_row(row) for row in self.session.execute(q)]

    def redeem(
        self,
        redemption_id: str,
        organization_id: str,
        coupon_id: str,
        subscription_id: str,
        at: datetime,
    ) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(t.coupon_redemptions).values(
                        id=redemption_id,
                        organization_id=organization_id,
                        coupon_id=coupon_id,
                        subscription_id=subscription_id,
                        invoices_used=0,
                        created_at=at,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(
                "the subscription has this coupon already", field="coupon", code=ec.ALREADY_REDEEMED
            ) from exc

    def redemptions(self, subscription_id: str) -> Sequence[Redemption]:
        r = t.coupon_redemptions.c
        return redemptions_where(self.session, r.subscription_id == subscription_id).get(
            subscription_id, []
        )

    def count_redemption_use(self, redemption_id: str) -> None:
        r = t.coupon_redemptions.c
        self.session.execute(
            update(t.coupon_redemptions)
            .where(r.id == redemption_id)
            .values(invoices_used=r.invoices_used + 1)
        )
