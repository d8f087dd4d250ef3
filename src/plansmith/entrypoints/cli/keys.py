"""`plansmith key ...` (create, list, revoke, roll) and `plansmith org list`.

The secret of a new key is printed once, alone on stdout, so it can be piped; everything else
about it goes to stderr. A refused command prints one line on stderr and exits 1, having
changed nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plansmith.application.organizations import api_keys
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import ApiKey, KeyStatus
from plansmith.entrypoints.cli.context import container
from plansmith.entrypoints.cli.subscription_output import show
from plansmith.entrypoints.cli.subscriptions import OrgOption, session

key_app = typer.Typer(help="API keys: create, list, revoke, roll.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

KeyArgument = Annotated[str, typer.Argument(help="Key id (key_...), from `plansmith key list`")]
DURATION = re.compile(r"(\d+)([smhd]?)")
UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_overlap(text: str, field: str = "--overlap") -> int:
    """Seconds from "0", "90s", "30m", "24h" or "7d" (a bare number is seconds)."""
    found = DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise InvalidValue(
            f"{text!r} is not a duration; give a number and a unit: 0, 90s, 30m, 24h or 7d",
            field=field,
        )
    seconds = int(found.group(1)) * UNIT_SECONDS[found.group(2)]
    return api_keys.check_overlap(seconds, field)


@key_app.command("create")
def key_create(
    org: OrgOption,
    name: Annotated[str, typer.Option()] = "default",
    publishable: Annotated[
        bool,
        typer.Option(
            "--publishable", help="A pk_ key that only reads the price list (safe in a web page)"
        ),
    ] = False,
) -> None:
    """Create an API key; the secret is printed once and stored only as a hash."""
    kind = api_keys.PUBLISHABLE if publishable else api_keys.SECRET
    with session(org) as (plansmith, org_id):
        issued = api_keys.create_api_key(plansmith.uow(), plansmith.clock, org_id, name, kind=kind)
    out.print(issued.secret, highlight=False)


@key_app.command("list")
def key_list(org: OrgOption) -> None:
    """The organization's keys, revoked and expired ones included; secrets are never shown."""
    with session(org) as (plansmith, org_id):
        keys = list(_all_keys(plansmith, org_id))
        now = plansmith.clock.now()
    if not keys:
        err.print("no API keys; create one with `plansmith key create --org ...`", markup=False)
        return
    table = Table(show_header=True)
    for column in ("id", "name", "prefix", "kind", "created", "last used", "status"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(
            key.id,
            escape(key.name),
            f"{key.prefix}…",
            key.kind,
            _shown(key.created_at),
            _shown(key.last_used_at) if key.last_used_at else "never",
            status_text(key, now),
        )
    show(table)


@key_app.command("revoke")
def key_revoke(key_id: KeyArgument, org: OrgOption) -> None:
    """Stop a key at once: every process refuses it from now on (401)."""
    with session(org) as (plansmith, org_id):
        key = api_keys.revoke_api_key(plansmith.uow(), plansmith.clock, org_id, key_id)
    out.print(f"revoked {key.id} ({escape(key.name)}, {key.prefix}…)", highlight=False)


@key_app.command("roll")
def key_roll(
    key_id: KeyArgument,
    org: OrgOption,
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap",
            help="How long the old key keeps working: 0 (stop at once), 90s, 30m, 24h, 7d "
            "(at most 7 days)",
        ),
    ],
) -> None:
    """Replace a key with a new one (same name and kind). The new secret is printed once on
    stdout; the old key works until the overlap ends, then gets 401."""
    with session(org) as (plansmith, org_id):
        seconds = parse_overlap(overlap)
        rolled = api_keys.roll_api_key(
            plansmith.uow(),
            plansmith.clock,
            org_id,
            key_id,
            overlap_seconds=seconds,
            field="--overlap",
        )
    old, new = rolled.old, rolled.new.key
    assert old.expires_at is not None  # a roll sets it
    err.print(
        f"rolled {old.id} into {new.id} ({escape(new.name)}); the old key works until "
        f"{_shown(old.expires_at)}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(rolled.new.secret, highlight=False)


def org_list() -> None:
    """Every organization of this deployment: id, name, sandbox or live, created."""
    with container() as plansmith:
        organizations = api_keys.list_organizations(plansmith.uow())
    if not organizations:
        err.print("no organizations; create one with `plansmith org create NAME`", markup=False)
        return
    table = Table(show_header=True)
    for column in ("id", "name", "sandbox", "created"):
        table.add_column(column, overflow="fold")
    for organization in organizations:
        table.add_row(
            organization.id,
            escape(organization.name),
            "yes" if organization.sandbox else "no",
            _shown(organization.created_at),
        )
    show(table)


def status_text(key: ApiKey, now: datetime) -> str:
    status = key.status(now)
    if status is KeyStatus.REVOKED and key.revoked_at is not None:
        return f"revoked {_shown(key.revoked_at)}"
    if key.expires_at is not None:
        verb = "expires" if status is KeyStatus.EXPIRING else "expired"
        return f"{verb} {_shown(key.expires_at)}"
    return "active"


def _all_keys(plansmith: Plansmith, org_id: str) -> Iterator[ApiKey]:
    cursor: str | None = None
    while True:
        page = api_keys.list_api_keys(plansmith.uow(), org_id, cursor=cursor, limit=100)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _shown(at: datetime) -> str:
    return at.isoformat(timespec="seconds")
