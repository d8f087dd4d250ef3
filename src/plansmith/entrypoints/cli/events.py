"""`plansmith events list` (what happened in an organization, newest first), `plansmith
events relay` (deliver the outbox to the subscribers, for deployments that run no relay in
their servers and workers) and `plansmith events deliver` (send due webhook deliveries: as
many of these processes as wanted share the work)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from plansmith.application.events.queries import list_events
from plansmith.entrypoints.cli.context import container
from plansmith.entrypoints.cli.subscription_output import line, show
from plansmith.entrypoints.cli.subscriptions import session

events_app = typer.Typer(
    help="The organization's events and the outbox relay", no_args_is_help=True
)
OrgOption = Annotated[str, typer.Option("--org", help="Organization id or name")]


@events_app.command("list")
def list_(
    org: OrgOption,
    type: Annotated[str | None, typer.Option("--type", help="e.g. invoice.finalized")] = None,
    object_id: Annotated[str | None, typer.Option("--object", help="An object's id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """Newest first."""
    with session(org) as (plansmith, org_id):
        page = list_events(plansmith.uow(), org_id, type=type, object_id=object_id, limit=limit)
    table = Table("Created", "Type", "Object", "Id", "Delivered")
    for event in page.items:
        delivered = event.delivered_at.isoformat(timespec="seconds") if event.delivered_at else ""
        table.add_row(
            event.created_at.isoformat(timespec="seconds"),
            event.type,
            event.object_id,
            event.id,
            delivered,
        )
    show(table)


@events_app.command("relay")
def relay(
    once: Annotated[bool, typer.Option(help="Deliver what is waiting, then stop")] = False,
    every: Annotated[float, typer.Option(help="Seconds between passes", min=0.1)] = 1.0,
) -> None:
    """Hand outbox events to the subscribers until stopped (Ctrl-C), or --once."""
    import time

    from plansmith.entrypoints.webui.mail import equip

    with container() as plansmith:
        relayer = equip(plansmith).relay()
        try:
            while True:
                delivered = relayer.run_until_idle()
                if delivered:
                    line(f"Delivered {delivered} event(s).")
                if once:
                    return
                time.sleep(every)
        except KeyboardInterrupt:
            pass
        finally:
            relayer.stop()


@events_app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option(help="Send what is due now, then stop")] = False,
    every: Annotated[float, typer.Option(help="Seconds between passes", min=0.05)] = 1.0,
) -> None:
    """Send due webhook deliveries (and their retries) until stopped (Ctrl-C), or --once."""
    import time

    from plansmith.entrypoints.webhook_loop import until_idle

    with container() as plansmith:
        workers = plansmith.delivery_workers()
        try:
            while True:
                sent = until_idle(workers)
                if sent:
                    line(f"Made {sent} webhook attempt(s).")
                if once:
                    return
                time.sleep(every)
        except KeyboardInterrupt:
            pass
        finally:
            workers[0].sender.close()
