"""The plansmith command line: serve, migrate, manage organizations, keys, users, demo data."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from plansmith.application.organizations import console_users
from plansmith.application.organizations import organizations as orgs
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.cli import billing, context, demo_sandbox
from plansmith.entrypoints.cli import demo as demo_data
from plansmith.entrypoints.cli.catalog import catalog_app
from plansmith.entrypoints.cli.clock import clock_app, parse_instant
from plansmith.entrypoints.cli.demo_keys import KEYS_FILE, KeyFile
from plansmith.entrypoints.cli.events import events_app
from plansmith.entrypoints.cli.keys import key_app, org_list
from plansmith.entrypoints.cli.payments import pay_app
from plansmith.entrypoints.cli.subscriptions import sub_app

app = typer.Typer(
    help="plansmith: plan catalog, subscription billing and billing portal.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
org_app = typer.Typer(
    help="Organizations (operators sharing this deployment).", no_args_is_help=True
)
user_app = typer.Typer(help="Operator console users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(key_app, name="key")
app.add_typer(user_app, name="user")
app.add_typer(catalog_app, name="catalog")
app.add_typer(sub_app, name="sub")
app.add_typer(clock_app, name="clock")
app.add_typer(events_app, name="events")
app.add_typer(pay_app, name="pay")
app.command("bill")(billing.bill)

out = Console()
err = Console(stderr=True)


@contextmanager
def container() -> Iterator[Plansmith]:
    """Build the app for one command; a rule violation becomes one line on stderr, exit 1."""
    plansmith = bootstrap(Settings())
    try:
        yield plansmith
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        err.print(f"[red]error{where}:[/red] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        plansmith.dispose()


context.install(container)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    from plansmith.adapters.db.migrate import upgrade  # Alembic: only this command needs it

    with container() as plansmith:
        upgrade(plansmith.engine)
        out.print(f"database at head: {plansmith.engine.url.render_as_string()}")


@db_app.command("purge-idempotency-keys")
def db_purge_idempotency_keys() -> None:
    """Forget Idempotency-Keys older than the retention period (24 h by default)."""
    with container() as plansmith:
        out.print(f"purged {plansmith.idempotency.purge()} idempotency key(s)")


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(help="Display name, unique")],
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox", help="A sandbox: its time is a test clock, moved by `plansmith clock`"
        ),
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Where a sandbox's test clock starts: an ISO instant with offset, e.g. "
            "2026-01-31T00:00Z (2000 to 2100); default: now",
        ),
    ] = None,
) -> None:
    """Create an organization and print its id."""
    with container() as plansmith:
        if start is not None and not sandbox:
            raise InvalidValue("--start is for a sandbox; add --sandbox", field="--start")
        at = parse_instant(start, "--start") if start is not None else None
        organization = orgs.create_organization(
            plansmith.uow(),
            plansmith.clock,
            name,
            sandbox=sandbox,
            test_clock_start=at,
            start_field="--start",
        )
        out.print(organization.id)


org_app.command("list")(org_list)
OrgOption = Annotated[str, typer.Option("--org", help="Organization id or name")]


@user_app.command("create")
def user_create(
    org: OrgOption,
    email: Annotated[str, typer.Option(help="Sign-in email")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters"
        ),
    ],
) -> None:
    """Create an operator who signs in to the console."""
    with container() as plansmith:
        organization = orgs.find_organization(plansmith.uow(), org)
        user = orgs.create_operator(
            plansmith.uow(), plansmith.clock, organization.id, email, password
        )
        out.print(f"{user.id} {user.email}")


EmailOption = Annotated[str, typer.Option("--email", help="The user's sign-in email")]


@user_app.command("set-password")
def user_set_password(
    email: EmailOption,
    password: Annotated[
        str,
        typer.Option(
            prompt="New password",
            hide_input=True,
            confirmation_prompt=True,
            help="At least 10 characters",
        ),
    ],
) -> None:
    """Give a console user a new password; every session of theirs ends at once."""
    with container() as plansmith:
        ended = console_users.set_operator_password(
            plansmith.uow(), plansmith.clock, email, password
        )
        out.print(f"password changed for {email.strip().lower()}; {ended} session(s) ended")


@user_app.command("remove")
def user_remove(email: EmailOption) -> None:
    """Remove a console user: they can no longer sign in, and their sessions end at once."""
    with container() as plansmith:
        user = console_users.remove_operator(plansmith.uow(), email)
        out.print(f"removed {user.id} {user.email}")


@app.command()
def demo() -> None:
    """Load the demo once (an organization with a catalog and customers, and a sandbox whose
    clock has run a few months); every run prints working keys, sign-ins and portal links."""
    with container() as plansmith:
        result = demo_data.load(plansmith, KeyFile(KEYS_FILE))
        for line in demo_lines(result, plansmith.settings.base_url.rstrip("/")):
            # Plain lines, never wrapped or cut, so the key and the link copy in one piece.
            out.print(line, soft_wrap=True, highlight=False, markup=False)


def demo_lines(result: demo_data.DemoResult, base: str) -> list[str]:
    sandbox = result.sandbox
    sign_in = f"sign in as {{}} / {demo_data.OPERATOR_PASSWORD}"
    clock = sandbox.organization.test_clock_at
    assert clock is not None
    if result.loaded_before:
        heading = "plansmith demo: loaded before, your data is kept as it is"
    else:
        heading = "plansmith demo is ready"
    rows = [
        ("Organization", f"{result.organization.name} ({result.organization.id})"),
        ("Catalog", result.catalog),
        ("Customers", f"{result.customers} with {result.subscriptions}"),
        ("Usage", result.usage),
        ("Home", f"{base}/"),
        ("API docs", f"{base}/docs"),
        ("API key", f"{result.api_key}  ({result.api_key_note})"),
        ("Public key", result.publishable_key),
        ("Pricing", f"{base}/v1/pricing?key={result.publishable_key}"),
        ("Console", f"{base}/console/  {sign_in.format(demo_data.OPERATOR_EMAIL)}"),
        *_link_rows(result.links),
    ]
    sandbox_rows = [
        ("Organization", f"{sandbox.organization.name}"),
        (
            "Test clock",
            f"{clock.isoformat(timespec='seconds')}: {sandbox.invoices} invoices so far, "
            f"{sandbox.credit_notes} credit note(s); advance it with "
            f"`plansmith clock advance --org {sandbox.organization.id} --by 1m`",
        ),
        ("API key", f"{sandbox.api_key.secret}  ({sandbox.api_key.note})"),
        ("Console", f"{base}/console/  {sign_in.format(demo_sandbox.OPERATOR_EMAIL)}"),
        *_link_rows(sandbox.links),
    ]
    lines = [heading, *(f"  {label:<13}{value}" for label, value in rows)]
    lines.append("Sandbox (its own data; time stands still until you advance it)")
    lines += [f"  {label:<13}{value}" for label, value in sandbox_rows]
    return lines


def _link_rows(links: list[demo_data.PortalLink]) -> list[tuple[str, str]]:
    return [
        (
            "Portal link",
            f"{link.url}  {link.customer}, in {link.language} (opens once, within 24 h)",
        )
        for link in links
    ]


# An import string, not an app: uvicorn imports it in each worker process. With several
# workers this process imports no part of the web app at all.
APP_FACTORY = "plansmith.entrypoints.web:app_from_environment"
WORKER_HEALTHCHECK_SECONDS = 60


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="PLANSMITH_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PLANSMITH_PORT")] = 8000,
    renewals_every: Annotated[
        int,
        typer.Option(
            help="Run the renewal step, then the collection run, every N seconds in this "
            "process; 0: never"
        ),
    ] = 60,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="PLANSMITH_WORKERS",
            help="Server processes; on PostgreSQL, one per core (SQLite: keep 1)",
        ),
    ] = 1,
) -> None:
    """Serve the API, the portal and the console; run the renewal step, the collection run,
    the outbox relay and the webhook deliveries.
    Ctrl-C (SIGINT) or SIGTERM stops it cleanly, with exit status 0."""
    # From the first instant: a stop while starting is a clean stop too. uvicorn ends on
    # SIGTERM as on Ctrl-C, then raises the signal again: both become an interrupt, so the
    # finally in _serve stops the timer and gives the relay lease up, and the exit is 0.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _serve(host, port, renewals_every, workers)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    out.print("plansmith stopped", highlight=False)


def _serve(host: str, port: int, renewals_every: int, workers: int) -> None:
    import uvicorn

    from plansmith.entrypoints.cli.renewals import RenewalTimer
    from plansmith.entrypoints.http_protocol import NoDelayHttp
    from plansmith.entrypoints.relay_loop import RelayLoop
    from plansmith.entrypoints.webhook_loop import DeliveryLoop
    from plansmith.entrypoints.webui.mail import equip

    # Built before any worker starts, which also makes var/secret_key (if it is the key) for
    # the workers to read. The timer and the relay run here, in this one process: the workers
    # only answer requests (uvicorn starts them from APP_FACTORY), so N workers do not run the
    # renewal step N times over or compete N ways for the relay's lease.
    plansmith = bootstrap(Settings())
    base = f"http://{host}:{port}"
    out.print(
        f"plansmith on {base} with {workers} worker(s)  (home: {base}/, API docs: {base}/docs;"
        " Ctrl-C stops it)",
        soft_wrap=True,
        highlight=False,
    )
    timer = RenewalTimer(plansmith, renewals_every) if renewals_every > 0 else None
    every = plansmith.settings.relay_every_seconds
    relay = RelayLoop(equip(plansmith).relay(), every) if every > 0 else None
    every = plansmith.settings.webhooks_every_seconds
    webhooks = DeliveryLoop(plansmith.delivery_workers(), every) if every > 0 else None
    running: list[RenewalTimer | RelayLoop | DeliveryLoop] = []
    try:
        for loop in (timer, relay, webhooks):
            if loop is not None:
                loop.start()
                running.append(loop)
        # A worker that has not answered the supervisor's ping in this many seconds is killed
        # and replaced. uvicorn's 5 s is less than a worker takes to import the app on a
        # busy host (load average above ~8 on 2 cores): every new worker was killed while it
        # started, in a loop, and the server never answered.
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http=NoDelayHttp,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        for loop in running:
            loop.stop()
        plansmith.dispose()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Jobs run at once in this process")] = 1,
) -> None:
    """Run billing and collection jobs from Redis (PLANSMITH_REDIS_URL) until stopped with
    SIGTERM/Ctrl-C."""
    from plansmith.entrypoints.worker import run_worker

    plansmith = bootstrap(Settings())
    if not plansmith.settings.redis_url:
        err.print("error (PLANSMITH_REDIS_URL): set it to the Redis the workers share")
        raise typer.Exit(1)
    out.print(f"plansmith worker ({threads} thread(s)) on {plansmith.settings.redis_url}")
    try:
        run_worker(plansmith, threads)
    finally:
        plansmith.dispose()


def main() -> None:  # pragma: no cover - console script shim
    sys.exit(app())
