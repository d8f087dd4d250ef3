"""Operators sharing one deployment: organizations, their API keys and console users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Organization:
    """One operator (a SaaS business). Everything it owns is invisible to every other one."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    """A secret API key; only its SHA-256 digest is stored, the secret is shown once."""

    id: str
    organization_id: str
    name: str
    prefix: str  # first characters of the secret, to recognise a key in a list
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    kind: str = "secret"  # "publishable" keys only read the public price list


@dataclass(frozen=True)
class OperatorUser:
    """A person who signs in to the operator console of one organization."""

    id: str
    organization_id: str
    email: str
    password_hash: str
    created_at: datetime
