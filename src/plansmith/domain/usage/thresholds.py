"""Allowance thresholds: the share of a period's allowance (included + extra packs) that, once
used, the customer is told of, and the outbox event that tells it.

A threshold is reached once per (account, meter, period, threshold, allowance): the allowance
in the key lets a pack bought later in the period be told of again when its new total is 80 %
used, and keeps an excess past 100 % of the same total from being told twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import ClassVar

from plansmith.domain.kernel.events import DomainEvent

THRESHOLDS: tuple[int, ...] = (80, 100)  # percent of the period's allowance


def reached(granted: int, used: Fraction) -> tuple[int, ...]:
    """The thresholds ``used`` units have reached of an allowance of ``granted`` units (none
    when nothing is granted: a meter without an allowance has no share to tell)."""
    if granted <= 0:
        return ()
    return tuple(t for t in THRESHOLDS if used * 100 >= granted * t)


@dataclass(frozen=True)
class ThresholdCrossing:
    """A threshold an account's use of a meter reached in a period, to be recorded once."""

    organization_id: str
    account_id: str
    subscription_id: str
    meter: str
    period_start: date
    period_end: date
    threshold: int
    allowance: int  # included + extra units of the period when it was reached
    used: int  # whole units used then (rounded down: "80 % used" never overstates)

    @property
    def key(self) -> tuple[str, str, date, int, int]:
        return (self.account_id, self.meter, self.period_start, self.threshold, self.allowance)


@dataclass(frozen=True, kw_only=True)
class AllowanceThresholdReached(DomainEvent):
    """An account used ``threshold`` % of its allowance of ``meter`` in the period."""

    TYPE: ClassVar[str] = "allowance.threshold_reached"
    OBJECT: ClassVar[str] = "allowance"

    organization_id: str
    account_id: str
    subscription_id: str
    meter: str
    threshold: int
    allowance: int
    used: int
    period_start: date
    period_end: date

    @property
    def object_id(self) -> str:
        return self.subscription_id  # the subscription whose allowance it is (ids fit 40)
