"""Test clocks on SQLite and PostgreSQL: a sandbox organization's time stands still until it
is advanced, and advancing bills each renewal, trial end and grace end at its own instant.

The sandbox is made at START (Jan 31 2026 15:00 UTC). Kato (UTC, JPY, 10 % tax) holds Basic
x 3 seats at 1490 anchored on the 31st; Berlin GmbH (Europe/Berlin) holds Starter x 2 at 1490
after a 14-day trial, so it converts on Feb 14 and renews on the 14th. Figures by hand:
Kato 3 x 1490 = 4470 + 447 tax = 4917; Berlin 2 x 1490 = 2980, no tax.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing import run as billing_run
from plansmith.application.billing import test_clocks
from plansmith.application.billing.run import run_billing
from plansmith.application.invoicing.taxes_and_coupons import (
    TaxRateInput,
    create_tax_rate,
    set_account_tax_rate,
)
from plansmith.application.kernel.errors import Conflict
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.actions import advance_due
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel.errors import InvalidValue
from tests.conftest import START, Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

D = date
BERLIN = "Europe/Berlin"
TWO_YEARS_ON = datetime(2028, 1, 31, 15, 0, tzinfo=UTC)
NO_GRACE = timedelta(0)
GRACE = timedelta(minutes=60)
# Everything an advance may write, besides the clock itself.
WRITTEN = (
    t.invoices,
    t.invoice_lines,
    t.ledger_transactions,
    t.ledger_entries,
    t.subscription_items,
    t.subscription_events,
    t.subscription_spans,
    t.document_sequences,
    t.billing_runs,
)


def _monthly(**extra: object) -> dict[str, object]:
    return {
        "pricing": "per_seat",
        "prices": [{"currency": "JPY", "cycle": "month", "amount": 1490}],
        **extra,
    }


def _sandbox(app: Plansmith, name: str = "Acme Sandbox") -> tuple[str, str, str]:
    """A sandbox with Kato on Basic x 3 (taxed) and Berlin GmbH on Starter x 2 (in trial)."""
    org = create_organization(app.uow(), app.clock, name, sandbox=True).id
    plans = {"basic": _monthly(), "starter": _monthly(trial_days=14)}
    seed_catalog(app, org, plans=plans, add_ons=False)
    kato = new_account(app, org, "JPY", "UTC")
    berlin = new_account(app, org, "JPY", BERLIN, name="Berlin GmbH")
    clock = test_clocks.organization_clock(app.uow(), app.clock, org)
    rate = create_tax_rate(app.uow(), clock, org, TaxRateInput("Consumption tax", "10"))
    set_account_tax_rate(app.uow(), org, kato, rate.id)
    subscribe(app.uow(), clock, org, SubscribeInput(kato, "basic", quantity=3))
    subscribe(app.uow(), clock, org, SubscribeInput(berlin, "starter", quantity=2))
    return org, kato, berlin


def _advance(
    app: Plansmith, org: str, to: datetime, grace: timedelta = NO_GRACE
) -> test_clocks.ClockAdvance:
    return test_clocks.advance_clock(app.uow(), org, to, grace)


def _frozen_at(app: Plansmith, org: str) -> datetime | None:
    with app.uow() as uow:
        found = uow.organizations.get(org)
    assert found is not None
    return found.test_clock_at


def _count(app: Plansmith, table: Table) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _counts(app: Plansmith) -> list[int]:
    return [_count(app, table) for table in WRITTEN]


def _invoices(app: Plansmith, org: str) -> list[Invoice]:
    with app.uow() as uow:
        found = uow.invoices.invoices(org, account_id=None, status=None, after=None, limit=500)
    return sorted(found, key=lambda i: (i.number or "~", i.created_at))


def _month_ends(year: int, month: int, count: int) -> list[date]:
    days = []
    for _ in range(count):
        days.append(D(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def _fourteenths(count: int) -> list[date]:
    """Feb 14 2026 and the 14th of each month after it."""
    return [D(2026 + (1 + m) // 12, (1 + m) % 12 + 1, 14) for m in range(count)]


def _expected(kato: str, berlin: str, months: int) -> list[tuple[object, ...]]:
    """(number, account, period start, period end, total, created at) in date order."""
    kato_starts = _month_ends(2026, 1, months + 2)
    kato_rows = [
        (kato, start, end, 4917, START if n == 0 else local_at(start, "UTC"))
        for n, (start, end) in enumerate(itertools.pairwise(kato_starts))
        if (START if n == 0 else local_at(start, "UTC")) <= _months_on(months)
    ]
    berlin_starts = _fourteenths(months + 2)
    berlin_rows = [
        (berlin, start, end, 2980, local_at(start, BERLIN))
        for start, end in itertools.pairwise(berlin_starts)
        if local_at(start, BERLIN) <= _months_on(months)
    ]
    ordered = sorted(kato_rows + berlin_rows, key=lambda r: r[-1])
    return [(f"INV-{n:06d}", *row) for n, row in enumerate(ordered, start=1)]


def _months_on(months: int) -> datetime:
    year, month = divmod(START.month - 1 + months, 12)
    year += START.year
    day = min(START.day, calendar.monthrange(year, month + 1)[1])
    return START.replace(year=year, month=month + 1, day=day)


def _heads(invoices: list[Invoice]) -> list[tuple[object, ...]]:
    return [
        (i.number, i.account_id, i.period_start, i.period_end, i.totals.total, i.created_at)
        for i in invoices
    ]


def test_24_months_in_one_advance_bill_every_period_at_its_own_instant_in_date_order(
    container: Plansmith, clock: TestClock
) -> None:
    org, kato, berlin = _sandbox(container)

    done = _advance(container, org, TWO_YEARS_ON)

    invoices = _invoices(container, org)
    expected = _expected(kato, berlin, 24)
    # Kato: Jan 31 2026 (at once) .. Jan 31 2028, 25 periods through a clamped Feb 29 2028;
    # Berlin: converted Feb 14 2026, renewed on the 14th through Jan 14 2028, 24 periods.
    assert len(expected) == 49
    assert [r[1] for r in expected].count(kato) == 25
    assert (expected[0], expected[1], expected[-1]) == (
        ("INV-000001", kato, D(2026, 1, 31), D(2026, 2, 28), 4917, START),
        # midnight in Berlin is 23:00 UTC the day before, in winter
        ("INV-000002", berlin, D(2026, 2, 14), D(2026, 3, 14), 2980, _utc(2026, 2, 13, 23)),
        ("INV-000049", kato, D(2028, 1, 31), D(2028, 2, 29), 4917, _utc(2028, 1, 31)),
    )
    assert _heads(invoices) == expected
    # Each finalized at once (no grace), at its own instant; all open, every line taxed once.
    assert [i.finalized_at for i in invoices] == [i.created_at for i in invoices]
    assert {i.status.value for i in invoices} == {"open"}
    assert {(i.totals.subtotal, i.totals.tax) for i in invoices} == {(4470, 447), (2980, 0)}
    assert (done.previous, done.now) == (START, TWO_YEARS_ON)
    assert (done.renewed, done.invoiced, done.finalized, done.errors) == (48, 49, 49, ())
    # The first step catches up at the clock itself, the last one stops at the instant asked.
    assert (done.steps[0].at, done.steps[-1].at) == (START, TWO_YEARS_ON)
    assert [s.at for s in done.steps] == sorted({s.at for s in done.steps})
    assert _frozen_at(container, org) == TWO_YEARS_ON
    # The wall clock never moved, and nothing of the sandbox made it move.
    assert clock.now() == START

    before = _counts(container), _heads(_invoices(container, org))
    again = _advance(container, org, TWO_YEARS_ON)

    assert (again.renewed, again.invoiced, again.finalized, len(again.steps)) == (0, 0, 0, 1)
    after = _counts(container), _heads(_invoices(container, org))
    # Only the one billing run of the repeated advance is recorded.
    assert after[1] == before[1]
    assert after[0] == [*before[0][:-1], before[0][-1] + 1]


def _utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_advancing_in_two_halves_bills_exactly_what_one_jump_bills(
    container: Plansmith,
) -> None:
    one, *_ = _sandbox(container, "One jump")
    two, *_ = _sandbox(container, "Two halves")

    _advance(container, one, TWO_YEARS_ON)
    _advance(container, two, _utc(2027, 1, 10, 9))  # between two renewals of both
    _advance(container, two, TWO_YEARS_ON)

    def seen(org: str) -> list[tuple[Any, ...]]:
        rows = []
        for i in _invoices(container, org):
            lines = [(x.kind.value, x.description, x.amount, x.tax, x.total) for x in i.lines]
            rows.append(
                (
                    i.number,
                    i.period_start,
                    i.period_end,
                    i.totals,
                    i.created_at,
                    i.finalized_at,
                    *tuple(lines),
                )
            )
        return rows

    assert len(seen(one)) == 49
    assert seen(two) == seen(one)


def test_with_a_grace_period_each_draft_is_finalized_at_its_grace_end_before_the_next_renewal(
    container: Plansmith,
) -> None:
    org, kato, berlin = _sandbox(container)
    six_months_on = _utc(2026, 7, 31, 15)

    done = _advance(container, org, six_months_on, GRACE)

    invoices = _invoices(container, org)
    # Kato: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31; Berlin: Feb 14 .. Jul 14.
    assert _heads(invoices) == _expected(kato, berlin, 6)
    assert len(invoices) == 13
    # Drafted at the renewal, finalized (numbered) exactly when its hour of grace ended,
    # so numbers follow the grace ends, each before the next renewal of any subscription.
    assert [i.finalized_at for i in invoices] == [i.created_at + GRACE for i in invoices]
    finalize_steps = {i.finalized_at for i in invoices}
    assert finalize_steps <= {s.at for s in done.steps}
    for invoice, following in itertools.pairwise(invoices):
        assert invoice.finalized_at is not None
        assert invoice.finalized_at < following.created_at
    assert {i.status.value for i in invoices} == {"open"}
    assert (done.invoiced, done.finalized) == (13, 13)


def test_a_crash_leaves_the_clock_at_the_last_step_done_and_advancing_again_finishes(
    container: Plansmith, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, kato, berlin = _sandbox(container)
    real = billing_run.run_billing
    runs: list[datetime] = []

    def crashing(uow: Any, clock: Any, organization_id: Any, **kw: Any) -> Any:
        runs.append(clock.now())
        if len(runs) == 4:  # START, Feb 13 23:00, Feb 28 done; killed in the Mar 13 step
            raise RuntimeError("worker killed")
        return real(uow, clock, organization_id, **kw)

    monkeypatch.setattr(test_clocks, "run_billing", crashing)
    with pytest.raises(RuntimeError):
        _advance(container, org, TWO_YEARS_ON)
    monkeypatch.setattr(test_clocks, "run_billing", real)

    assert _frozen_at(container, org) == _utc(2026, 2, 28)
    assert len(_invoices(container, org)) == 3
    _advance(container, org, TWO_YEARS_ON)
    assert _heads(_invoices(container, org)) == _expected(kato, berlin, 24)


def test_a_live_organization_is_refused_and_nothing_changes(
    container: Plansmith, tenant: Tenant
) -> None:
    before = _counts(container)

    with pytest.raises(Conflict) as refused:
        _advance(container, tenant.organization_id, TWO_YEARS_ON)

    assert (refused.value.code, refused.value.field) == ("not_sandbox", "organization_id")
    assert _counts(container) == before
    assert _frozen_at(container, tenant.organization_id) is None
    with container.uow() as uow:
        assert not uow.organizations.move_test_clock(tenant.organization_id, START, TWO_YEARS_ON)


@pytest.mark.parametrize(
    ("to", "says"),
    [
        (lambda at: at - timedelta(seconds=1), "only moves forward"),
        (lambda at: (at + timedelta(days=1)).replace(tzinfo=None), "UTC offset"),
        (lambda at: at.replace(year=at.year + 5) + timedelta(seconds=1), "at most 5 years"),
    ],
    ids=["backwards", "naive", "over-5-years"],
)
def test_a_refused_instant_names_to_and_changes_nothing(
    container: Plansmith, to: Callable[[datetime], datetime], says: str
) -> None:
    org, *_ = _sandbox(container)
    _advance(container, org, _utc(2026, 3, 1))
    before = _counts(container), _frozen_at(container, org)

    with pytest.raises(InvalidValue) as refused:
        _advance(container, org, to(_utc(2026, 3, 1)))

    assert refused.value.field == "to"
    assert says in refused.value.message
    assert (_counts(container), _frozen_at(container, org)) == before


def test_use_cases_of_a_sandbox_run_at_its_instant_and_a_live_one_on_the_wall_clock(
    container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    org, *_ = _sandbox(container)
    _advance(container, org, _utc(2026, 6, 1, 12))
    clock.advance(timedelta(days=3))  # the wall clock moves on; the sandbox does not

    sandbox_clock = test_clocks.organization_clock(container.uow(), container.clock, org)
    live_clock = test_clocks.organization_clock(
        container.uow(), container.clock, tenant.organization_id
    )
    late = new_account(container, org, "JPY", "UTC", name="Late Ltd")
    started = subscribe(container.uow(), sandbox_clock, org, SubscribeInput(late, "basic"))

    assert sandbox_clock.now() == _utc(2026, 6, 1, 12)
    assert live_clock is container.clock
    sub = started.view.subscription
    assert (sub.created_at, sub.period_start, sub.anchor) == (
        _utc(2026, 6, 1, 12),
        D(2026, 6, 1),
        D(2026, 6, 1),
    )


def test_runs_over_every_organization_leave_a_sandbox_to_its_own_clock(
    container: Plansmith, clock: TestClock
) -> None:
    org, *_ = _sandbox(container)
    _advance(container, org, START)  # the first period is invoiced at the sandbox's instant
    before = _counts(container)[:-1], _heads(_invoices(container, org))
    clock.advance(timedelta(days=45))  # on the wall clock both renewals are due

    advance_due(container.uow(), container.clock, None)
    run_billing(container.uow(), container.clock, None, grace=NO_GRACE)

    assert (_counts(container)[:-1], _heads(_invoices(container, org))) == before
