"""The reference model: what every account should hold, owe and have been charged, written from
PRODUCT.md's rules in plain Python with exact fractions. It imports nothing of plansmith.

One instance follows one organization (a sandbox) through a history. The driver asks it what
each action should do (`Refusal` or success) and compares the product's state with its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from tests.simulation.calendar import (
    MONTHS,
    local_date,
    local_midnight,
    period_holding,
    period_start,
    round_half_up,
)
from tests.simulation.catalog import PLANS

DRAFT_GRACE = timedelta(minutes=60)  # how long a draft waits before it is finalized
EVENT_GRACE = timedelta(hours=1)  # how long after a period's end its late events count


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str


@dataclass(frozen=True)
class Item:
    """A billable item: what becomes one invoice line."""

    kind: str  # recurring, credit, charge, usage
    amount: int
    start: date
    end: date
    quantity: str = ""  # usage: the measured value
    allowance: int | None = None

    def key(self) -> tuple[str, int, str, str]:
        return (self.kind, self.amount, self.start.isoformat(), self.end.isoformat())


@dataclass
class Span:
    """A plan held over local dates [start, end) of one period (for the period's allowance)."""

    plan: str
    start: date
    end: date


@dataclass
class Window:
    """A usage window a stop closed (ADR 0034): the local dates [start, last], billed on an
    invoice of its own once the stop + the grace window has passed."""

    start: date
    last: date
    stopped_at: datetime
    spans: list[Span]
    period_days: int
    period_start: date  # of the period it was cut from
    plan: str  # held at the stop that closed it: it rates the window (not a restart's plan)
    cut: bool = False  # closed by a change of cycle, not a stop


@dataclass
class Invoice:
    number: int  # the model's own order of making
    sub: Sub
    key: str
    created: datetime
    items: list[Item]
    tax_percent: Fraction | None = None  # the account's rate when the invoice was made
    status: str = "draft"
    balance_applied: int = 0
    card_paid: int = 0
    credited: int = 0
    retries: list[datetime] = field(default_factory=list)  # attempts still to come, if failing
    failed: bool = False  # its card was declined at least once

    def tax(self, item: Item) -> int:
        """Tax on top of a line, rounded once per line, half up."""
        if self.tax_percent is None:
            return 0
        return round_half_up(item.amount * self.tax_percent / 100)

    @property
    def total(self) -> int:
        return sum(i.amount + self.tax(i) for i in self.items)

    @property
    def amount_due(self) -> int:
        return max(0, self.total - self.balance_applied) - self.card_paid

    @property
    def finalize_at(self) -> datetime:
        return self.created + DRAFT_GRACE


@dataclass
class Account:
    index: int
    currency: str
    zone: str
    tax_percent: Fraction | None = None  # an exclusive rate of its own, if any
    balance: int = 0
    card_charged: int = 0  # everything captured from the card (top-ups and invoices)
    card_declines: bool = False  # its default card declines every charge
    accepted: dict[str, date] = field(default_factory=dict)  # usage event id -> local date
    usage: dict[date, int] = field(default_factory=dict)  # calls per local date
    subs: list[Sub] = field(default_factory=list)

    @property
    def current(self) -> Sub | None:
        """The subscription held now (active or paused), else None."""
        held = [s for s in self.subs if s.status in ("active", "past_due", "paused")]
        return held[-1] if held else None

    @property
    def latest(self) -> Sub | None:
        return self.subs[-1] if self.subs else None


@dataclass
class Sub:
    account: Account
    plan: str
    cycle: str
    quantity: int
    anchor: date
    start: date
    end: date
    started: date
    status: str = "active"  # active, past_due, paused, canceled
    created: datetime | None = None  # the instant it was taken out
    window_from: date = date.min  # the first date of its latest usage window
    cancel_at_end: bool = False
    ended_on: date | None = None
    scheduled: tuple[str, int] | None = None  # (plan, quantity) at the term end
    items: list[Item] = field(default_factory=list)
    pending: list[Item] = field(default_factory=list)
    invoiced_keys: set[str] = field(default_factory=set)
    spans: list[Span] = field(default_factory=list)  # plans held in the usage window
    stopped: list[Window] = field(default_factory=list)  # closed, not billed yet
    closed: list[Window] = field(default_factory=list)  # every window a stop closed

    @property
    def usage_start(self) -> date:
        """The first local date of the current usage window (the period's, or a restart's)."""
        return self.spans[0].start if self.spans else self.start

    @property
    def in_service(self) -> bool:
        return self.status in ("active", "past_due")

    def unit(self, plan: str | None = None, cycle: str | None = None) -> int:
        return PLANS[plan or self.plan].unit_amount(self.account.currency, cycle or self.cycle)

    def price(
        self, plan: str | None = None, qty: int | None = None, cycle: str | None = None
    ) -> int:
        return self.unit(plan, cycle) * (qty if qty is not None else self.quantity)

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.pending.append(item)

    def prorated(self, kind: str, full: int, start: date) -> Item:
        """`full` (the whole period's price) for [start, end) of the current period."""
        days, period_days = (self.end - start).days, (self.end - self.start).days
        amount = round_half_up(Fraction(full * days, period_days))
        return Item(kind, -amount if kind == "credit" else amount, start, self.end)

    def due_at(self, windows: bool = True) -> datetime | None:
        """When the billing step next has work: the period's end once its late usage events
        can no longer come (every plan here charges usage)."""
        found = [w.stopped_at + EVENT_GRACE for w in self.stopped] if windows else []
        if self.in_service:
            found.append(local_midnight(self.end, self.account.zone) + EVENT_GRACE)
        return min(found) if found else None

    @property
    def billing_key(self) -> str:
        if self.in_service:
            return f"period:{self.start.isoformat()}"
        return f"stop:{(self.ended_on or self.start).isoformat()}"


def _wall_time_later(at: datetime, zone: str, days: int) -> datetime:
    """The same local wall time `days` later; one a DST gap skips moves forward by the gap."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=tz).astimezone(UTC)


class Model:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.accounts: list[Account] = []
        self.invoices: list[Invoice] = []

    # -- accounts and usage --------------------------------------------------------------

    def new_account(
        self, currency: str, zone: str, tax: str | None = None, declines: bool = False
    ) -> Account:
        account = Account(len(self.accounts), currency, zone, Fraction(tax) if tax else None)
        account.card_declines = declines
        self.accounts.append(account)
        return account

    def today(self, account: Account) -> date:
        return local_date(self.now, account.zone)

    def top_up(self, account: Account, amount: int) -> Refusal | None:
        if account.card_declines:
            return Refusal(402, "payment_declined")
        account.card_charged += amount
        account.balance += amount
        self._spread(account)
        return None

    def usage_event(self, account: Account, event_id: str, at: datetime) -> Refusal | None:
        """Whether the event counts: once per id, in the usage window holding its local date,
        until that window closes (a period's end, or a stop) plus the grace window."""
        if event_id in account.accepted:
            return Refusal(409, "duplicate")
        day = local_date(at, account.zone)
        if not account.subs:
            return Refusal(422, "no_subscription")
        if day < account.subs[0].started:
            return Refusal(422, "before_subscription")
        stopped = [s for s in account.subs if any(w.start <= day <= w.last for w in s.closed)]
        sub = stopped[-1] if stopped else [s for s in account.subs if s.started <= day][-1]
        refusal = self._window_refusal(sub, day, at)
        if refusal is not None:
            return refusal
        account.accepted[event_id] = day
        account.usage[day] = account.usage.get(day, 0) + 1
        return None

    def _window_refusal(self, sub: Sub, day: date, at: datetime) -> Refusal | None:
        for window in sub.closed:
            if window.start <= day <= window.last:
                late = self.now >= window.stopped_at + EVENT_GRACE
                return Refusal(422, "period_closed") if at >= window.stopped_at or late else None
        if not sub.in_service and (sub.ended_on is None or day >= sub.ended_on):
            return Refusal(422, "period_closed")
        if day < sub.window_from:
            return Refusal(422, "period_closed")  # a gap a stop left, or a closed period
        _start, end = period_holding(sub.anchor, sub.cycle, day)
        if self.now >= local_midnight(end, sub.account.zone) + EVENT_GRACE:
            return Refusal(422, "period_closed")
        return None

    def action_day(self, sub: Sub) -> date:
        """The local date an action on the subscription is dated: today, except while its
        period's end waits for the usage grace window, when it is still that period's last
        day (ADR 0029: the period is still open)."""
        today = self.today(sub.account)
        if sub.in_service and today >= sub.end:
            return sub.end - timedelta(days=1)
        return today

    def period_usage(self, account: Account, start: date, end: date) -> int:
        return sum(n for day, n in account.usage.items() if start <= day < end)

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, account: Account, plan: str, cycle: str, qty: int) -> Sub | Refusal:
        if account.current is not None:
            return Refusal(409, "already_subscribed")
        if not 1 <= qty <= PLANS[plan].max_seats:
            return Refusal(422, "seats_out_of_range")
        today = self.today(account)
        end = period_start(today, cycle, 1)
        sub = Sub(account, plan, cycle, qty, today, today, end, today, created=self.now)
        sub.spans = [Span(plan, self._window_start(account, today), end)]
        sub.window_from = sub.spans[0].start
        sub.add(Item("recurring", sub.price(), today, end))
        account.subs.append(sub)
        return sub

    def _window_start(self, account: Account, today: date) -> date:
        """A date a stopped window holds stays in it: a usage window starting that day starts
        the day after, so each date is in one line. A window not billed yet then closes at the
        date's end; one billed already takes no more (the rest of the date counts nowhere)."""
        for sub in account.subs:
            for window in sub.closed:
                if window.last == today:
                    if window in sub.stopped:
                        midnight = local_midnight(today + timedelta(days=1), account.zone)
                        window.stopped_at = midnight
                    return today + timedelta(days=1)
        return today

    def change(
        self, sub: Sub, plan: str | None, qty: int | None, cycle: str | None
    ) -> Refusal | None:
        self._catch_up(sub, self.now)
        if not sub.in_service:
            return Refusal(409, "invalid_transition")
        new_plan, new_qty, new_cycle = plan or sub.plan, qty or sub.quantity, cycle or sub.cycle
        if (new_plan, new_qty, new_cycle) == (sub.plan, sub.quantity, sub.cycle):
            return Refusal(422, "no_change")
        if not 1 <= new_qty <= PLANS[new_plan].max_seats:
            return Refusal(422, "seats_out_of_range")
        if new_cycle != sub.cycle and self._waiting_elsewhere(sub):
            return Refusal(409, "subscription_conflict")  # a window still waits to be billed
        today = self.action_day(sub)
        sub.add(sub.prorated("credit", sub.price(), today))
        sub.scheduled = None
        self._end_span(sub, today)
        if new_cycle != sub.cycle:  # a new full period starts today; today is the anchor
            # The cut period's usage, its dates before today, is billed as a stopped window
            # is (ADR 0034) once the change + the grace window has passed; today's date
            # belongs to the new period, whose terms hold it.
            self._close_window(sub, today - timedelta(days=1), cut=True)
            sub.anchor, sub.start, sub.end = today, today, period_start(today, new_cycle, 1)
            sub.plan, sub.quantity, sub.cycle = new_plan, new_qty, new_cycle
            sub.add(Item("recurring", sub.price(), sub.start, sub.end))
            sub.spans = [Span(new_plan, today, sub.end)]
            sub.window_from = today
            return None
        sub.add(sub.prorated("charge", sub.price(new_plan, new_qty), today))
        sub.plan, sub.quantity = new_plan, new_qty
        # a usage window that starts tomorrow (a stop's date today) takes the plan from then
        sub.spans.append(Span(new_plan, max(today, sub.usage_start), sub.end))
        return None

    def schedule_change(self, sub: Sub, qty: int) -> Refusal | None:
        self._catch_up(sub, self.now)
        if not sub.in_service:
            return Refusal(409, "invalid_transition")
        if qty == sub.quantity:
            return Refusal(422, "no_change")
        if sub.cancel_at_end:
            return Refusal(409, "cancel_scheduled")
        sub.scheduled = (sub.plan, qty)
        return None

    def cancel_at_end(self, sub: Sub) -> Refusal | None:
        self._catch_up(sub, self.now)
        if sub.status == "paused":  # a paused subscription ends at once, whenever asked
            return self.stop_now(sub, "canceled")
        if not sub.in_service:
            return Refusal(409, "invalid_transition")
        if sub.cancel_at_end:
            return Refusal(409, "cancel_scheduled")
        sub.cancel_at_end, sub.scheduled = True, None
        return None

    def stop_now(self, sub: Sub, to: str) -> Refusal | None:
        """Cancel now (`canceled`) or pause (`paused`): the rest of the period is credited. A
        paused subscription canceled now adds nothing (its rest was credited at the pause)."""
        self._catch_up(sub, self.now)
        if to == "canceled" and sub.status == "paused":
            sub.status = "canceled"  # its service ended at the pause: that stays its end
            return None
        if not sub.in_service:
            return Refusal(409, "invalid_transition")
        if to == "paused" and sub.cancel_at_end:
            return Refusal(409, "cancel_scheduled")
        today = self.action_day(sub)
        if sub.stopped and sub.stopped[-1].last == today and sub.usage_start > today:
            # stopped again on the date a restart kept in the waiting window: it closes again,
            # rated by the plan held at this stop (as two stops' windows joined are)
            sub.stopped[-1].stopped_at, sub.stopped[-1].plan = self.now, sub.plan
            sub.add(sub.prorated("credit", sub.price(), today))
            sub.spans = []
            sub.status, sub.cancel_at_end, sub.scheduled, sub.ended_on = to, False, None, today
            return None
        if self._waiting_elsewhere(sub):  # one window waits at a time: it is billed first
            return Refusal(409, "subscription_conflict")
        sub.add(sub.prorated("credit", sub.price(), today))
        self._end_span(sub, today)
        self._close_window(sub, today)
        sub.spans = []
        sub.status, sub.cancel_at_end, sub.scheduled = to, False, None
        sub.ended_on = today
        return None

    def restart(self, sub: Sub, expected: str) -> Refusal | None:
        """Resume a paused subscription or reactivate a canceled one: the rest of the period
        holding today is charged; the anchor stays. Reactivating a cancel at term end only
        withdraws it; reactivating a paused one resumes it."""
        self._catch_up(sub, self.now)
        if expected == "canceled" and sub.in_service and sub.cancel_at_end:
            sub.cancel_at_end = False
            return None
        if expected == "canceled" and sub.status == "paused":
            expected = "paused"
        if sub.status != expected:
            return Refusal(409, "not_paused" if expected == "paused" else "not_canceled")
        account = sub.account
        if expected == "canceled" and account.current is not None:
            return Refusal(409, "already_subscribed")
        today = self.today(account)
        sub.start, sub.end = period_holding(sub.anchor, sub.cycle, today)
        sub.status, sub.ended_on = "active", None
        sub.add(sub.prorated("charge", sub.price(), today))
        sub.spans = [Span(sub.plan, self._window_start(account, today), sub.end)]
        sub.window_from = sub.spans[0].start
        return None

    def _close_window(self, sub: Sub, last: date, cut: bool = False) -> None:
        """The usage window up to `last` closes now. A window of the same period a stop
        closed and not billed yet joins it: one line (ADR 0034)."""
        start, spans = sub.usage_start, [s for s in sub.spans if s.end > s.start]
        closes = self.now
        pending = sub.stopped[-1] if sub.stopped else None
        if pending is not None and not pending.cut and pending.period_start == sub.start:
            start, spans = min(start, pending.start), pending.spans + spans
            # a stop closes it at its instant, even on the date a restart kept open to its
            # end (no event after the stop counts); a cut keeps that end, as the product does
            last = max(last, pending.last)
            closes = max(closes, pending.stopped_at) if cut else closes
            sub.stopped.remove(pending)
            sub.closed.remove(pending)
        if last < start:  # its window had not begun (it starts the day after)
            return
        period_days = (sub.end - sub.start).days
        window = Window(start, last, closes, spans, period_days, sub.start, sub.plan, cut)
        sub.stopped.append(window)
        sub.closed.append(window)

    def _waiting_elsewhere(self, sub: Sub) -> bool:
        """A window not billed yet that cannot join a new one: a cut, or another period's."""
        pending = sub.stopped[-1] if sub.stopped else None
        return pending is not None and (pending.cut or pending.period_start != sub.start)

    def _end_span(self, sub: Sub, day: date) -> None:
        if sub.spans:
            sub.spans[-1].end = max(day, sub.spans[-1].start)

    # -- time ----------------------------------------------------------------------------

    def advance(self, to: datetime) -> list[datetime]:
        """The test clock to `to`: a billing step (and collection) at the clock, at each instant
        something falls due on the way, and at `to`. Returns the step instants."""
        steps = [self.now]
        self._step(self.now)
        at = self.now
        while at < to:
            due = [d for d in self._due_instants() if at < d <= to]
            at = min(due) if due else to
            self.now = at
            steps.append(at)
            self._step(at)
        self.now = to
        return steps

    def _due_instants(self) -> list[datetime]:
        found = [d for a in self.accounts for s in a.subs if (d := s.due_at()) is not None]
        found += [i.finalize_at for i in self.invoices if i.status == "draft"]
        found += [i.retries[0] for i in self.invoices if i.status == "open" and i.retries]
        return found

    def _step(self, at: datetime) -> None:
        for account in self.accounts:
            for sub in account.subs:
                self._catch_up(sub, at, billing=True)
                if sub.pending and sub.billing_key not in sub.invoiced_keys:
                    self._invoice(sub, sub.billing_key, sub.pending, at)
                    sub.pending = []
        for invoice in self.invoices:
            if invoice.status == "draft" and invoice.finalize_at <= at:
                self._finalize(invoice)
        for account in self.accounts:
            self._spread(account)
            self._collect(account, at)

    def _invoice(self, sub: Sub, key: str, items: list[Item], at: datetime) -> None:
        if key not in sub.invoiced_keys:
            sub.invoiced_keys.add(key)
            number = len(self.invoices)
            tax = sub.account.tax_percent
            self.invoices.append(Invoice(number, sub, key, at, items, tax))
            if key.startswith("stop-usage:"):
                sub.items.append(items[0])

    def _catch_up(self, sub: Sub, at: datetime, billing: bool = False) -> None:
        """Every period end the subscription passed by `at`: its usage line, then the renewal
        (or the cancellation at term end, or the scheduled change). A billing step also bills
        the windows stops closed."""
        while (due := sub.due_at(windows=billing)) is not None and due <= at:
            if sub.stopped and sub.stopped[0].stopped_at + EVENT_GRACE == due:
                self._bill_window(sub, sub.stopped.pop(0))
                continue
            self._bill_usage(sub)
            if sub.cancel_at_end:
                sub.status, sub.ended_on, sub.cancel_at_end = "canceled", sub.end, False
                sub.spans = []
                continue
            if sub.scheduled is not None:
                sub.plan, sub.quantity = sub.scheduled
                sub.scheduled = None
            sub.start, sub.end = sub.end, period_start(sub.anchor, sub.cycle, self._n(sub) + 1)
            sub.spans = [Span(sub.plan, sub.start, sub.end)]
            sub.window_from = sub.start
            sub.add(Item("recurring", sub.price(), sub.start, sub.end))

    def _n(self, sub: Sub) -> int:
        """Which period of the anchor `sub.end` begins."""
        months = (sub.end.year - sub.anchor.year) * 12 + sub.end.month - sub.anchor.month
        return months // MONTHS[sub.cycle]

    def _bill_usage(self, sub: Sub) -> None:
        """The period's usage line, over its usage window [start, end)."""
        start = sub.usage_start
        if start >= sub.end:  # a window that never began (a restart on the period's last day)
            return
        sub.add(self._usage_item(sub, sub.spans, start, sub.end, (sub.end - sub.start).days))

    def _bill_window(self, sub: Sub, window: Window) -> None:
        """A stopped window's line, on an invoice of its own: dates [start, last]; allowance
        for the days before the stop date."""
        end = window.last + timedelta(days=1)
        item = self._usage_item(
            sub, window.spans, window.start, end, window.period_days, window.plan
        )
        self._invoice(sub, f"stop-usage:{window.last.isoformat()}", [item], self.now)

    def _usage_item(
        self,
        sub: Sub,
        spans: list[Span],
        start: date,
        end: date,
        period_days: int,
        plan: str | None = None,
    ) -> Item:
        """The calls past the allowance (included x days held / days of the period, summed
        over the plans held, rounded once), at the price of the plan held last, rounded once."""
        included = sum(
            (Fraction(PLANS[s.plan].included * (s.end - s.start).days, period_days) for s in spans),
            Fraction(0),
        )
        allowance = round_half_up(included)
        used = self.period_usage(sub.account, start, end)
        billable = max(0, used - allowance)
        plan = plan or sub.plan
        amount = round_half_up(billable * PLANS[plan].price_per_call(sub.account.currency))
        return Item("usage", amount, start, end, str(used), allowance)

    # -- money ---------------------------------------------------------------------------

    def _finalize(self, invoice: Invoice) -> None:
        """An issued invoice takes the balance first; a negative one adds to it. What older
        open invoices owe is theirs first (oldest first, ADR 0037), so a credit made at the
        instant of the finalize goes where it would in either order."""
        account = invoice.sub.account
        total = invoice.total
        if total < 0:
            account.balance += -total
            invoice.status = "paid"
            return
        older = sum(i.amount_due for i in self._open(account) if i.created <= invoice.created)
        invoice.balance_applied = min(max(0, account.balance - older), total)
        account.balance -= invoice.balance_applied
        invoice.status = "paid" if invoice.amount_due == 0 else "open"

    def _spread(self, account: Account) -> None:
        """A balance pays the account's open invoices, oldest first."""
        for invoice in self._open(account, ("open",)):
            take = min(account.balance, invoice.amount_due)
            invoice.balance_applied += take
            account.balance -= take
            if invoice.amount_due == 0:
                self._settled(invoice)

    def _collect(self, account: Account, at: datetime) -> None:
        """What is left is charged to the default card: an invoice not tried yet, and one
        whose next retry is due. A decline starts the dunning schedule: retries 1, 3, 5 and 7
        days after the first failure at its local wall time; the subscription is past due
        meanwhile, and canceled (nothing credited) when the last one fails."""
        for invoice in self._open(account):
            if invoice.amount_due <= 0:
                continue
            first = not invoice.retries and invoice.status == "open" and not invoice.failed
            due = first or (invoice.retries and invoice.retries[0] <= at)
            if not due:
                continue
            if not account.card_declines:
                self._paid_by_card(invoice)
                continue
            if first:
                invoice.failed = True
                invoice.retries = [_wall_time_later(at, account.zone, d) for d in (1, 3, 5, 7)]
                if invoice.sub.status == "active":
                    invoice.sub.status = "past_due"
                continue
            invoice.retries.pop(0)
            if not invoice.retries:  # the last attempt failed
                invoice.status = "uncollectible"
                self._cancel_for_nonpayment(invoice.sub)

    def _paid_by_card(self, invoice: Invoice) -> None:
        invoice.sub.account.card_charged += invoice.amount_due
        invoice.card_paid += invoice.amount_due
        self._settled(invoice)

    def _settled(self, invoice: Invoice) -> None:
        """Paid: a past-due subscription with nothing else failing is active again."""
        invoice.status, invoice.retries = "paid", []
        sub = invoice.sub
        failing = [i for i in self._open(sub.account, ("open",)) if i.sub is sub and i.failed]
        if sub.status == "past_due" and not failing:
            sub.status = "active"

    def _cancel_for_nonpayment(self, sub: Sub) -> None:
        if not sub.in_service:
            return
        today = self.today(sub.account)
        self._end_span(sub, today)
        self._close_window(sub, today)
        sub.spans, sub.status, sub.ended_on = [], "canceled", today
        sub.cancel_at_end, sub.scheduled = False, None

    def replace_card(self, account: Account, declines: bool) -> None:
        """A new default card: the account's failing invoices are retried with it at once."""
        account.card_declines = declines
        self._spread(account)
        if declines:
            return
        for invoice in self._open(account):
            if invoice.amount_due > 0 and invoice.failed:
                self._paid_by_card(invoice)

    def _open(self, account: Account, owing: tuple[str, ...] = ("open",)) -> list[Invoice]:
        """Its invoices still owing, oldest first."""
        return [i for i in self.invoices if i.sub.account is account and i.status in owing]

    def credit_note(self, invoice: Invoice, amount: int) -> Refusal | None:
        if invoice.status not in ("open", "paid") or invoice.total <= 0:
            return Refusal(409, "not_creditable")
        if amount > invoice.total - invoice.credited:
            return Refusal(422, "credit_too_large")
        invoice.credited += amount
        invoice.sub.account.balance += amount
        self._spread(invoice.sub.account)
        return None
