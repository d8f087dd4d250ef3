"""Dunning as data: when a failed payment is tried again, and what happens to the account as
the failure ages (Kill Bill's overdue states, Stripe's retry schedule).

Retries fall at day offsets from the first failure (default 1, 3, 5, 7), or at fixed gaps
between attempts, each at the local wall time of the first failed attempt in the account's
zone, so a retry moves by an hour in UTC across a DST change. Stages escalate at day offsets
from the first failure: notify (warning), restrict (blocked), cancel now, cancel at term end.
After the last scheduled attempt fails, the subscription becomes what the policy says (default
canceled) and the invoice uncollectible, or left open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class Spacing(StrEnum):
    OFFSETS = "offsets"  # each number: days after the first failure
    GAPS = "gaps"  # each number: days after the attempt before


class StageAction(StrEnum):
    NOTIFY = "notify"  # overdue state: warning
    RESTRICT = "restrict"  # overdue state: blocked (entitlements denied)
    CANCEL_NOW = "cancel_now"
    CANCEL_AT_TERM_END = "cancel_at_term_end"


class AfterLast(StrEnum):
    """What the subscription becomes once the last scheduled attempt failed."""

    CANCELED = "canceled"
    CANCEL_AT_TERM_END = "cancel_at_term_end"
    PAST_DUE = "past_due"  # left as it is


class InvoiceAfterLast(StrEnum):
    UNCOLLECTIBLE = "uncollectible"
    OPEN = "open"


@dataclass(frozen=True)
class Stage:
    after_days: int  # days after the first failure
    action: StageAction


@dataclass(frozen=True)
class DunningPolicy:
    retry_days: tuple[int, ...] = (1, 3, 5, 7)
    spacing: Spacing = Spacing.OFFSETS
    stages: tuple[Stage, ...] = field(default_factory=tuple)
    after_last: AfterLast = AfterLast.CANCELED
    invoice_after_last: InvoiceAfterLast = InvoiceAfterLast.UNCOLLECTIBLE


DEFAULT_POLICY = DunningPolicy()


def retry_at(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, retries_done: int
) -> datetime | None:
    """The instant (UTC) of the next retry after ``retries_done`` retries, or None when every
    scheduled retry was made."""
    raise NotImplementedError  # built with its tests


def stages_due(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, now: datetime, done: int
) -> tuple[Stage, ...]:
    """The stages reached by ``now`` that are not among the first ``done`` applied."""
    raise NotImplementedError  # built with its tests
