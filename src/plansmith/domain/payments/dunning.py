"""Dunning as data: when a failed payment is tried again, and what happens to the account as
the failure ages (Kill Bill's overdue states, Stripe's retry schedule).

Retries fall at day offsets from the first failure (default 1, 3, 5, 7), or at fixed gaps
between attempts, each at the local wall time of the first failed attempt in the account's
zone, so a retry moves by an hour in UTC across a DST change. Stages escalate at day offsets
from the first failure: notify (warning), restrict (blocked), cancel now, cancel at term end.
After the last scheduled attempt fails, the subscription becomes what the policy says (default
canceled) and the invoice uncollectible, or left open.

A day N after the first failure is the first failure's local date plus N, at its local wall
time. A wall time that does not exist on that day (clocks spring forward over it) moves forward
by the gap (02:30 becomes 03:30); one that happens twice (clocks fall back) is the first of the
two. Day 0 is the first failure itself.

The policy as plain data (policy_to_dict, policy_from_dict) is in dunning_data.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import accumulate
from zoneinfo import ZoneInfo

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue

MAX_RETRIES = 10
"""Retries a policy schedules after the first failed attempt."""
MAX_RETRY_DAY = 60
"""The largest number of days in ``retry_days`` (an offset, or a gap)."""
MAX_RETRY_SPAN_DAYS = 90
"""The last retry is at most this many days after the first failure."""
MAX_STAGES = 8
MAX_STAGE_DAY = 90


class Spacing(StrEnum):
    OFFSETS = "offsets"  # each number: days after the first failure
    GAPS = "gaps"  # each number: days after the attempt before


class StageAction(StrEnum):
    NOTIFY = "notify"  # overdue state: warning
    RESTRICT = "restrict"  # overdue state: blocked (entitlements denied)
    CANCEL_NOW = "cancel_now"
    CANCEL_AT_TERM_END = "cancel_at_term_end"


CANCEL_ACTIONS = frozenset({StageAction.CANCEL_NOW, StageAction.CANCEL_AT_TERM_END})


class AfterLast(StrEnum):
    """What the subscription becomes once the last scheduled attempt failed."""

    CANCELED = "canceled"
    CANCEL_AT_TERM_END = "cancel_at_term_end"
    PAST_DUE = "past_due"  # left as it is


class InvoiceAfterLast(StrEnum):
    UNCOLLECTIBLE = "uncollectible"
    OPEN = "open"


class OverdueState(StrEnum):
    """An account's overdue state, from the stages applied (Kill Bill's overdue states)."""

    NONE = ""
    WARNING = "warning"  # a notify stage was applied
    BLOCKED = "blocked"  # a restrict stage was applied: entitlements denied


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

    def retry_offsets(self) -> tuple[int, ...]:
        """The days after the first failure on which the retries fall, in order."""
        if self.spacing is Spacing.GAPS:
            return tuple(accumulate(self.retry_days))
        return tuple(self.retry_days)

    def ordered_stages(self) -> tuple[Stage, ...]:
        """The stages in the order they are reached (by ``after_days``, ties as written)."""
        return tuple(sorted(self.stages, key=lambda stage: stage.after_days))

    def validated(self) -> DunningPolicy:
        """This policy, or an InvalidValue (InvalidInput for several) naming each wrong field."""
        checks = Checks()
        _check_retries(self, checks)
        _check_stages(self.stages, checks)
        checks.raise_if_any()
        return self


DEFAULT_POLICY = DunningPolicy()


# -- the schedule ---------------------------------------------------------------------------


def day_at(first_failure_at: datetime, zone: ZoneInfo, days: int) -> datetime:
    """The instant (UTC) ``days`` after the first failure: its local date plus ``days`` at its
    local wall time in ``zone``. A wall time in a spring-forward gap moves forward by the gap;
    an ambiguous one (fall back) is its first occurrence. Day 0 is the first failure itself."""
    _require_aware(first_failure_at, "first_failure_at")
    _require_count(days, "days")
    if days == 0:
        return first_failure_at.astimezone(UTC)
    local = first_failure_at.astimezone(zone)
    wall = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=zone)
    # fold=0: the earlier of two readings of an ambiguous wall time; in a gap, PEP 495 reads it
    # with the offset before the jump, which lands the gap's length later on the wall clock.
    return wall.replace(fold=0).astimezone(UTC)


def retry_schedule(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo
) -> tuple[datetime, ...]:
    """Every scheduled retry's instant (UTC), in order."""
    return tuple(day_at(first_failure_at, zone, days) for days in policy.retry_offsets())


def retry_at(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, retries_done: int
) -> datetime | None:
    """The instant (UTC) of the next retry after ``retries_done`` retries, or None when every
    scheduled retry was made."""
    _require_aware(first_failure_at, "first_failure_at")
    _require_count(retries_done, "retries_done")
    offsets = policy.retry_offsets()
    if retries_done >= len(offsets):
        return None
    return day_at(first_failure_at, zone, offsets[retries_done])


def retries_passed(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, attempted_at: datetime
) -> int:
    """How many scheduled retries fall at or before an attempt made at ``attempted_at``: the
    next retry is the first one after it. The retries keep their days whatever else is tried
    in between (a new card, an operator's "retry now"): an attempt made at once counts as a
    scheduled retry only when that retry was due."""
    _require_aware(attempted_at, "attempted_at")
    return sum(1 for at in retry_schedule(policy, first_failure_at, zone) if at <= attempted_at)


def stage_reached_at(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, index: int
) -> datetime | None:
    """The instant (UTC) the ``index``-th stage (0-based, in order of ``after_days``) is
    reached, or None when the policy has fewer stages."""
    _require_count(index, "index")
    stages = policy.ordered_stages()
    if index >= len(stages):
        return None
    return day_at(first_failure_at, zone, stages[index].after_days)


def stages_due(
    policy: DunningPolicy, first_failure_at: datetime, zone: ZoneInfo, now: datetime, done: int
) -> tuple[Stage, ...]:
    """The stages reached by ``now`` that are not among the first ``done`` applied."""
    _require_aware(first_failure_at, "first_failure_at")
    _require_aware(now, "now")
    _require_count(done, "done")
    due: list[Stage] = []
    for stage in policy.ordered_stages()[done:]:
        if day_at(first_failure_at, zone, stage.after_days) > now:
            break  # stages are in order of their day: none after this one is reached either
        due.append(stage)
    return tuple(due)


def next_wakeup(
    policy: DunningPolicy,
    first_failure_at: datetime,
    zone: ZoneInfo,
    retries_done: int,
    stages_done: int,
) -> datetime | None:
    """When dunning has something to do next (UTC): the earlier of the next retry and the
    reaching of the next stage not applied yet; None when neither is left. A stage reached
    but not applied yet gives its (past) instant: it is due at once."""
    _require_count(stages_done, "stages_done")
    candidates = [
        instant
        for instant in (
            retry_at(policy, first_failure_at, zone, retries_done),
            stage_reached_at(policy, first_failure_at, zone, stages_done),
        )
        if instant is not None
    ]
    return min(candidates, default=None)


def overdue_state(policy: DunningPolicy, stages_done: int) -> OverdueState:
    """The account's overdue state once the first ``stages_done`` stages were applied:
    blocked after a restrict, else warning after a notify, else none (the empty string)."""
    _require_count(stages_done, "stages_done")
    applied = {stage.action for stage in policy.ordered_stages()[:stages_done]}
    if StageAction.RESTRICT in applied:
        return OverdueState.BLOCKED
    if StageAction.NOTIFY in applied:
        return OverdueState.WARNING
    return OverdueState.NONE


def _require_aware(instant: datetime, name: str) -> None:
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise InvalidValue(
            f"{instant!r} has no time zone; pass an aware datetime (e.g. in UTC)", field=name
        )


def _require_count(value: int, name: str) -> None:
    if not _whole(value) or value < 0:
        raise InvalidValue(f"expected a whole number, 0 or more, got {value!r}", field=name)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- the rules --------------------------------------------------------------------------------


def _check_retries(policy: DunningPolicy, checks: Checks) -> None:
    days = policy.retry_days
    if len(days) > MAX_RETRIES:
        checks.add(
            InvalidValue(
                f"{len(days)} retries; a policy schedules at most {MAX_RETRIES}: remove "
                f"{len(days) - MAX_RETRIES}",
                field="retry_days",
                code=ec.TOO_LARGE,
            )
        )
    well_formed = True
    previous: int | None = None  # the last day read right
    for i, day in enumerate(days):
        where = f"retry_days[{i}]"
        if not _whole(day):
            checks.add(InvalidValue(f"expected a whole number of days, got {day!r}", field=where))
        elif day < 1:
            after = "the attempt before" if policy.spacing is Spacing.GAPS else "the first failure"
            checks.add(
                InvalidValue(f"{day} days; a retry is 1 day or more after {after}", field=where)
            )
        elif day > MAX_RETRY_DAY:
            checks.add(
                InvalidValue(
                    f"{day} days; use {MAX_RETRY_DAY} days or fewer", field=where, code=ec.TOO_LARGE
                )
            )
        elif policy.spacing is Spacing.OFFSETS and previous is not None and day <= previous:
            checks.add(
                InvalidValue(
                    f"day {day} is not after the retry before it (day {previous}); offsets "
                    'count from the first failure and must increase (or use spacing "gaps")',
                    field=where,
                )
            )
        else:
            previous = day
            continue
        well_formed = False
    if well_formed and days:
        span = policy.retry_offsets()[-1]
        if span > MAX_RETRY_SPAN_DAYS:
            checks.add(
                InvalidValue(
                    f"the last retry falls {span} days after the first failure; the schedule "
                    f"may span at most {MAX_RETRY_SPAN_DAYS} days: shorten the gaps",
                    field="retry_days",
                    code=ec.TOO_LARGE,
                )
            )


def _check_stages(stages: Sequence[Stage], checks: Checks) -> None:
    if len(stages) > MAX_STAGES:
        checks.add(
            InvalidValue(
                f"{len(stages)} stages; a policy has at most {MAX_STAGES}: remove "
                f"{len(stages) - MAX_STAGES}",
                field="stages",
                code=ec.TOO_LARGE,
            )
        )
    previous: int | None = None
    cancel_at: int | None = None
    for i, stage in enumerate(stages):
        where = f"stages[{i}].after_days"
        day = stage.after_days
        if not _whole(day):
            checks.add(InvalidValue(f"expected a whole number of days, got {day!r}", field=where))
        elif day < 0:
            checks.add(InvalidValue(f"{day} days; a stage is 0 days or more in", field=where))
        elif day > MAX_STAGE_DAY:
            checks.add(
                InvalidValue(
                    f"{day} days; use {MAX_STAGE_DAY} days or fewer", field=where, code=ec.TOO_LARGE
                )
            )
        elif previous is not None and day < previous:
            checks.add(
                InvalidValue(
                    f"day {day} comes before the stage above it (day {previous}); list the "
                    "stages in the order they are reached",
                    field=where,
                )
            )
        else:
            previous = day
        if not isinstance(stage.action, StageAction):
            checks.add(
                InvalidValue(
                    f"unknown action {stage.action!r}; use {_choices(StageAction)}",
                    field=f"stages[{i}].action",
                )
            )
        elif stage.action in CANCEL_ACTIONS:
            if cancel_at is not None:
                checks.add(
                    InvalidValue(
                        f"stages[{cancel_at}] cancels already; a policy cancels once: "
                        "remove one of the two",
                        field=f"stages[{i}].action",
                    )
                )
            else:
                cancel_at = i


def _choices(kind: type[StrEnum]) -> str:
    return _listed([member.value for member in kind], "or")


def _listed(names: Sequence[str], last: str = "and") -> str:
    return ", ".join(names[:-1]) + f" {last} " + names[-1] if len(names) > 1 else names[0]
