"""Browser sessions the server can end: start, read, end; a portal link traded for one, once.

The browser keeps a random secret in a cookie; the database keeps only its SHA-256 digest with
who it lets in and until when. Signing out sets ended_at, so a copied cookie stops working at
once on every process; a password change or a removed console user ends all of theirs.
Sessions run on the wall clock (the container's), never a sandbox's test clock: they guard
real time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.organizations.organizations import PORTAL_LINK
from plansmith.application.organizations.tokens import Signer, TokenRejected
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.organizations.sessions import SessionKind, WebSession


@dataclass(frozen=True)
class IssuedSession:
    session: WebSession
    secret: str  # the cookie's value; only its digest is stored


def digest(secret: str) -> str:
    # 256 random bits: a plain SHA-256 is enough, and lets the row be found by it.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_session(
    clock: Clock,
    kind: SessionKind,
    organization_id: str,
    seconds: int,
    *,
    user_id: str | None = None,
    account_id: str | None = None,
) -> IssuedSession:
    """A session to add inside the caller's transaction."""
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    session = WebSession(
        id=new_id("ses"),
        kind=kind.value,
        secret_hash=digest(secret),
        organization_id=organization_id,
        created_at=now,
        expires_at=now + timedelta(seconds=seconds),
        user_id=user_id,
        account_id=account_id,
    )
    return IssuedSession(session, secret)


def read_session(uow: UnitOfWork, clock: Clock, kind: SessionKind, secret: str) -> WebSession:
    """The live session this cookie value opens; TokenRejected (401) otherwise."""
    if not secret:
        raise TokenRejected("there is no session; open a new link", code=ec.NO_SESSION)
    with uow:
        session = uow.web_sessions.find_by_hash(digest(secret))
    if session is None or session.kind != kind.value:
        raise TokenRejected("there is no such session; sign in again", code=ec.NO_SESSION)
    if session.ended_at is not None:
        raise TokenRejected("this session was ended; sign in again", code=ec.SESSION_ENDED)
    if session.expired(clock.now()):
        raise TokenRejected("this session has expired; sign in again", code=ec.SESSION_EXPIRED)
    return session


def end_session(uow: UnitOfWork, clock: Clock, session: WebSession) -> None:
    """Sign-out: the session ends now, whoever holds a copy of its cookie."""
    with uow:
        uow.web_sessions.end(session.id, clock.now())
        uow.commit()


def enter_portal(
    uow: UnitOfWork, clock: Clock, signer: Signer, token: str, *, seconds: int
) -> IssuedSession:
    """Trade a portal link for a portal session, once: the link's row is marked used by one
    conditional update in the same transaction that adds the session, so of any number of
    visits (at once or later) exactly one gets a session and the others "Link expired"."""
    now = clock.now()
    claims = signer.verify(PORTAL_LINK, token, now)
    link_id = claims.get("link", "")
    issued = new_session(
        clock, SessionKind.PORTAL, claims["org"], seconds, account_id=claims["acct"]
    )
    with uow:
        if not link_id or not uow.portal_links.use(link_id, now):
            raise TokenRejected(
                "this link was used already; each link opens the portal once", code=ec.LINK_USED
            )
        uow.web_sessions.add(issued.session)
        uow.commit()
    purge_expired(uow, clock)
    return issued


def purge_expired(uow: UnitOfWork, clock: Clock) -> None:
    """Forget sessions and portal links past their expiry (they can let no one in any more).
    Run after each new session, in its own transaction; rows others hold are left for later."""
    with uow:
        now = clock.now()
        uow.web_sessions.purge(now)
        uow.portal_links.purge(now)
        uow.commit()
