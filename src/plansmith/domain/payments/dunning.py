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
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
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


def _days_later(first: datetime, zone: ZoneInfo, days: int) -> datetime:
    local = first.astimezone(zone)
    wall = datetime.combine(local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(UTC)


def retry_at(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, retries_done: int
) -> datetime | None:
    """The instant (UTC) of the next retry after ``retries_done`` retries, or None when every
    scheduled retry was made."""
    if retries_done >= len(policy.retry_days):
        return None
    if policy.spacing is Spacing.OFFSETS:
        days = policy.retry_days[retries_done]
    else:
        days = sum(policy.retry_days[: retries_done + 1])
    return _days_later(first_failure_at, zone, days)


def stages_due(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, now: datetime, done: int
) -> tuple[Stage, ...]:
    """The stages reached by ``now`` that are not among the first ``done`` applied."""
    ordered = sorted(policy.stages, key=lambda s: s.after_days)
    return tuple(
        s for s in ordered[done:] if _days_later(first_failure_at, zone, s.after_days) <= now
    )


def next_wakeup(
    policy: DunningPolicy,
    first_failure_at: datetime,
    zone: ZoneInfo,
    retries_done: int,
    stages_done: int,
) -> datetime | None:
    ordered = sorted(policy.stages, key=lambda s: s.after_days)
    found = [retry_at(policy, first_failure_at, zone, retries_done)]
    if stages_done < len(ordered):
        found.append(_days_later(first_failure_at, zone, ordered[stages_done].after_days))
    times = [f for f in found if f is not None]
    return min(times) if times else None


def overdue_state(policy: DunningPolicy, stages_done: int) -> str:
    ordered = sorted(policy.stages, key=lambda s: s.after_days)[:stages_done]
    actions = {s.action for s in ordered}
    if StageAction.RESTRICT in actions:
        return "blocked"
    return "warning" if StageAction.NOTIFY in actions else ""


def policy_to_dict(policy: DunningPolicy) -> dict[str, object]:
    return {
        "retry_days": list(policy.retry_days),
        "spacing": policy.spacing.value,
        "stages": [{"after_days": s.after_days, "action": s.action.value} for s in policy.stages],
        "after_last": policy.after_last.value,
        "invoice_after_last": policy.invoice_after_last.value,
    }


def policy_from_dict(data: Mapping[str, Any]) -> DunningPolicy:
    return DunningPolicy(
        tuple(data["retry_days"]),
        Spacing(data["spacing"]),
        tuple(Stage(s["after_days"], StageAction(s["action"])) for s in data["stages"]),
        AfterLast(data["after_last"]),
        InvoiceAfterLast(data["invoice_after_last"]),
    )
