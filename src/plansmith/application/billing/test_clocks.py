"""Test clocks: a sandbox organization's time stands still until the operator advances it.

Like Stripe's test clocks. Every use case run for a sandbox gets `clock_for(organization)`,
the instant stored with it, instead of the wall clock; live organizations keep the wall clock
and their time can never be moved. Advancing walks forward through each instant at which
something of the sandbox falls due (a period end, a trial end, a scheduled change, a draft's
grace end), running the billing run there, so two years of billing happen in order, each
invoice numbered and stamped at its own instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import run_billing
from plansmith.application.billing.run_records import RunWatch
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import Organization
from plansmith.domain.usage.events import DEFAULT_GRACE

# Each step is a billing run; bounding the jump bounds the work one request can start.
MAX_YEARS = 5


@dataclass(frozen=True)
class FrozenClock:
    """A clock that always says the same instant: a sandbox's test clock, or `bill --as-of`."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def clock_for(organization: Organization, wall: Clock) -> Clock:
    """The clock use cases run on for this organization: its test clock if it is a sandbox."""
    if organization.test_clock_at is not None:
        return FrozenClock(organization.test_clock_at)
    return wall


def organization_clock(uow: UnitOfWork, wall: Clock, organization_id: str) -> Clock:
    with uow:
        organization = uow.organizations.get(organization_id)
    if organization is None:
        raise NotFound(f"no organization {organization_id!r}", field="organization_id")
    return clock_for(organization, wall)


@dataclass(frozen=True)
class Step:
    """One billing run of an advance, as of the instant the clock was set to."""

    at: datetime
    run: RunRecord


@dataclass(frozen=True)
class ClockAdvance:
    organization_id: str
    previous: datetime  # where the clock stood
    now: datetime  # where it stands: the instant asked for
    steps: tuple[Step, ...]

    @property
    def renewed(self) -> int:
        return sum(s.run.renewed for s in self.steps)

    @property
    def invoiced(self) -> int:
        return sum(s.run.invoiced for s in self.steps)

    @property
    def finalized(self) -> int:
        return sum(s.run.finalized for s in self.steps)

    @property
    def errors(self) -> tuple[dict[str, str], ...]:
        return tuple(e for s in self.steps for e in s.run.errors)


def _years_after(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # Feb 29 -> Feb 28
        return at.replace(year=at.year + years, day=28)


def sandbox_of(uow: UnitOfWork, organization_id: str) -> Organization:
    with uow:
        organization = uow.organizations.get(organization_id)
    if organization is None:
        raise NotFound(f"no organization {organization_id!r}", field="organization_id")
    if organization.test_clock_at is None:
        raise Conflict(
            "only a sandbox organization's time can be moved; this one is live",
            field="organization_id",
            code=ec.NOT_SANDBOX,
        )
    return organization


def checked_advance(uow: UnitOfWork, organization_id: str, to: datetime) -> datetime:
    """Where the sandbox's clock stands, if it may be advanced to ``to``; refused otherwise."""
    if to.tzinfo is None or to.utcoffset() is None:
        raise InvalidValue("give an instant with its UTC offset, e.g. +00:00", field="to")
    start = sandbox_of(uow, organization_id).test_clock_at
    assert start is not None  # sandbox_of checked it
    _checked_target(start, to)
    return start


def _checked_target(start: datetime, to: datetime) -> None:
    if to < start:
        raise InvalidValue(
            f"the test clock is at {start.isoformat()}; it only moves forward", field="to"
        )
    if to > _years_after(start, MAX_YEARS):
        raise InvalidValue(
            f"advance at most {MAX_YEARS} years at a time (to "
            f"{_years_after(start, MAX_YEARS).isoformat()})",
            field="to",
        )


def _next_instant(
    uow: UnitOfWork,
    organization_id: str,
    after: datetime,
    to: datetime,
    also_due: Callable[[datetime, datetime], datetime | None] | None = None,
) -> datetime:
    """The first instant in (after, to] at which something falls due, else ``to``. A period
    end is due twice: at the end itself, and once its late usage events can no longer come
    (the end + the grace window), when a period that charges usage is billed."""
    with uow:
        due = uow.subscriptions.next_due_at(organization_id, after, to)
        set_grace = uow.usage_settings.grace(organization_id)
        events = DEFAULT_GRACE if set_grace is None else set_grace
        closed = uow.subscriptions.next_due_at(organization_id, after - events, to - events)
        grace_end = uow.invoices.next_finalize_at(organization_id, after, to)
        # a stopped period's usage closes at its stop + the grace for late events (ADR 0034)
        stop_usage = uow.subscriptions.next_stop_usage_at(organization_id, after, to, events)
    other = also_due(after, to) if also_due is not None else None
    usage_closes = closed + events if closed is not None else None
    found = [at for at in (due, usage_closes, grace_end, stop_usage, other) if at is not None]
    return min(found) if found else to


def advance_clock(
    uow: UnitOfWork,
    organization_id: str,
    to: datetime,
    grace: timedelta,
    on_step: Callable[[Step], None] | None = None,
    watch: RunWatch | None = None,
    *,
    after_each: Callable[[datetime], None] | None = None,
    also_due: Callable[[datetime, datetime], datetime | None] | None = None,
) -> ClockAdvance:
    """Move a sandbox's clock to ``to``, billing at each instant something falls due on the
    way: first what is due or pending at the clock itself, then each next due instant, then
    ``to``. The clock is saved after each step, so a crash leaves it at the last step done
    (and advancing again redoes nothing: each billing run is idempotent). ``watch``: the wall
    clock and lease the runs' records are kept by."""
    start = checked_advance(uow, organization_id, to)
    to = to.astimezone(UTC)
    steps: list[Step] = []

    def bill_at(at: datetime) -> None:
        run = run_billing(uow, FrozenClock(at), organization_id, grace=grace, watch=watch)
        if after_each is not None:  # e.g. collecting what the run invoiced, at the same instant
            after_each(at)
        step = Step(at, run)
        steps.append(step)
        if on_step is not None:
            on_step(step)

    at = start
    bill_at(at)  # what is due or pending at the clock itself comes first
    while at < to:
        following = _next_instant(uow, organization_id, at, to, also_due)
        bill_at(following)
        with uow:
            if not uow.organizations.move_test_clock(organization_id, at, following):
                raise Conflict(
                    "the test clock was moved by someone else meanwhile; read it and retry",
                    field="to",
                    code=ec.CONCURRENT_CHANGE,
                )
            uow.commit()
        at = following
    return ClockAdvance(organization_id, start, to, tuple(steps))
