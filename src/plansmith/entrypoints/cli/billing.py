"""`plansmith bill`: one billing run with a progress bar and a summary table; `--as-of` bills
as of another instant (for a sandbox, a later one advances its test clock)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plansmith.application.billing.jobs import dispatch_run
from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import run_billing
from plansmith.application.billing.test_clocks import FrozenClock, clock_for
from plansmith.application.kernel.ports import Clock
from plansmith.application.organizations.organizations import find_organization
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.entrypoints.cli.clock import advance_with_progress, parse_instant, print_advance
from plansmith.entrypoints.cli.context import container
from plansmith.entrypoints.cli.subscription_output import show
from plansmith.entrypoints.cli.subscriptions import session

out = Console()
err = Console(stderr=True)


def _dispatch(plansmith: Plansmith, org_id: str | None) -> None:
    from plansmith.entrypoints.worker import billing_jobs

    done = dispatch_run(
        plansmith.uow(), plansmith.clock, org_id, billing_jobs(plansmith), watch=plansmith.watch
    )
    out.print(
        f"Sent {done.sent} subscription(s) and draft(s) in {done.jobs} job(s) to the workers: "
        f"billing run {done.run_id}.",
        highlight=False,
    )


def _run(plansmith: Plansmith, org_id: str | None, clock: Clock) -> RunRecord:
    columns = (TextColumn("billing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("billing", total=None)
        return run_billing(
            plansmith.uow(),
            clock,
            org_id,
            grace=plansmith.invoice_grace,
            on_progress=lambda _done: progress.advance(task),
            watch=plansmith.watch,
        )


def _as_of_live(plansmith: Plansmith, as_of: str) -> Clock:
    """A fixed clock at an instant not after now: a live organization's time never moves."""
    instant = parse_instant(as_of, "--as-of")
    now = plansmith.clock.now()
    if instant > now:
        raise InvalidValue(
            f"{instant.isoformat()} is after now ({now.isoformat(timespec='seconds')}); only a "
            "sandbox organization's time moves forward (plansmith org create NAME --sandbox)",
            field="--as-of",
        )
    return FrozenClock(instant)


def bill(
    org: Annotated[str | None, typer.Option("--org", help="Organization id or name")] = None,
    every_org: Annotated[bool, typer.Option("--all", help="Every organization")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Bill as of this ISO instant (with offset), not after now; for a sandbox, an "
            "instant after its test clock advances the clock there",
        ),
    ] = None,
) -> None:
    """Run billing now: renew what is due, invoice what is pending, finalize drafts past their
    grace period. Safe to run again, or from several machines at once. With
    PLANSMITH_REDIS_URL set, the work is sent to `plansmith worker` processes instead (not
    with --as-of, nor for a sandbox: workers run on the wall clock)."""
    if (org is None) == (not every_org):
        err.print("error (--org): give --org ORG or --all", highlight=False)
        raise typer.Exit(1)
    if every_org:
        with container() as plansmith:
            if as_of is None and plansmith.settings.redis_url:
                return _dispatch(plansmith, None)
            clock = plansmith.clock if as_of is None else _as_of_live(plansmith, as_of)
            record = _run(plansmith, None, clock)
    else:
        with session(org or "") as (plansmith, org_id):
            organization = find_organization(plansmith.uow(), org_id)
            frozen_at = organization.test_clock_at
            if as_of is None:
                if frozen_at is None and plansmith.settings.redis_url:
                    return _dispatch(plansmith, org_id)
                clock = clock_for(organization, plansmith.clock)
            elif frozen_at is None:
                clock = _as_of_live(plansmith, as_of)
            else:
                instant = parse_instant(as_of, "--as-of")
                if instant > frozen_at:
                    done = advance_with_progress(plansmith, org_id, instant, "--as-of")
                    return print_advance(done)
                clock = FrozenClock(instant)
            record = _run(plansmith, org_id, clock)
    table = Table(title=f"Billing run {record.id}", show_header=True)
    for column in ("as of", "renewed", "invoiced", "finalized", "skipped", "errors"):
        table.add_column(column, justify="left" if column == "as of" else "right")
    table.add_row(
        record.as_of.isoformat(timespec="seconds"),
        str(record.renewed),
        str(record.invoiced),
        str(record.finalized),
        str(record.skipped),
        str(len(record.errors)),
    )
    show(table)  # whole rows to a file or a pipe
    for error in record.errors:
        what = error.get("subscription_id") or error.get("invoice_id")
        out.print(f"could not bill {what} ({error['code']}): {error['message']}", markup=False)
