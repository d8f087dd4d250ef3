"""API keys: create, authenticate, list, revoke and roll; and the list of organizations an
operator picks from when managing them.

A key is checked against the database on every request (there is no cache anywhere), so a
revoked key is refused at once by every process that serves the API. Rolling issues a new key
with the same name and kind and gives the old one an expiry: it keeps working for the overlap
the operator chose (0 to 7 days), so clients can be moved over without an outage.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from plansmith.application.kernel.errors import Conflict, NotFound, Unauthorized
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Clock, Page, UnitOfWork
from plansmith.application.organizations.ports import KeyUses
from plansmith.domain.accounts.account import require_text
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import ApiKey, KeyStatus, Organization

API_KEY_PREFIX = "sk_"
PUBLISHABLE_KEY_PREFIX = "pk_"
SECRET, PUBLISHABLE = "secret", "publishable"
MAX_OVERLAP_SECONDS = 7 * 24 * 3600
# last_used_at is kept to this precision: a request writes it only when the stored value is
# older, so a busy key costs one UPDATE a minute, not one per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest_secret(secret: str) -> str:
    # API keys carry ~190 bits of randomness, so a plain SHA-256 is enough to store them.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once; only its digest is kept


@dataclass(frozen=True)
class Caller:
    """Who sent an API request: the organization, and the very key it used."""

    organization: Organization
    key: ApiKey


@dataclass(frozen=True)
class RolledKey:
    old: ApiKey  # with the expiry it now has
    new: IssuedKey


def _new_key(organization_id: str, name: str, kind: str, now: datetime) -> IssuedKey:
    prefix = API_KEY_PREFIX if kind == SECRET else PUBLISHABLE_KEY_PREFIX
    secret = prefix + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"),
        organization_id=organization_id,
        name=name,
        prefix=secret[:10],
        secret_hash=digest_secret(secret),
        created_at=now,
        kind=kind,
    )
    return IssuedKey(key=key, secret=secret)


def new_key(organization_id: str, name: str, now: datetime, *, kind: str = SECRET) -> IssuedKey:
    """A key to add in a unit of work of the caller's (a sandbox and its first key, at once)."""
    return _new_key(organization_id, require_text(name, "name"), kind, now)


def create_api_key(
    uow: UnitOfWork, clock: Clock, organization_id: str, name: str, *, kind: str = SECRET
) -> IssuedKey:
    """A secret key (sk_) for the whole API, or a publishable one (pk_) that may only read the
    public price list and so can sit in a website's page source."""
    if kind not in (SECRET, PUBLISHABLE):
        raise InvalidValue("kind is secret or publishable", field="kind")
    issued = _new_key(organization_id, require_text(name, "name"), kind, clock.now())
    with uow:
        if uow.organizations.get(organization_id) is None:
            raise NotFound(f"no organization {organization_id!r}", field="organization")
        uow.api_keys.add(issued.key)
        uow.commit()
    return issued


def authenticate_api_key(
    uow: UnitOfWork, clock: Clock, uses: KeyUses, secret: str, *, publishable_ok: bool = False
) -> Caller:
    """The caller of a request, read from the database every time; a revoked key, or a rolled
    one past its overlap, is refused from that instant on."""
    now = clock.now()
    with uow:
        found = uow.api_keys.caller(digest_secret(secret))
    key, organization = found if found is not None else (None, None)
    if key is None or organization is None or not key.works_at(now):
        raise Unauthorized(
            "unknown, revoked or expired API key; send 'Authorization: Bearer sk_...'"
        )
    if key.kind != SECRET and not publishable_ok:
        raise Unauthorized("a publishable key only reads the price list; use a secret key")
    stale = now - LAST_USED_PRECISION
    if key.last_used_at is None or key.last_used_at < stale:
        uses.record(key.id, now, if_before=stale)
        key = replace(key, last_used_at=now)
    return Caller(organization, key)


def key_works(
    uow: UnitOfWork, clock: Clock, organization_id: str, secret: str, *, kind: str = SECRET
) -> bool:
    """Whether ``secret`` is a working key of this kind of the organization: a key kept from
    an earlier run (the demo's) is printed again only if it still opens the API. Reads only."""
    with uow:
        key = uow.api_keys.find_by_hash(digest_secret(secret))
    return (
        key is not None
        and key.organization_id == organization_id
        and key.kind == kind
        and key.works_at(clock.now())
    )


def list_api_keys(
    uow: UnitOfWork, organization_id: str, *, cursor: str | None = None, limit: int = 20
) -> Page[ApiKey]:
    """The organization's keys, oldest first, revoked and expired ones included."""
    after = decode_cursor(cursor)
    limit = check_limit(limit)
    with uow:
        rows = list(uow.api_keys.list(organization_id, after=after, limit=limit + 1))
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
    return Page(items=items, next_cursor=next_cursor)


def get_api_key(uow: UnitOfWork, organization_id: str, key_id: str) -> ApiKey:
    with uow:
        key = uow.api_keys.get(organization_id, key_id)
    if key is None:
        raise _no_key(key_id)
    return key


def revoke_api_key(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    key_id: str,
    *,
    caller_key_id: str | None = None,
) -> ApiKey:
    """Stop a key at once. An API request may not revoke the key it is sent with (it would lock
    its client out by accident): roll that key instead, or revoke it with another key, in the
    console or on the command line. A rolled key may still be revoked during its overlap."""
    if caller_key_id is not None and key_id == caller_key_id:
        raise Conflict(
            f"this request is authenticated with {key_id}; roll it instead (the new key comes "
            "back in the answer), or revoke it with another key, the console or the CLI",
            field="key_id",
            code=ec.API_KEY_IN_USE,
        )
    now = clock.now()
    with uow:
        key = uow.api_keys.get(organization_id, key_id)
        if key is None:
            raise _no_key(key_id)
        if not uow.api_keys.revoke(organization_id, key_id, now):
            raise _not_working(uow.api_keys.get(organization_id, key_id) or key, now)
        uow.commit()
    return replace(key, revoked_at=now)


def check_overlap(seconds: int, field: str = "expires_in") -> int:
    if not 0 <= seconds <= MAX_OVERLAP_SECONDS:
        raise InvalidValue(
            f"{field} must be between 0 (at once) and {MAX_OVERLAP_SECONDS} seconds (7 days)",
            field=field,
        )
    return seconds


def roll_api_key(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    key_id: str,
    *,
    overlap_seconds: int,
    field: str = "expires_in",
) -> RolledKey:
    """A new key (same name and kind) in place of an old one, which keeps working for the
    overlap and is refused from then on. The key a request is sent with may be rolled."""
    check_overlap(overlap_seconds, field)
    now = clock.now()
    expires_at = now + timedelta(seconds=overlap_seconds)
    with uow:
        old = uow.api_keys.get(organization_id, key_id)
        if old is None:
            raise _no_key(key_id)
        new = _new_key(organization_id, old.name, old.kind, now)
        uow.api_keys.add(new.key)
        # Conditional: of two rolls (or a roll and a revoke) at once, one wins; the other
        # finds the key changed and rolls back, its new key with it.
        if not uow.api_keys.expire(organization_id, key_id, expires_at):
            raise _not_working(uow.api_keys.get(organization_id, key_id) or old, now)
        uow.commit()
    return RolledKey(old=replace(old, expires_at=expires_at), new=new)


def list_organizations(uow: UnitOfWork) -> Sequence[Organization]:
    """Every organization of the deployment, oldest first: for the operator's command line."""
    with uow:
        return list(uow.organizations.all())


def _no_key(key_id: str) -> NotFound:
    return NotFound(f"no API key {key_id!r} in this organization", field="key_id")


def _not_working(key: ApiKey, now: datetime) -> Conflict:
    """Why a key cannot be revoked or rolled (again)."""
    status = key.status(now)
    if status is KeyStatus.REVOKED and key.revoked_at is not None:
        message = f"{key.id} was revoked at {_at(key.revoked_at)}"
        return Conflict(message, field="key_id", code=ec.API_KEY_REVOKED)
    if status is KeyStatus.EXPIRED and key.expires_at is not None:
        message = f"{key.id} was rolled and stopped working at {_at(key.expires_at)}"
        return Conflict(message, field="key_id", code=ec.API_KEY_REVOKED)
    until = _at(key.expires_at) if key.expires_at else "its expiry"
    return Conflict(
        f"{key.id} was rolled already and works until {until}; revoke it to stop it sooner",
        field="key_id",
        code=ec.API_KEY_ROLLED,
    )


def _at(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")
