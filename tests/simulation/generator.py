"""Seeded random histories: the same seed always gives the same actions.

The generator steps a model of its own while it draws, so most actions are ones the product
should accept; a few are refused on purpose (a second subscribe, resuming what is not paused).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.simulation import actions as a
from tests.simulation.calendar import local_midnight
from tests.simulation.catalog import CURRENCIES, CYCLES, PLANS
from tests.simulation.model import EVENT_GRACE, Model

ZONES = (
    "UTC",
    "Asia/Tokyo",
    "America/New_York",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Europe/London",
)
# Month ends, leap days and the nights of DST changes, and a few plain days.
STARTS = (
    datetime(2024, 1, 31, 10, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 12, 0, tzinfo=UTC),
    datetime(2027, 3, 13, 22, 30, tzinfo=UTC),
    datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2027, 8, 30, 5, 0, tzinfo=UTC),
    datetime(2028, 2, 28, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 6, 9, 15, tzinfo=UTC),
)
# Whether histories stop periods that have usage (an immediate cancel or a pause; ADR 0034).
STOPPED_PERIOD_USAGE = True


@dataclass(frozen=True)
class History:
    seed: int
    start: datetime
    actions: tuple[a.Action, ...]

    def describe(self) -> str:
        lines = [f"seed {self.seed}, clock from {self.start.isoformat()}:"]
        lines += [f"  {n:3d}. {action!r}" for n, action in enumerate(self.actions, 1)]
        return "\n".join(lines)


def generate(seed: int, length: int = 12) -> History:
    rng = random.Random(seed)
    start = rng.choice(STARTS) if rng.random() < 0.7 else _random_start(rng)
    model = Model(start)
    out: list[a.Action] = []
    for _ in range(rng.randint(1, 3)):
        tax = rng.choice([None, None, "10", "8.25", "19"])
        declines = rng.random() < 0.25
        account = a.NewAccount(rng.choice(CURRENCIES), rng.choice(ZONES), tax, declines)
        out.append(_apply(model, account))
    while len(out) < length + len(model.accounts):
        action = _draw(rng, model)
        if action is not None:
            out.append(_apply(model, action))
    return History(seed, start, tuple(out))


def _random_start(rng: random.Random) -> datetime:
    day = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(3 * 365))
    return day + timedelta(minutes=rng.randrange(24 * 60))


def _apply(model: Model, action: a.Action) -> a.Action:
    """Steps the generator's model (the driver's does the same with the product beside it)."""
    if isinstance(action, a.NewAccount):
        model.new_account(action.currency, action.zone, action.tax, action.declines)
    elif isinstance(action, a.Advance):
        model.advance(model.now + timedelta(seconds=action.seconds))
    else:
        account = model.accounts[action.account]
        sub = account.latest
        if isinstance(action, a.Subscribe):
            model.subscribe(account, action.plan, action.cycle, action.quantity)
        elif isinstance(action, a.Usage):
            for event_id, back in action.events:
                model.usage_event(account, event_id, model.now - timedelta(seconds=back))
        elif isinstance(action, a.TopUp):
            model.top_up(account, action.amount)
        elif isinstance(action, a.ReplaceCard):
            model.replace_card(account, action.declines)
        elif isinstance(action, a.CreditNote):
            mine = [
                i
                for i in model.invoices
                if i.sub.account is account and i.total > 0 and i.status != "draft"
            ]
            if len(mine) >= action.back:
                invoice = mine[-action.back]
                room = invoice.total - invoice.credited
                model.credit_note(invoice, max(1, room * action.share // 1000))
        elif sub is not None:
            _apply_to_sub(model, sub, action)
    return action


def _apply_to_sub(model: Model, sub: object, action: a.Action) -> None:
    from tests.simulation.model import Sub

    assert isinstance(sub, Sub)
    if isinstance(action, a.Change):
        model.change(sub, action.plan, action.quantity, action.cycle)
    elif isinstance(action, a.ChangeAtTermEnd):
        model.schedule_change(sub, action.quantity)
    elif isinstance(action, a.CancelAtTermEnd):
        model.cancel_at_end(sub)
    elif isinstance(action, a.CancelNow):
        model.stop_now(sub, "canceled")
    elif isinstance(action, a.Pause):
        model.stop_now(sub, "paused")
    elif isinstance(action, a.Resume):
        model.restart(sub, "paused")
    elif isinstance(action, a.Reactivate):
        model.restart(sub, "canceled")


def _draw(rng: random.Random, model: Model) -> a.Action | None:
    index = rng.randrange(len(model.accounts))
    account = model.accounts[index]
    sub = account.latest
    roll = rng.random()
    if roll < 0.22:
        return a.Advance(_step_seconds(rng, model))
    if sub is None or (sub.status == "canceled" and roll < 0.5):
        plan = rng.choice(list(PLANS))
        return a.Subscribe(index, plan, rng.choice(CYCLES), rng.randint(1, 8))
    if roll < 0.40:
        usable = STOPPED_PERIOD_USAGE or sub.in_service
        return _usage(rng, model, index) if usable else None
    if roll < 0.52:
        to: str | None = rng.choice([None, *PLANS])
        qty = rng.choice([None, None, rng.randint(1, 12)])
        cycle = rng.choice(CYCLES) if rng.random() < 0.15 else None
        return a.Change(index, to, qty, cycle)
    if roll < 0.56:
        return a.ChangeAtTermEnd(index, rng.randint(1, 12))
    if roll < 0.60:
        return a.CancelAtTermEnd(index)
    stopping_is_safe = (
        STOPPED_PERIOD_USAGE
        or not sub.in_service
        or (model.period_usage(account, sub.start, sub.end) == 0)
    )
    if roll < 0.64:
        return a.CancelNow(index) if stopping_is_safe else None
    if roll < 0.68:
        return a.Pause(index) if stopping_is_safe else None
    if roll < 0.74:
        return a.Resume(index) if sub.status == "paused" or rng.random() < 0.1 else None
    if roll < 0.80:
        wanted = sub.status == "canceled" or sub.cancel_at_end
        return a.Reactivate(index) if wanted or rng.random() < 0.1 else None
    if roll < 0.85:
        return a.TopUp(index, rng.choice([1, 99, 500, 1000, 5000, 25000]))
    if roll < 0.88:
        return a.ReplaceCard(index, declines=rng.random() < 0.3)
    if roll < 0.94:
        return a.CreditNote(index, rng.randint(1, 3), rng.choice([1, 250, 500, 1000, 1200]))
    return a.Subscribe(index, rng.choice(list(PLANS)), rng.choice(CYCLES), 1)  # a refusal


def _usage(rng: random.Random, model: Model, index: int) -> a.Action:
    account = model.accounts[index]
    events: list[tuple[str, int]] = []
    used = list(account.accepted)
    for n in range(rng.randint(1, 8)):
        if used and rng.random() < 0.15:
            events.append((rng.choice(used), rng.randrange(3600)))  # sent again: counts once
            continue
        back = rng.randrange(3 * 86400) if rng.random() < 0.85 else rng.randrange(40 * 86400)
        events.append((f"ev-{model.now.timestamp():.0f}-{index}-{n}-{rng.randrange(10**6)}", back))
    return a.Usage(index, tuple(events))


def _step_seconds(rng: random.Random, model: Model) -> int:
    """Hours, days, or to just around a period end (before, at, inside the grace window)."""
    kind = rng.random()
    ends = [
        local_midnight(s.end, s.account.zone)
        for acc in model.accounts
        for s in acc.subs
        if s.in_service
    ]
    if ends and kind < 0.45:
        target = min(ends) + rng.choice(
            [timedelta(minutes=-5), timedelta(0), EVENT_GRACE / 2, EVENT_GRACE, timedelta(hours=2)]
        )
        if target > model.now:
            return int((target - model.now).total_seconds())
    if kind < 0.7:
        return rng.randint(1, 30) * 3600
    return rng.randint(1, 20) * 86400
