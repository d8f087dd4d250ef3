"""How `plansmith sub` shows what it read or did: a subscription as seed 002's package details
list it, its billable items and next invoice, the result of a command (or of its preview) and
its events; and `show` and `line`, the printing every command group uses (tables fitted to a
terminal, whole rows to a file or a pipe), with money in en_US.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table

from plansmith.adapters.money_format import format_money
from plansmith.application.subscriptions.lifecycle import NextInvoice, Result, SubscriptionView
from plansmith.application.subscriptions.ports import StoredEvent
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.subscription import BillableItem, Status

out = Console()

LOCALE = "en_US"
WIDE = 160  # tables are not wrapped when the output goes to a file or a pipe


def money(amount: int, code: str) -> str:
    return format_money(Money(amount, Currency.of(code)), LOCALE)


def last_day(end: date) -> date:
    """Periods are [start, end): the last day in it is the day before ``end``."""
    return end - timedelta(days=1)


def local(instant: datetime, time_zone: str) -> str:
    return instant.astimezone(ZoneInfo(time_zone)).isoformat(timespec="seconds")


def show(renderable: RenderableType) -> None:
    # A terminal gets tables fitted to its width; a file or a pipe whole rows, to grep.
    console = out if out.is_terminal else Console(width=WIDE)
    console.print(renderable, highlight=False)


def line(text: str) -> None:
    out.print(text, soft_wrap=True, highlight=False, markup=False)


def status_text(view: SubscriptionView) -> str:
    sub = view.subscription
    shown = f"{sub.shown_status} ({sub.status.value})"
    if sub.cancel_at_period_end:
        shown += f", cancels at the end of the term (last day {last_day(sub.period_end)})"
    return shown


def describe(view: SubscriptionView) -> None:
    """The subscription as seed 002's package details list it."""
    sub, currency = view.subscription, view.subscription.terms.currency
    formula = " + ".join(
        f"{p.name} {money(p.unit_amount, currency)} × {p.quantity:,}" for p in view.parts
    )
    next_payment = sub.next_payment_on()
    rows = [
        ("Subscription", sub.id),
        ("Account", sub.account_id),
        ("Plan", f"{view.version.name} ({view.plan.code}), {view.family_name}"),
        ("Status", status_text(view)),
        ("Billing cycle", sub.terms.cycle.name.replace("_", " ")),
        ("Quantity", f"{sub.terms.quantity:,}"),
        ("Price", f"{money(view.period_amount, currency)} = {formula}"),
        ("Period", f"{sub.period_start} to {last_day(sub.period_end)}"),
        ("Next payment", str(next_payment) if next_payment else "none"),
        ("Registered from", f"{local(sub.registered_at, sub.time_zone)} ({sub.time_zone})"),
    ]
    if sub.trial_end is not None and sub.status is Status.TRIALING:
        rows.insert(4, ("Trial", f"until {last_day(sub.trial_end)}"))
    if sub.pay_per_day:
        rows.insert(4, ("Billing", "pay per day: the days in service, at each period end"))
    if sub.scheduled is not None:
        change = f"to {view.scheduled_plan_name} on {sub.scheduled.effective}"
        rows.append(("Scheduled", f"{change}: {sub.scheduled.summary}"))
    for label, value in rows:
        line(f"  {label:<16}{value}")


def items_table(title: str, items: Sequence[BillableItem]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    for header in ("Kind", "Description", "Service dates", "Amount"):
        table.add_column(header, justify="right" if header == "Amount" else "left")
    for item in items:
        dates = f"{item.period_start} to {last_day(item.period_end)}"
        if item.days is not None:
            dates += f" ({item.days}/{item.period_days} days)"
        table.add_row(
            item.kind.value, escape(item.description), dates, money(item.amount, item.currency)
        )
    return table


def items_total(items: Sequence[BillableItem], currency: str) -> str:
    return money(sum(i.amount for i in items), currency)


def next_invoice(nxt: NextInvoice) -> None:
    if nxt.cut_off is None:
        if not nxt.items:
            line("Next invoice: nothing more falls due.")
            return
        # No period end is coming; what was billed waits for the next invoice all the same.
        show(items_table(f"Not invoiced yet: {money(nxt.total, nxt.currency)}", nxt.items))
        return
    heading = f"Next invoice on {nxt.cut_off}: {money(nxt.total, nxt.currency)}"
    show(items_table(heading, nxt.items))


def result(done: Result, verb: str) -> None:
    """What a use case did, or for a preview what it would do."""
    sub = done.view.subscription
    line(f"{verb} {sub.id}." if done.applied else f"Preview of {sub.id}: nothing saved.")
    describe(done.view)
    billed = "Billed now" if done.applied else "Would bill now"
    if done.items:
        total = items_total(done.items, sub.terms.currency)
        show(items_table(f"{billed}: {total}", done.items))
    else:
        line(f"{billed}: nothing.")
    next_invoice(done.next_invoice)


def happened(done: Result, kind: type[SubscriptionEvent]) -> bool:
    return any(isinstance(e, kind) for e in done.events)


def events_table(events: Sequence[StoredEvent]) -> Table:
    table = Table(title="Events", title_justify="left", show_edge=False)
    for header in ("#", "At", "Event", "Effective", "Status", "By"):
        table.add_column(header)
    for stored in events:
        event = stored.event
        before = event.from_status.value if event.from_status else "-"
        table.add_row(
            str(stored.seq),
            local(event.at, "UTC"),
            event.kind,
            str(event.effective),
            f"{before} -> {event.to_status.value}",
            stored.actor,
        )
    return table
