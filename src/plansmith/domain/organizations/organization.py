"""Operators sharing one deployment: organizations, their API keys and console users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Organization:
    """One operator (a SaaS business). Everything it owns is invisible to every other one."""

    id: str
    name: str
    created_at: datetime
    # A sandbox is for trying billing out: its time is a test clock that stands still at
    # test_clock_at until the operator advances it. A live organization has none.
    sandbox: bool = False
    test_clock_at: datetime | None = None
    # The live organization whose API key or console made this sandbox (None: a live one, or a
    # sandbox made on the command line). Its owner lists it and sees its keys once.
    owner_id: str | None = None
    # When its owner deleted the sandbox: its keys were revoked then, it no longer counts
    # towards the owner's limit and is no longer listed; its data is kept.
    archived_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.sandbox != (self.test_clock_at is not None):
            raise ValueError("a sandbox organization, and only one, has a test clock")
        if self.owner_id is not None and not self.sandbox:
            raise ValueError("only a sandbox has an owner")
        if self.archived_at is not None and self.owner_id is None:
            raise ValueError("only a sandbox with an owner is archived")


class KeyStatus(StrEnum):
    ACTIVE = "active"
    EXPIRING = "expiring"  # rolled: works until expires_at, then refused
    EXPIRED = "expired"  # rolled, and its overlap is over
    REVOKED = "revoked"


@dataclass(frozen=True)
class ApiKey:
    """A secret API key; only its SHA-256 digest is stored, the secret is shown once.

    A key is refused from the instant it is revoked, or from its expiry (set when it is rolled:
    the old key keeps working for the overlap the operator chose, then stops).
    """

    id: str
    organization_id: str
    name: str
    prefix: str  # first characters of the secret, to recognise a key in a list
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    kind: str = "secret"  # "publishable" keys only read the public price list
    expires_at: datetime | None = None
    last_used_at: datetime | None = None  # to the minute: see application/api_keys.py

    def status(self, now: datetime) -> KeyStatus:
        if self.revoked_at is not None:
            return KeyStatus.REVOKED
        if self.expires_at is None:
            return KeyStatus.ACTIVE
        return KeyStatus.EXPIRING if now < self.expires_at else KeyStatus.EXPIRED

    def works_at(self, now: datetime) -> bool:
        return self.status(now) in (KeyStatus.ACTIVE, KeyStatus.EXPIRING)


@dataclass(frozen=True)
class OperatorUser:
    """A person who signs in to the operator console of one organization."""

    id: str
    organization_id: str
    email: str
    password_hash: str
    created_at: datetime
