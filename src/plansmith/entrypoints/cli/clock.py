"""`plansmith clock ...`: a sandbox organization's test clock, shown and advanced.

Advancing bills every renewal, trial end and grace end on the way, each at its own instant,
with a progress bar over the time covered and a summary table at the end.
"""

from __future__ import annotations

import calendar
import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plansmith.application.billing import test_clocks
from plansmith.application.organizations import organizations as orgs
from plansmith.application.payments import clock as payment_clock
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.cli.subscription_output import show as show_table
from plansmith.entrypoints.cli.subscriptions import OrgOption, session

clock_app = typer.Typer(
    help="Test clocks of sandbox organizations: show, advance.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)

SPAN = re.compile(r"(\d+)([hdwmy])")


def parse_instant(text: str, field: str) -> datetime:
    """An ISO 8601 instant with its offset ("Z" or "+09:00"), as the operator types it."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(
            f"{text!r} is not an ISO 8601 instant, e.g. 2028-01-31T00:00:00+00:00", field=field
        ) from None
    if instant.tzinfo is None:
        raise InvalidValue(
            f"{text!r} has no UTC offset; add one, e.g. {text.strip()}+00:00", field=field
        )
    return instant.astimezone(UTC)


def _months_later(at: datetime, months: int) -> datetime:
    """Calendar months on, the day clamped to the month's end (Jan 31 + 1 m = Feb 28)."""
    year, month = divmod(at.month - 1 + months, 12)
    year += at.year
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def later_by(start: datetime, text: str, field: str = "--by") -> datetime:
    """``start`` moved on by a span: 12h, 30d, 2w, 6m (calendar months) or 2y."""
    found = SPAN.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise InvalidValue(
            f"{text!r} is not a span; give a number and a unit: 12h, 30d, 2w, 6m or 2y",
            field=field,
        )
    count, unit = int(found.group(1)), found.group(2)
    if unit in "hdw":
        hours = {"h": 1, "d": 24, "w": 7 * 24}[unit]
        return start + timedelta(hours=count * hours)
    return _months_later(start, count * (12 if unit == "y" else 1))


def renamed(exc: DomainError, field: str) -> DomainError:
    """The use case names its inputs `to` and `organization_id`; the operator typed options."""
    option = {"to": field, "organization_id": "--org"}.get(exc.field or "")
    if option is None:
        return exc
    moved = copy.copy(exc)
    moved.field = option
    return moved


@contextmanager
def named_as_typed(field: str) -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise renamed(exc, field) from None


def sandbox_clock(plansmith: Plansmith, org_id: str) -> datetime:
    with named_as_typed("--org"):
        start = test_clocks.sandbox_of(plansmith.uow(), org_id).test_clock_at
    assert start is not None  # sandbox_of checked it
    return start


def advance_with_progress(
    plansmith: Plansmith, org_id: str, to: datetime, field: str
) -> test_clocks.ClockAdvance:
    """Advance the sandbox's clock, a progress bar over the time covered on stderr."""
    with named_as_typed(field):  # refused before the bar is drawn: one line on stderr
        start = test_clocks.checked_advance(plansmith.uow(), org_id, to)
    total = max((to - start).total_seconds(), 1.0)
    columns = (
        TextColumn("clock {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(_shown(start), total=total)

        def on_step(step: test_clocks.Step) -> None:
            done = (step.at - start).total_seconds()
            progress.update(task, completed=done, description=_shown(step.at))

        with named_as_typed(field):
            return payment_clock.advance_clock(
                plansmith.uow(),
                plansmith.gateway_for(org_id),
                org_id,
                to,
                plansmith.invoice_grace,
                on_step,
                plansmith.watch,
            )


def print_advance(done: test_clocks.ClockAdvance) -> None:
    table = Table(title=f"Test clock advanced from {_shown(done.previous)}", show_header=True)
    for column in ("steps", "renewed", "invoiced", "finalized", "errors", "new instant"):
        table.add_column(column, justify="left" if column == "new instant" else "right")
    table.add_row(
        str(len(done.steps)),
        str(done.renewed),
        str(done.invoiced),
        str(done.finalized),
        str(len(done.errors)),
        _shown(done.now),
    )
    show_table(table)  # whole rows to a file or a pipe
    for error in done.errors:
        what = error.get("subscription_id") or error.get("invoice_id")
        out.print(f"could not bill {what} ({error['code']}): {error['message']}", markup=False)


def _shown(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


@clock_app.command("show")
def show_clock(org: OrgOption) -> None:
    """The instant the organization's use cases run at: a sandbox's test clock, or now."""
    with session(org) as (plansmith, org_id):
        organization = orgs.find_organization(plansmith.uow(), org_id)
        if organization.test_clock_at is None:
            out.print(
                f"{organization.name} is live: it runs on the wall clock, now "
                f"{_shown(plansmith.clock.now())}",
                highlight=False,
            )
            return
        out.print(
            f"{organization.name} is a sandbox: its test clock stands at "
            f"{_shown(organization.test_clock_at)}",
            highlight=False,
        )


@clock_app.command("advance")
def advance(
    org: OrgOption,
    to: Annotated[
        str | None, typer.Option("--to", help="An ISO instant with offset, e.g. 2028-01-31T00:00Z")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="A span from the clock: 12h, 30d, 2w, 6m, 2y")
    ] = None,
) -> None:
    """Move a sandbox's clock forward, billing every renewal, trial end and grace end on the
    way at its own instant. Live organizations are refused."""
    if (to is None) == (by is None):
        err.print("error (--to): give --to ISO or --by SPAN", highlight=False)
        raise typer.Exit(1)
    with session(org) as (plansmith, org_id):
        if to is not None:
            target, field = parse_instant(to, "--to"), "--to"
        else:
            target, field = later_by(sandbox_clock(plansmith, org_id), by or ""), "--by"
        done = advance_with_progress(plansmith, org_id, target, field)
    print_advance(done)
