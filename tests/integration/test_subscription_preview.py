"""A preview is what the change then does: same items, events, next invoice and state, and it
writes nothing. Property-tested through the use cases on one migrated SQLite database per test
function, a fresh account per example, at random instants (period ends passed on the way are
part of both the preview and the change).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.lifecycle import Result
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.domain.kernel.errors import DomainError
from tests.unit.subscription_builders import CURRENCIES, CYCLES, new_account, plan_terms_data
from tests.unit.subscription_builders import seed_catalog as seed

# Ranked in this order. The family keeps the default policy: upgrades now, downgrades and
# fewer seats at the term end, so some requests are scheduled and some refused.
PLANS = {
    "solo": plan_terms_data("solo"),
    "starter": plan_terms_data("basic", trial_days=14),
    "basic": plan_terms_data("basic"),
    "flex": plan_terms_data("pro", pay_per_day=True),
    "pro": plan_terms_data("pro"),
    "studio": plan_terms_data("studio"),
}
FLAT = {code for code, data in PLANS.items() if data["pricing"] == "flat"}
ZONES = ("UTC", "Asia/Tokyo", "America/New_York")
ITEM_FIELDS = (
    "kind",
    "component",
    "description",
    "currency",
    "quantity",
    "unit_amount",
    "amount",
    "period_start",
    "period_end",
    "days",
    "period_days",
)


@dataclass
class World:
    app: Plansmith
    clock: TestClock
    org: str


@pytest.fixture
def world(sqlite_template: Path, tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "preview.sqlite3"
    shutil.copyfile(sqlite_template, path)
    clock = TestClock(datetime(2026, 1, 1, tzinfo=UTC))
    settings_ = Settings(database_url=f"sqlite:///{path}", secret_key="test-secret")
    app = bootstrap(settings_, clock=clock)
    org = create_organization(app.uow(), clock, "Preview Operator").id
    seed(app, org, plans=PLANS)
    yield World(app, clock, org)
    app.dispose()


# -- what a customer may ask for ---------------------------------------------------------

ADD_ONS = st.fixed_dictionaries({"ai": st.integers(0, 1), "chat": st.integers(0, 3)})


@st.composite
def change_inputs(draw: st.DrawFn, held: str) -> actions.ChangeInput:
    """A change of one or more of plan, cycle, seats and add-ons (flat plans take 1 seat)."""
    plan = draw(st.none() | st.sampled_from(sorted(PLANS)))
    if (plan or held) in FLAT:
        seats = st.just(None if plan is None or held in FLAT else 1)
    else:
        seats = st.none() | st.integers(1, 5)
    cycle = st.none() | st.sampled_from([c.name for c in CYCLES])
    change = actions.ChangeInput(
        plan=plan,
        cycle=draw(cycle if draw(st.integers(0, 3)) == 0 else st.none()),  # cycles less often
        quantity=draw(seats),
        add_ons=draw(st.none() | ADD_ONS),
        when=draw(st.sampled_from([None, None, "now", "term_end"])),
    )
    asked = (change.plan, change.cycle, change.quantity, change.add_ons)
    return change if any(x is not None for x in asked) else replace(change, add_ons={"chat": 1})


Step = tuple[str, Any]  # ("change", ChangeInput) | ("cancel", when) | ("reactivate", None)...


def steps(held: str) -> st.SearchStrategy[Step]:
    return st.one_of(
        st.tuples(st.just("change"), change_inputs(held)),
        st.tuples(st.just("change"), change_inputs(held)),
        st.tuples(st.just("cancel"), st.sampled_from(["now", "term_end"])),
        st.tuples(st.sampled_from(["reactivate", "pause", "resume"]), st.none()),
    )


@dataclass(frozen=True)
class Case:
    currency: str
    tz: str
    plan: str
    cycle: str
    quantity: int
    add_ons: Mapping[str, int]
    start: datetime
    setup: Step | None  # something done earlier, to reach other states
    setup_after: timedelta
    step: Step  # previewed, then done
    step_after: timedelta  # after the setup (or the start)
    at_period_end: timedelta | None  # instead: this long after the next period end


@st.composite
def cases(draw: st.DrawFn) -> Case:
    plan = draw(st.sampled_from(sorted(PLANS)))
    # Uniform over ~100 days (hypothesis favours small integers), or right at a period end.
    minutes = st.builds(
        lambda d, m: timedelta(days=d, minutes=m),
        st.sampled_from(range(101)),
        st.sampled_from(range(0, 24 * 60, 7)),
    )
    return Case(
        currency=draw(st.sampled_from(CURRENCIES)),
        tz=draw(st.sampled_from(ZONES)),
        plan=plan,
        cycle=draw(st.sampled_from([c.name for c in CYCLES])),
        quantity=1 if plan in FLAT else draw(st.integers(1, 5)),
        add_ons=draw(ADD_ONS),
        start=draw(
            st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
        ),
        setup=draw(st.none() | steps(plan)),
        setup_after=draw(minutes),
        step=draw(steps(plan)),
        step_after=draw(minutes),
        at_period_end=draw(
            st.none() | st.sampled_from([timedelta(minutes=m) for m in (-1, 0, 1, 60 * 24 - 1)])
        ),
    )


def _call(w: World, sub_id: str, step: Step, *, preview: bool) -> Result:
    kind, arg = step
    uow, clock, org = w.app.uow(), w.clock, w.org
    calls: dict[str, Callable[[], Result]] = {
        "change": lambda: actions.change_subscription(
            uow, clock, org, sub_id, arg, preview=preview
        ),
        "cancel": lambda: actions.cancel_subscription(
            uow, clock, org, sub_id, arg, preview=preview
        ),
        "reactivate": lambda: actions.reactivate_subscription(
            uow, clock, org, sub_id, preview=preview
        ),
        "pause": lambda: actions.pause_subscription(uow, clock, org, sub_id, preview=preview),
        "resume": lambda: actions.resume_subscription(uow, clock, org, sub_id, preview=preview),
    }
    return calls[kind]()


# -- what the database holds -----------------------------------------------------------------

SUB_TABLES = (
    t.subscriptions,
    t.subscription_spans,
    t.subscription_events,
    t.subscription_items,
    t.subscription_notices,
)


def _snapshot(w: World, sub_id: str) -> tuple[list[int], list[list[dict[str, Any]]]]:
    """Row counts of every table, and every row of this subscription."""
    with w.app.engine.connect() as c:
        counts = [
            int(c.execute(select(func.count()).select_from(x)).scalar_one())
            for x in t.metadata.sorted_tables
        ]
        rows = []
        for table in SUB_TABLES:
            key = table.c.id if table is t.subscriptions else table.c.subscription_id
            q = select(table).where(key == sub_id).order_by(*table.primary_key.columns)
            rows.append([dict(r._mapping) for r in c.execute(q)])
    return counts, rows


def _new_item_rows(w: World, sub_id: str, known: set[str]) -> list[dict[str, Any]]:
    i, e = t.subscription_items.c, t.subscription_events.c
    q = (
        select(t.subscription_items, e.seq)
        .join(t.subscription_events, e.id == i.event_id)
        .where(i.subscription_id == sub_id)
        .order_by(e.seq, i.position)
    )
    with w.app.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(q) if r.id not in known]


def _fields(item: object) -> dict[str, Any]:
    values = {f: getattr(item, f) for f in ITEM_FIELDS}
    values["kind"] = str(values["kind"])
    return values


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_a_preview_equals_what_the_change_then_does_and_writes_nothing(
    world: World, case: Case
) -> None:
    w = world
    w.clock.set(case.start)
    account = new_account(w.app, w.org, case.currency, case.tz, f"Acct {case.start:%j%H%M%S}")
    sub_id = subscribe(
        w.app.uow(),
        w.clock,
        w.org,
        SubscribeInput(account, case.plan, case.cycle, case.quantity, add_ons=case.add_ons),
    ).view.subscription.id
    w.clock.set(case.start + case.setup_after)
    if case.setup is not None:
        with contextlib.suppress(DomainError):  # refused: the subscription is as it was
            _call(w, sub_id, case.setup, preview=False)
    w.clock.set(case.start + case.setup_after + case.step_after)
    due = get_subscription(w.app.uow(), w.org, sub_id).subscription.due_at()
    if case.at_period_end is not None and due is not None:
        w.clock.set(max(due + case.at_period_end, w.clock.now()))
    before = _snapshot(w, sub_id)
    known = {row["id"] for row in before[1][3]}

    refused: DomainError | None = None
    try:
        preview = _call(w, sub_id, case.step, preview=True)
    except DomainError as exc:
        refused = exc

    assert _snapshot(w, sub_id) == before  # the preview wrote nothing
    # The mix of cases shows with --hypothesis-show-statistics.
    event(f"{case.step[0]}: {refused.code if refused else 'done'}")
    if refused is not None:
        with pytest.raises(DomainError) as caught:
            _call(w, sub_id, case.step, preview=False)
        assert (caught.value.code, caught.value.field, caught.value.message) == (
            refused.code,
            refused.field,
            refused.message,
        )
        assert _snapshot(w, sub_id) == before  # refused for real: nothing written either
        return
    real = _call(w, sub_id, case.step, preview=False)
    ends = sum(e.kind in ("renewed", "converted", "period_closed") for e in real.events)
    event(f"items: {min(len(real.items), 3)}+, period ends passed: {min(ends, 2)}+")

    assert (preview.applied, real.applied) == (False, bool(real.events))
    assert preview.items == real.items
    assert preview.events == real.events
    assert preview.next_invoice == real.next_invoice
    assert preview.view == real.view
    stored = _new_item_rows(w, sub_id, known)
    assert [{f: r[f] for f in ITEM_FIELDS} for r in stored] == [_fields(i) for i in preview.items]
    for row in stored:
        assert (row["subscription_id"], row["organization_id"], row["account_id"]) == (
            sub_id,
            w.org,
            account,
        )
        assert (row["invoice_id"], row["created_at"]) == (None, w.clock.now())
    new_events = _snapshot(w, sub_id)[1][2]
    assert len(new_events) == len(before[1][2]) + len(real.events)
