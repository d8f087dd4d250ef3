"""`plansmith sub ...`: subscriptions from the command line, for operators and support staff.

Thin: every command is one use case (application.subscriptions, subscription_actions,
subscription_queries) and prints what it returned. A refused command prints one line on stderr
naming the field (or, for a state the subscription is in, the error's code) and the reason,
exits 1 and has written nothing: the use case saves all or nothing. `change --preview` runs the
very same computation and saves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plansmith.application.billing.test_clocks import organization_clock
from plansmith.application.kernel.ports import Clock
from plansmith.application.organizations import organizations as orgs
from plansmith.application.subscriptions import actions, queries
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.subscriptions.events import CancelWithdrawn, ChangeScheduled
from plansmith.entrypoints.cli.context import container
from plansmith.entrypoints.cli.subscription_output import (
    describe,
    events_table,
    happened,
    items_table,
    items_total,
    last_day,
    line,
    money,
    result,
    show,
)

sub_app = typer.Typer(
    help="Subscriptions: list, show, create, change, cancel, reactivate, renew.",
    no_args_is_help=True,
)
err = Console(stderr=True)
OrgOption = Annotated[str, typer.Option("--org", help="Organization id or name")]
IdArgument = Annotated[str, typer.Argument(help="Subscription id (sub_...)")]


@contextmanager
def session(org: str) -> Iterator[tuple[Plansmith, str]]:
    """The app and the organization's id; a refused command is one line on stderr, exit 1."""
    with container() as plansmith:
        try:
            yield plansmith, orgs.find_organization(plansmith.uow(), org).id
        except DomainError as exc:
            if isinstance(exc, InvalidInput):
                line = f"error: {exc.message}"  # names each field itself
            else:
                line = f"error ({exc.field or exc.code}): {exc.message}"
            err.print(escape(line), highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


def org_clock(plansmith: Plansmith, org_id: str) -> Clock:
    """The organization's clock: a sandbox's test clock, else the wall clock."""
    return organization_clock(plansmith.uow(), plansmith.clock, org_id)


# -- reading the options --------------------------------------------------------------------


def whole(text: str | None, field: str, message: str, least: int = 0) -> int | None:
    if text is None:
        return None
    value = text.strip().replace("_", "")
    if not value.isascii() or not value.isdigit():
        raise InvalidValue(message, field=field)
    digits = value.lstrip("0") or "0"
    # Past 30 digits a number is above every bound: the use case refuses it as too large,
    # without Python reading thousands of digits.
    number = int(digits) if len(digits) <= 30 else 10**30
    if number < least:
        raise InvalidValue(message, field=field)
    return number


def quantity_of(text: str | None) -> int | None:
    return whole(text, "quantity", "quantity is a whole number of at least 1", least=1)


def add_ons_of(values: Sequence[str]) -> dict[str, int]:
    """ "ai-assistant=1" "team-chat=3" -> {"ai-assistant": 1, "team-chat": 3}."""
    add_ons: dict[str, int] = {}
    for value in values:
        code, sep, count = value.partition("=")
        code = code.strip()
        if not sep or not code:
            raise InvalidValue(
                f"{value!r}: write an add-on as code=quantity, e.g. ai-assistant=1",
                field="add_on",
            )
        if code in add_ons:
            raise InvalidValue(f"{code} is given twice", field=f"add_ons.{code}")
        message = "an add-on quantity is a whole number of 0 or more"
        add_ons[code] = whole(count, f"add_ons.{code}", message) or 0
    return add_ons


# -- commands -------------------------------------------------------------------------------


@sub_app.command("list")
def list_(
    org: OrgOption,
    account: Annotated[str | None, typer.Option("--account", help="Account id")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="trialing, active, past_due, paused, canceled or expired"),
    ] = None,
    limit: Annotated[str, typer.Option(help="At most this many (1 to 100)")] = "50",
    cursor: Annotated[str | None, typer.Option(help="Where the previous page ended")] = None,
) -> None:
    """The organization's subscriptions, oldest first."""
    with session(org) as (plansmith, org_id):
        page = queries.list_subscriptions(
            plansmith.uow(),
            org_id,
            account_id=account,
            status=status,
            cursor=cursor,
            limit=whole(limit, "limit", "limit is a whole number from 1 to 100") or 0,
        )
    if not page.items:
        line("No subscriptions.")
        return
    table = Table(show_edge=False)
    for header in ("ID", "Account", "Plan", "Status", "Cycle", "Qty", "Price", "Next payment"):
        table.add_column(header, justify="right" if header in ("Qty", "Price") else "left")
    for view in page.items:
        sub = view.subscription
        table.add_row(
            sub.id,
            sub.account_id,
            escape(view.version.name),
            f"{sub.shown_status} ({sub.status.value})",
            sub.terms.cycle.name,
            f"{sub.terms.quantity:,}",
            money(view.period_amount, sub.terms.currency),
            str(sub.next_payment_on() or "none"),
        )
    show(table)
    if page.next_cursor:
        line(f"More: run again with --cursor {page.next_cursor}")


@sub_app.command("show")
def show_(subscription_id: IdArgument, org: OrgOption) -> None:
    """Details, the billable items waiting for the next invoice, and the history."""
    with session(org) as (plansmith, org_id):
        view = queries.get_subscription(plansmith.uow(), org_id, subscription_id)
        pending = queries.subscription_items(
            plansmith.uow(), org_id, subscription_id, pending_only=True
        )
        events = queries.subscription_events(plansmith.uow(), org_id, subscription_id)
        families = queries.account_plans(plansmith.uow(), org_id, view.subscription.account_id)
    describe(view)
    pending_items = [p.item for p in pending]
    currency = view.subscription.terms.currency
    title = f"Pending items (for the next invoice): {items_total(pending_items, currency)}"
    show(items_table(title, pending_items) if pending else "Pending items: none.")
    history = Table(title="Plan history", title_justify="left", show_edge=False)
    for header in ("Plan", "Status", "From", "To"):
        history.add_column(header)
    for entry in (
        e for f in families for e in f.history if e.subscription_id == view.subscription.id
    ):
        to = str(last_day(entry.ended_on)) if entry.ended_on else "now"
        history.add_row(escape(entry.plan_name), entry.status, str(entry.started_on), to)
    show(history)
    show(events_table(events))


@sub_app.command("create")
def create(
    org: OrgOption,
    account: Annotated[str, typer.Option("--account", help="Account id")],
    plan: Annotated[str, typer.Option(help="Plan code")],
    cycle: Annotated[str, typer.Option(help="month, quarter, half_year, year...")] = "month",
    quantity: Annotated[
        str | None, typer.Option(help="Seats (accounts); default: the plan's minimum")
    ] = None,
    add_on: Annotated[
        list[str] | None, typer.Option("--add-on", help="code=quantity; repeat for more")
    ] = None,
    no_trial: Annotated[
        bool, typer.Option("--no-trial", help="Start paying today, without the plan's trial")
    ] = False,
) -> None:
    """Subscribe an account to a plan, today in the account's time zone."""
    with session(org) as (plansmith, org_id):
        data = SubscribeInput(
            account_id=account,
            plan=plan,
            cycle=cycle,
            quantity=quantity_of(quantity),
            add_ons=add_ons_of(add_on or []),
            trial=False if no_trial else None,
        )
        done = subscribe(plansmith.uow(), org_clock(plansmith, org_id), org_id, data)
    result(done, "Created")


@sub_app.command("change")
def change(
    subscription_id: IdArgument,
    org: OrgOption,
    plan: Annotated[str | None, typer.Option(help="Another plan of the family, by code")] = None,
    cycle: Annotated[str | None, typer.Option(help="month, quarter, half_year, year...")] = None,
    quantity: Annotated[str | None, typer.Option(help="Seats (accounts)")] = None,
    when: Annotated[
        str | None,
        typer.Option(help="now or term_end; default: as the family's policy says"),
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what it would bill; save nothing")
    ] = False,
) -> None:
    """Change plan, cycle or seats: now with daily proration, or at the end of the term."""
    with session(org) as (plansmith, org_id):
        data = actions.ChangeInput(
            plan=plan, cycle=cycle, quantity=quantity_of(quantity), when=when
        )
        done = actions.change_subscription(
            plansmith.uow(),
            org_clock(plansmith, org_id),
            org_id,
            subscription_id,
            data,
            preview=preview,
        )
    result(done, "Scheduled a change of" if happened(done, ChangeScheduled) else "Changed")


@sub_app.command("cancel")
def cancel(
    subscription_id: IdArgument,
    org: OrgOption,
    now: Annotated[
        bool, typer.Option("--now", help="Now, crediting the rest of the period")
    ] = False,
) -> None:
    """Cancel at the end of the term (nothing more is billed), or now."""
    with session(org) as (plansmith, org_id):
        done = actions.cancel_subscription(
            plansmith.uow(),
            org_clock(plansmith, org_id),
            org_id,
            subscription_id,
            "now" if now else "term_end",
        )
    result(done, "Set to cancel at the end of the term:" if not now else "Canceled")


@sub_app.command("reactivate")
def reactivate(subscription_id: IdArgument, org: OrgOption) -> None:
    """Withdraw a cancellation at term end, or bring a canceled subscription back today."""
    with session(org) as (plansmith, org_id):
        done = actions.reactivate_subscription(
            plansmith.uow(), org_clock(plansmith, org_id), org_id, subscription_id
        )
    withdrawn = happened(done, CancelWithdrawn)
    result(done, "Withdrew the cancellation of" if withdrawn else "Reactivated")


@sub_app.command("advance")
def advance(
    org: Annotated[str | None, typer.Option("--org", help="Organization id or name")] = None,
    every_org: Annotated[bool, typer.Option("--all", help="Every organization")] = False,
) -> None:
    """The renewal step as of now: every subscription whose period ended is renewed (trials
    convert or lapse, scheduled changes apply, pay-per-day days are billed)."""
    if (org is None) == (not every_org):
        err.print("error (--org): give --org ORG or --all", highlight=False)
        raise typer.Exit(1)
    if every_org:
        with container() as plansmith:
            done = actions.advance_due(plansmith.uow(), plansmith.clock, None)
    else:
        assert org is not None
        with session(org) as (plansmith, org_id):
            done = actions.advance_due(plansmith.uow(), org_clock(plansmith, org_id), org_id)
    line(
        f"Renewed {done.renewed} subscription(s); {done.items} billable item(s) created; "
        f"{done.skipped} skipped (changed by another worker meanwhile)."
    )
    for failure in done.failed:
        line(f"Could not renew {failure.subscription_id} ({failure.code}): {failure.message}")
