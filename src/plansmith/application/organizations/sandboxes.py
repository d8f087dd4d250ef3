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

An organization has at most MAX_SANDBOXES live sandboxes. The count is taken with the owner's
row held (``hold``), so of two creations at once the second counts after the first commits and
neither passes the limit. Deleting a sandbox archives it: its keys are revoked and its
sessions ended at once, it leaves the owner's list and no longer counts; its data is kept.
The console's form carries a one-time token recorded with the sandbox it made: the same form
sent again (a reload, a second click) finds that sandbox and makes none, and its key, shown
once, is not shown again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Clock, Page, UnitOfWork
from plansmith.application.organizations.api_keys import IssuedKey, new_key
from plansmith.domain.accounts.account import require_text
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import Organization

EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START = datetime(2100, 1, 1, tzinfo=UTC)
MAX_LABEL = 100  # the id and the brackets follow it, within the 200 a name may have
DEFAULT_LABEL = "Sandbox"
KEY_NAME = "sandbox"
MAX_SANDBOXES = 50  # live (not archived) sandboxes per organization
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")


class SandboxLimitReached(Conflict):
    code = ec.SANDBOX_LIMIT_REACHED


@dataclass(frozen=True)
class NewSandbox:
    organization: Organization
    key: IssuedKey  # its secret is shown once, to whoever made the sandbox


@dataclass(frozen=True)
class MadeBefore:
    """The form was sent before and made this sandbox; its key was shown then, only."""

    organization: Organization


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
    now), and a secret API key for it: one transaction, so either both exist or neither.
    SandboxLimitReached (409) when the owner has MAX_SANDBOXES live sandboxes."""
    made = _create(uow, clock, owner_id, label, start, start_field, None)
    assert isinstance(made, NewSandbox)  # without a form token nothing was made before
    return made


def create_sandbox_from_form(
    uow: UnitOfWork,
    clock: Clock,
    owner_id: str,
    form_token: str,
    *,
    label: str | None = None,
    start: datetime | None = None,
    start_field: str = "start",
    token_field: str = "form_token",  # noqa: S107 - a field name, not a secret
) -> NewSandbox | MadeBefore:
    """As create_sandbox, once per form: the sandbox is recorded under the form's one-time
    token in the same transaction, and the same token sent again answers MadeBefore (the
    sandbox it made, without a key) and makes nothing."""
    return _create(uow, clock, owner_id, label, start, start_field, (form_token, token_field))


def _create(
    uow: UnitOfWork,
    clock: Clock,
    owner_id: str,
    label: str | None,
    start: datetime | None,
    start_field: str,
    form: tuple[str, str] | None,  # the form's one-time token, and the name of its field
) -> NewSandbox | MadeBefore:
    now = clock.now()
    at = checked_start(start, now, start_field)
    text = DEFAULT_LABEL if label is None or not label.strip() else label
    text = require_text(text, "name", max_length=MAX_LABEL)
    sandbox_id = new_id("org")
    with uow:
        owner = uow.organizations.hold(owner_id)  # creations for one owner: one at a time
        if owner is None:
            raise NotFound(f"no organization {owner_id!r}", field="organization")
        if owner.sandbox:
            raise Conflict(
                "a sandbox cannot make sandboxes; use a key of the live organization "
                "(GET /v1/organization says which one you hold)"
            )
        if form is not None:  # checked after the owner, so a sandbox's console hears why not
            if not FORM_TOKEN.fullmatch(form[0]):
                raise InvalidValue(
                    "the form has no valid one-time token; reload the page", field=form[1]
                )
            before = uow.organizations.made_by_form(owner.id, form[0])
            if before is not None:
                return MadeBefore(before)
        if uow.organizations.count_sandboxes(owner.id) >= MAX_SANDBOXES:
            raise SandboxLimitReached(
                f"the organization has {MAX_SANDBOXES} live sandboxes, the most it may have; "
                "delete one it no longer needs (DELETE /v1/sandboxes/{sandbox_id}) first"
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
        if form is not None:
            uow.organizations.remember_form(owner.id, form[0], sandbox.id, now)
        uow.commit()
    return NewSandbox(sandbox, issued)


def get_sandbox(uow: UnitOfWork, owner_id: str, sandbox_id: str) -> Organization:
    """One of the owner's sandboxes, archived or not; NotFound for any other id."""
    with uow:
        return _owned(uow, owner_id, sandbox_id)


def delete_sandbox(uow: UnitOfWork, clock: Clock, owner_id: str, sandbox_id: str) -> Organization:
    """Archive one of the owner's sandboxes: its keys are revoked and its sessions ended now,
    it leaves the owner's list and no longer counts towards MAX_SANDBOXES; its data is kept.
    Idempotent: a sandbox archived already is answered as it is, and nothing changes."""
    now = clock.now()
    with uow:
        sandbox = _owned(uow, owner_id, sandbox_id)
        if sandbox.archived_at is not None:
            return sandbox
        if uow.organizations.archive(sandbox.id, now):
            uow.api_keys.revoke_all(sandbox.id, now)
            uow.web_sessions.end_for_organization(sandbox.id, now)
            uow.commit()
            return replace(sandbox, archived_at=now)
        return _owned(uow, owner_id, sandbox_id)  # archived meanwhile by another request


def _owned(uow: UnitOfWork, owner_id: str, sandbox_id: str) -> Organization:
    sandbox = uow.organizations.get(sandbox_id)
    if sandbox is None or sandbox.owner_id is None or sandbox.owner_id != owner_id:
        raise NotFound(f"no sandbox {sandbox_id!r}", field="sandbox_id")
    return sandbox


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
