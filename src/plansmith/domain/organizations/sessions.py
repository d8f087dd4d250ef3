"""Browser sessions and portal links, as the server keeps them.

A session is a row the server can end at any time: the browser holds a random secret, the
server only its SHA-256 digest. A portal link is recorded when it is made, so its first use
can be marked once and for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SessionKind(StrEnum):
    PORTAL = "portal"  # one account's admin, let in by a portal link
    CONSOLE = "console"  # an operator signed in with email and password


@dataclass(frozen=True)
class WebSession:
    id: str
    kind: str
    secret_hash: str
    organization_id: str
    created_at: datetime
    expires_at: datetime
    user_id: str | None = None  # console sessions
    account_id: str | None = None  # portal sessions
    ended_at: datetime | None = None  # signed out, or ended by a password change

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class PortalLinkRecord:
    """A portal link as issued: used_at is set by its first visit, which alone gets a session."""

    id: str
    organization_id: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
