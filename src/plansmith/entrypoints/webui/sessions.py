"""Browser session cookies, and CSRF tokens bound to them.

The cookie holds a random secret; the server keeps the session (application/web_sessions.py)
and can end it at any time. A CSRF token is a signed token carrying a digest of the cookie's
secret: it is only valid with the cookie it was made for, and only while that session lives.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request, Response

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.organizations.tokens import Signer, TokenRejected
from plansmith.application.organizations.web_sessions import IssuedSession, read_session
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.organizations.sessions import SessionKind, WebSession
from plansmith.entrypoints.webui.branding import remember_organization

CSRF = "csrf"
CSRF_FIELD = "csrf_token"


class CsrfRejected(DomainError):
    """A form posted without the token of the current session (or from another site)."""

    code = ec.CSRF_REJECTED


@dataclass(frozen=True)
class BrowserSession:
    """The live session of a request and the CSRF token its forms must carry."""

    record: WebSession
    token: str
    csrf_token: str


@dataclass(frozen=True)
class CookieSession:
    """One kind of session cookie: its name, the kind of session and the path it is sent to."""

    cookie: str
    kind: SessionKind
    path: str

    def issue(
        self, response: Response, issued: IssuedSession, now: datetime, *, secure: bool
    ) -> None:
        response.set_cookie(
            self.cookie,
            issued.secret,
            max_age=max(0, int((issued.session.expires_at - now).total_seconds())),
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def read(
        self, request: Request, uow: UnitOfWork, clock: Clock, signer: Signer
    ) -> BrowserSession:
        """The session of this request; TokenRejected when there is none or it has ended."""
        token = request.cookies.get(self.cookie, "")
        record = read_session(uow, clock, self.kind, token)
        remember_organization(request, record.organization_id)
        csrf = signer.sign(CSRF, {"sid": _digest(token)}, record.expires_at)
        return BrowserSession(record, token, csrf)

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path=self.path, httponly=True, samesite="lax")


def check_csrf(signer: Signer, session: BrowserSession, submitted: str, now: datetime) -> None:
    try:
        claims = signer.verify(CSRF, submitted, now)
    except TokenRejected as exc:
        raise CsrfRejected(_CSRF_MESSAGE, field=CSRF_FIELD) from exc
    if not hmac.compare_digest(claims.get("sid", ""), _digest(session.token)):
        raise CsrfRejected(_CSRF_MESSAGE, field=CSRF_FIELD)


def check_same_origin(request: Request, base_url: str) -> None:
    """For forms posted before there is a session (sign-in): refuse other sites' pages.

    Browsers send Origin on every form POST; a request without one is not from a browser page.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = {base_url.rstrip("/"), f"{request.url.scheme}://{request.headers.get('host', '')}"}
    if origin.rstrip("/") not in own:
        raise CsrfRejected(_CSRF_MESSAGE, field="origin")


def is_secure(base_url: str) -> bool:
    return base_url.startswith("https://")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


_CSRF_MESSAGE = (
    "This form has expired or did not come from this site. Reload the page and try again."
)
