"""Sandboxes a live organization makes for itself, from the API or the console.

Who may make one: a live organization (its secret API key, or its console users). The sandbox
belongs to it: it lists its sandboxes, and the answer that makes one carries the sandbox's
first API key, once. A sandbox cannot make sandboxes (that would let a test run breed
organizations nobody live owns). The sandbox's test clock starts at any instant the caller
chooses, between 2000 and 2100, else at the wall clock's now; it then moves only forward, by
`POST /v1/test_clock/advance` with the sandbox's key (or `plansmith clock advance`).

A sandbox's name is the caller's label with its id after it ("CI run 42 (org_...)"): names
are unique in a deployment, and a label one operator picks must not collide with, or reveal,
another operator's organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Clock, Page, UnitOfWork
from plansmith.application.organizations.api_keys import IssuedKey, new_key
from plansmith.domain.accounts.account import require_text
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import Organization

EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START = datetime(2100, 1, 1, tzinfo=UTC)
MAX_LABEL = 100  # the id and the brackets follow it, within the 200 a name may have
DEFAULT_LABEL = "Sandbox"
KEY_NAME = "sandbox"


@dataclass(frozen=True)
class NewSandbox:
    organization: Organization
    key: IssuedKey  # its secret is shown once, to whoever made the sandbox


def checked_start(start: datetime | None, now: datetime, field: str) -> datetime:
    """Where a new test clock starts: ``start`` (with its UTC offset, 2000 to 2100), else now."""
    if start is None:
        return now
    if start.tzinfo is None or start.utcoffset() is None:
        raise InvalidValue(
            "give the instant with its UTC offset, e.g. 2026-01-31T00:00:00+00:00", field=field
        )
    if not EARLIEST_START <= start < LATEST_START:
        raise InvalidValue(
            "a test clock starts from 2000-01-01T00:00:00Z up to (not including) "
            "2100-01-01T00:00:00Z",
            field=field,
        )
    return start.astimezone(UTC)


def create_sandbox(
    uow: UnitOfWork,
    clock: Clock,
    owner_id: str,
    *,
    label: str | None = None,
    start: datetime | None = None,
    start_field: str = "test_clock_start",
) -> NewSandbox:
    """A sandbox owned by the live organization ``owner_id``, its test clock at ``start`` (else
    now), and a secret API key for it: one transaction, so either both exist or neither."""
    now = clock.now()
    at = checked_start(start, now, start_field)
    text = DEFAULT_LABEL if label is None or not label.strip() else label
    text = require_text(text, "name", max_length=MAX_LABEL)
    sandbox_id = new_id("org")
    with uow:
        owner = uow.organizations.get(owner_id)
        if owner is None:
            raise NotFound(f"no organization {owner_id!r}", field="organization")
        if owner.sandbox:
            raise Conflict(
                "a sandbox cannot make sandboxes; use a key of the live organization "
                "(GET /v1/organization says which one you hold)"
            )
        sandbox = Organization(
            id=sandbox_id,
            name=f"{text} ({sandbox_id})",
            created_at=now,
            sandbox=True,
            test_clock_at=at,
            owner_id=owner.id,
        )
        issued = new_key(sandbox.id, KEY_NAME, now)
        uow.organizations.add(sandbox)
        uow.api_keys.add(issued.key)
        uow.commit()
    return NewSandbox(sandbox, issued)


def list_sandboxes(
    uow: UnitOfWork, owner_id: str, *, cursor: str | None = None, limit: int = 20
) -> Page[Organization]:
    """The sandboxes the organization made, oldest first."""
    after = decode_cursor(cursor)
    limit = check_limit(limit)
    with uow:
        rows = list(uow.organizations.sandboxes(owner_id, after=after, limit=limit + 1))
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
    return Page(items=items, next_cursor=next_cursor)
