"""Fakes of the web session, portal link and sign-in throttle ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from plansmith.application.organizations.ports import (
    PortalLinkRepository,
    SignInThrottleRepository,
    WebSessionRepository,
)
from plansmith.domain.organizations.sessions import PortalLinkRecord, WebSession
from plansmith.domain.organizations.sign_in_throttle import Throttle
from tests.fakes.store import FakeStore, Repo, Rows, clash


class FakeWebSessions(Repo):
    def add(self, session: WebSession) -> None:
        rows = self._rows.web_sessions
        if session.id in rows or any(s.secret_hash == session.secret_hash for s in rows.values()):
            raise clash()
        rows[session.id] = session

    def find_by_hash(self, secret_hash: str) -> WebSession | None:
        found = self._rows.web_sessions.values()
        return next((s for s in found if s.secret_hash == secret_hash), None)

    def end(self, session_id: str, now: datetime) -> bool:
        session = self._rows.web_sessions.get(session_id)
        if session is None or session.ended_at is not None:
            return False
        self._rows.web_sessions[session_id] = replace(session, ended_at=now)
        return True

    def end_for_user(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        live = [
            s
            for s in self._rows.web_sessions.values()
            if s.user_id == user_id and s.ended_at is None and s.id != keep
        ]
        for s in live:
            self._rows.web_sessions[s.id] = replace(s, ended_at=now)
        return len(live)

    def end_for_organization(self, organization_id: str, now: datetime) -> int:
        live = [
            s
            for s in self._rows.web_sessions.values()
            if s.organization_id == organization_id and s.ended_at is None
        ]
        for s in live:
            self._rows.web_sessions[s.id] = replace(s, ended_at=now)
        return len(live)

    def delete_for_user(self, user_id: str) -> None:
        for s in [s for s in self._rows.web_sessions.values() if s.user_id == user_id]:
            del self._rows.web_sessions[s.id]

    def purge(self, now: datetime) -> int:
        gone = [k for k, s in self._rows.web_sessions.items() if s.expires_at <= now]
        for key in gone:
            del self._rows.web_sessions[key]
        return len(gone)


class FakePortalLinks(Repo):
    def add(self, link: PortalLinkRecord) -> None:
        if link.id in self._rows.portal_links:
            raise clash()
        self._rows.portal_links[link.id] = link

    def use(self, link_id: str, now: datetime) -> bool:
        link = self._rows.portal_links.get(link_id)
        if link is None or link.used_at is not None or link.expires_at <= now:
            return False
        self._rows.portal_links[link_id] = replace(link, used_at=now)
        return True

    def purge(self, now: datetime) -> int:
        gone = [k for k, link in self._rows.portal_links.items() if link.expires_at <= now]
        for key in gone:
            del self._rows.portal_links[key]
        return len(gone)


class FakeSignInThrottles(Repo):
    def lock(self, keys: Sequence[str]) -> dict[str, Throttle]:
        found: dict[str, Throttle] = {}
        for key in sorted(set(keys)):
            throttle = self._rows.throttles.setdefault(
                key, Throttle(key=key, failures=0, last_failed_at=None, blocked_until=None)
            )
            found[key] = throttle
        return found

    def save(self, throttle: Throttle) -> None:
        if throttle.key in self._rows.throttles:
            self._rows.throttles[throttle.key] = throttle

    def purge(self, forgotten_before: datetime, now: datetime) -> int:
        def gone(t: Throttle) -> bool:
            forgotten = t.last_failed_at is None or t.last_failed_at < forgotten_before
            return forgotten and (t.blocked_until is None or t.blocked_until <= now)

        keys = [k for k, t in self._rows.throttles.items() if gone(t)]
        for key in keys:
            del self._rows.throttles[key]
        return len(keys)


# mypy checks each fake against its port here: a port change breaks the fake at lint time.
_store, _rows = FakeStore(), Rows()
_web_sessions: WebSessionRepository = FakeWebSessions(_store, _rows)
_portal_links: PortalLinkRepository = FakePortalLinks(_store, _rows)
_throttles: SignInThrottleRepository = FakeSignInThrottles(_store, _rows)
