"""Coupons: a percentage or a fixed amount off, once, for N invoices, or forever; optionally
restricted to plans. A redemption ties a coupon to one subscription and counts its uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from plansmith.domain.invoicing.invoice import Discount, DiscountKind
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import MAX_COUPON_CYCLES, MAX_PRICE, at_most


class Duration(StrEnum):
    ONCE = "once"
    REPEATING = "repeating"  # for `cycles` invoices
    FOREVER = "forever"


@dataclass(frozen=True)
class Coupon:
    id: str
    organization_id: str
    code: str
    name: str
    kind: DiscountKind
    percent: Decimal  # for percent coupons
    amounts: Mapping[str, int]  # currency -> minor units, for amount coupons
    duration: Duration
    cycles: int | None  # for repeating
    plan_codes: frozenset[str]
    archived_at: datetime | None
    created_at: datetime

    def validated(self) -> Coupon:
        checks = Checks()
        if self.kind is DiscountKind.PERCENT:
            checks.run(lambda: Discount(self.id, self.name, self.kind, percent=self.percent))
        else:
            if not self.amounts:
                checks.add(InvalidValue("an amount coupon needs an amount", field="amounts"))
            for currency, amount in self.amounts.items():
                where = f"amounts.{currency}"
                if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                    checks.add(
                        InvalidValue(
                            "an amount off is a positive whole number of minor units", field=where
                        )
                    )
                else:
                    checks.run(at_most, amount, MAX_PRICE, where, "an amount off")
        if self.duration is Duration.REPEATING and (
            isinstance(self.cycles, bool) or not isinstance(self.cycles, int) or self.cycles < 1
        ):
            checks.add(InvalidValue("a repeating coupon lasts 1 or more invoices", field="cycles"))
        elif self.duration is Duration.REPEATING:
            checks.run(
                at_most, self.cycles, MAX_COUPON_CYCLES, "cycles", "a repeating coupon's cycles"
            )
        if self.duration is not Duration.REPEATING and self.cycles is not None:
            checks.add(InvalidValue("only a repeating coupon has cycles", field="cycles"))
        checks.raise_if_any()
        return self

    def lasts_for(self, invoices_used: int) -> bool:
        """Whether the next invoice still gets this coupon after ``invoices_used`` had it."""
        if self.duration is Duration.FOREVER:
            return True
        limit = 1 if self.duration is Duration.ONCE else (self.cycles or 0)
        return invoices_used < limit

    def discount(self, currency: str, plan_ids: frozenset[str]) -> Discount | None:
        """This coupon on an invoice in ``currency`` (None: it has no amount in it)."""
        if self.kind is DiscountKind.PERCENT:
            return Discount(self.id, self.name, self.kind, percent=self.percent, plan_ids=plan_ids)
        amount = self.amounts.get(currency)
        if amount is None:
            return None
        return Discount(self.id, self.name, self.kind, amount=amount, plan_ids=plan_ids)
