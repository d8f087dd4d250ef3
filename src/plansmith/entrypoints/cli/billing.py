"""`plansmith bill`: one billing run with a progress bar and a summary table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plansmith.application.billing_ports import RunRecord
from plansmith.application.billing_run import dispatch_billing, run_billing
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.cli.subscriptions import _container, session

out = Console()
err = Console(stderr=True)


def _dispatch(plansmith: Plansmith, org_id: str | None) -> None:
    from plansmith.entrypoints.worker import billing_jobs

    sent = dispatch_billing(plansmith.uow(), plansmith.clock, org_id, billing_jobs(plansmith))
    out.print(f"Sent {sent} billing job(s) to the workers.", highlight=False)


def _run(plansmith: Plansmith, org_id: str | None) -> RunRecord:
    columns = (TextColumn("billing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("billing", total=None)
        return run_billing(
            plansmith.uow(),
            plansmith.clock,
            org_id,
            grace=plansmith.invoice_grace,
            on_progress=lambda _done: progress.advance(task),
        )


def bill(
    org: Annotated[str | None, typer.Option("--org", help="Organization id or name")] = None,
    every_org: Annotated[bool, typer.Option("--all", help="Every organization")] = False,
) -> None:
    """Run billing now: renew what is due, invoice what is pending, finalize drafts past their
    grace period. Safe to run again, or from several machines at once. With
    PLANSMITH_REDIS_URL set, the work is sent to `plansmith worker` processes instead."""
    if (org is None) == (not every_org):
        err.print("error (--org): give --org ORG or --all", highlight=False)
        raise typer.Exit(1)
    if every_org:
        with _container() as plansmith:
            if plansmith.settings.redis_url:
                return _dispatch(plansmith, None)
            record = _run(plansmith, None)
    else:
        with session(org or "") as (plansmith, org_id):
            if plansmith.settings.redis_url:
                return _dispatch(plansmith, org_id)
            record = _run(plansmith, org_id)
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
    out.print(table)
    for error in record.errors:
        what = error.get("subscription_id") or error.get("invoice_id")
        out.print(f"could not bill {what} ({error['code']}): {error['message']}", markup=False)
