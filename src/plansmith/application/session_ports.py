"""What the session, portal link and sign-in use cases need from the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from plansmith.domain.sessions import PortalLinkRecord, WebSession
from plansmith.domain.sign_in_throttle import Throttle


class WebSessionRepository(Protocol):
    def add(self, session: WebSession) -> None: ...
    def find_by_hash(self, secret_hash: str) -> WebSession | None: ...
    def end(self, session_id: str, now: datetime) -> bool:
        """Set ended_at if the session has not ended yet; False if it had."""
        ...

    def end_for_user(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        """End every live session of a console user (but ``keep``); how many ended."""
        ...

    def delete_for_user(self, user_id: str) -> None: ...
    def purge(self, now: datetime) -> int:
        """Delete sessions past their expiry."""
        ...


class PortalLinkRepository(Protocol):
    def add(self, link: PortalLinkRecord) -> None: ...
    def use(self, link_id: str, now: datetime) -> bool:
        """Mark the link used, in one conditional statement: True only for the one call that
        finds it unused and unexpired, however many run at once."""
        ...

    def purge(self, now: datetime) -> int:
        """Delete links past their expiry (used or not: they can no longer get in)."""
        ...


class SignInThrottleRepository(Protocol):
    def lock(self, keys: Sequence[str]) -> dict[str, Throttle]:
        """Each key's row, created empty if missing, held until the transaction ends (taken in
        key order, so two sign-ins never wait for each other in a circle)."""
        ...

    def save(self, throttle: Throttle) -> None: ...
    def purge(self, forgotten_before: datetime, now: datetime) -> int:
        """Delete rows whose last failure is older than ``forgotten_before`` and that no longer
        refuse at ``now`` (their count would start again anyway)."""
        ...
