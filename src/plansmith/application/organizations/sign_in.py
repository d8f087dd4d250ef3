"""Console sign-in, slowed down after repeated failures per email and per client address.

Two throttles (domain/sign_in_throttle.py) guard each attempt, both kept in the database so
they hold across processes:

- per email typed (whether or not such a user exists): 5 failures free, then 1 s doubling up
  to 60 s. The cap is short on purpose: whoever hammers an operator's email can keep them out
  for at most a minute after their last counted failure, and a sign-in from any other address
  works as soon as that delay has passed;
- per client address (IPv6 by /64): 20 failures free, then 1 s doubling up to 15 minutes, which
  is what stops one machine from guessing at many emails.

A refused attempt (429, with the seconds to wait) checks no password and is not counted. Every
failure and refusal is logged with the email and the client address, never the password.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from plansmith.application.kernel.errors import Unauthorized
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.organizations.organizations import sign_in_operator
from plansmith.application.organizations.web_sessions import (
    IssuedSession,
    new_session,
    purge_expired,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.organizations.organization import OperatorUser
from plansmith.domain.organizations.sessions import SessionKind
from plansmith.domain.organizations.sign_in_throttle import Throttle, ThrottlePolicy, refused_until

log = logging.getLogger("plansmith.sign_in")

PER_USER = ThrottlePolicy(
    free_failures=5,
    first_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=60),
    forget_after=timedelta(minutes=15),
)
PER_ADDRESS = ThrottlePolicy(
    free_failures=20,
    first_delay=timedelta(seconds=1),
    max_delay=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for this email or from this address: wait, then try again."""

    code = ec.TOO_MANY_ATTEMPTS

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-in attempts. Wait {_wait(retry_after)}, then try again.",
            field="email",
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    user: OperatorUser
    issued: IssuedSession


def sign_in(
    uow: UnitOfWork,
    clock: Clock,
    email: str,
    password: str,
    client_address: str,
    *,
    session_seconds: int,
) -> SignedIn:
    """Check the password unless a throttle refuses; on success, a new console session."""
    typed = email.strip().lower()
    user_key = _key("user", typed)
    address_key = _key("address", client_network(client_address))
    keys = {user_key: PER_USER, address_key: PER_ADDRESS}
    before, counted = _admit(uow, clock, keys, typed, client_address)
    try:
        user = sign_in_operator(uow, typed, password)
    except Unauthorized:
        log.warning(
            "console sign-in failed for %r from %s (%d failure(s) in a row for this email)",
            typed[:320],
            client_address,
            counted[user_key].failures,
        )
        raise
    issued = new_session(
        clock, SessionKind.CONSOLE, user.organization_id, session_seconds, user_id=user.id
    )
    with uow:
        current = uow.sign_in_throttles.lock(list(keys))
        # The user proved who they are: their count starts again. Others behind the same
        # address keep theirs; only this attempt's own count is taken back.
        uow.sign_in_throttles.save(current[user_key].cleared())
        uow.sign_in_throttles.save(
            current[address_key].uncounted(before[address_key], counted[address_key])
        )
        uow.web_sessions.add(issued.session)
        uow.commit()
    with uow:
        now = clock.now()
        uow.sign_in_throttles.purge(now - PER_ADDRESS.forget_after, now)
        uow.commit()
    purge_expired(uow, clock)
    return SignedIn(user, issued)


def _admit(
    uow: UnitOfWork,
    clock: Clock,
    keys: dict[str, ThrottlePolicy],
    typed: str,
    client_address: str,
) -> tuple[dict[str, Throttle], dict[str, Throttle]]:
    """Count this attempt as failed on every key, holding their rows while deciding, unless
    one of them refuses it (TooManyAttempts). Returns each key's state before and after."""
    with uow:
        now = clock.now()
        before = uow.sign_in_throttles.lock(list(keys))
        until = refused_until(list(before.values()), now)
        if until is not None:
            retry_after = max(1, math.ceil((until - now).total_seconds()))
            log.warning(
                "console sign-in refused for %r from %s: too many failures, retry in %d s",
                typed[:320],
                client_address,
                retry_after,
            )
            raise TooManyAttempts(retry_after)
        counted = {key: before[key].counted(now, policy) for key, policy in keys.items()}
        for throttle in counted.values():
            uow.sign_in_throttles.save(throttle)
        uow.commit()
    return before, counted


def client_network(address: str) -> str:
    """What one client is: its IPv4 address, or its IPv6 /64 (one home or server's share)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def _key(scope: str, value: str) -> str:
    # A digest: the email typed can be anything and any length, the column is 64 characters.
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def _wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
