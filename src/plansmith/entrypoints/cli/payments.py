"""`plansmith pay collect`: one collection run with a progress bar and a summary table.

Every invoice due for an attempt now (new ones owing money with a default card, and retries
whose time has come) is collected once: the balance first, then the card. With
PLANSMITH_REDIS_URL set, each is sent as a job to `plansmith worker` processes instead (not
with --as-of, nor for a sandbox: workers run on the wall clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plansmith.application.billing.test_clocks import FrozenClock, clock_for
from plansmith.application.kernel.ports import Clock
from plansmith.application.organizations.organizations import find_organization
from plansmith.application.payments.collection_batch import BatchCollected, collect_batch
from plansmith.application.payments.collection_run import CollectionRun, run_collection
from plansmith.application.payments.jobs import dispatch_collection
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.cli.billing import _as_of_live
from plansmith.entrypoints.cli.clock import advance_with_progress, parse_instant, print_advance
from plansmith.entrypoints.cli.context import container
from plansmith.entrypoints.cli.subscription_output import show
from plansmith.entrypoints.cli.subscriptions import session

pay_app = typer.Typer(help="Payments: collect what invoices owe.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _dispatch(plansmith: Plansmith, org_id: str | None) -> None:
    from plansmith.entrypoints.worker import billing_jobs

    done = dispatch_collection(
        plansmith.uow(), plansmith.gateway_for, plansmith.clock, org_id, billing_jobs(plansmith)
    )
    out.print(f"Sent {done.attempted} invoice(s) to the workers to collect.", highlight=False)


def _run(plansmith: Plansmith, org_id: str | None, clock: Clock) -> CollectionRun:
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("collecting", total=None)

        def many(org: str, invoice_ids: Sequence[str]) -> BatchCollected:
            try:
                return collect_batch(
                    plansmith.uow(), plansmith.gateway_for(org), clock, org, invoice_ids
                )
            finally:
                progress.advance(task, len(invoice_ids))

        return run_collection(plansmith.uow(), plansmith.gateway_for, clock, org_id, collect=many)


def collect(
    org: Annotated[
        str | None, typer.Option("--org", help="Organization id or name; default: every live one")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Collect as of this ISO instant (with offset), not after now; for a sandbox, "
            "an instant after its test clock advances the clock there (billing and collecting "
            "at each instant on the way)",
        ),
    ] = None,
) -> None:
    """Collect every invoice due for an attempt now: the balance first, then the default card;
    failed attempts are retried on the dunning schedule by later runs. Safe to run again, or
    from several machines at once: an invoice is charged at most once per attempt."""
    if org is None:
        with container() as plansmith:
            if as_of is None and plansmith.settings.redis_url:
                return _dispatch(plansmith, None)
            clock = plansmith.clock if as_of is None else _as_of_live(plansmith, as_of)
            done = _run(plansmith, None, clock)
    else:
        with session(org) as (plansmith, org_id):
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
                    return print_advance(
                        advance_with_progress(plansmith, org_id, instant, "--as-of")
                    )
                clock = FrozenClock(instant)
            done = _run(plansmith, org_id, clock)
    table = Table(title="Collection run", show_header=True)
    for column in ("as of", "invoices", "paid", "failed", "unknown", "errors"):
        table.add_column(column, justify="left" if column == "as of" else "right")
    table.add_row(
        clock.now().isoformat(timespec="seconds"),
        str(done.attempted),
        str(done.succeeded),
        str(done.failed),
        str(done.unknown),
        str(len(done.errors)),
    )
    show(table)  # whole rows to a file or a pipe
    for invoice_id, message in done.errors:
        out.print(f"could not collect {invoice_id}: {message}", markup=False)


pay_app.command("collect")(collect)
