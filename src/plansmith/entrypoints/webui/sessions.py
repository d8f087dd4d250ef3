"""Browser sessions as signed cookies, and CSRF tokens bound to them.

A session is a token from the container's Signer (claims + expiry, HMAC-signed), so the server
keeps no session table and a changed cookie is simply rejected. A CSRF token is a second signed
token carrying a digest of the session token: it is only valid with the cookie it was made for.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request, Response

from plansmith.application.tokens import Signer, TokenRejected, expiry
from plansmith.domain import error_codes as ec
from plansmith.domain.errors import DomainError

CSRF = "csrf"
CSRF_FIELD = "csrf_token"


class CsrfRejected(DomainError):
    """A form posted without the token of the current session (or from another site)."""

    code = ec.CSRF_REJECTED


@dataclass(frozen=True)
class SignedSession:
    """The verified claims of a session cookie and the CSRF token its forms must carry."""

    claims: dict[str, str]
    token: str
    expires_at: datetime
    csrf_token: str


@dataclass(frozen=True)
class CookieSession:
    """One kind of session cookie: its name, the signing purpose and the path it is sent to."""

    cookie: str
    purpose: str
    path: str

    def issue(
        self,
        response: Response,
        signer: Signer,
        claims: dict[str, str],
        now: datetime,
        seconds: int,
        *,
        secure: bool,
    ) -> None:
        token = signer.sign(self.purpose, claims, expiry(now, seconds))
        response.set_cookie(
            self.cookie,
            token,
            max_age=seconds,
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def read(self, request: Request, signer: Signer, now: datetime) -> SignedSession:
        """The session of this request; TokenRejected when there is none or it is not valid."""
        token = request.cookies.get(self.cookie, "")
        if not token:
            raise TokenRejected("there is no session; open a new link", code=ec.NO_SESSION)
        claims = signer.verify(self.purpose, token, now)
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        csrf = signer.sign(CSRF, {"sid": _digest(token)}, expires_at)
        return SignedSession(claims, token, expires_at, csrf)

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path=self.path, httponly=True, samesite="lax")


def check_csrf(signer: Signer, session: SignedSession, submitted: str, now: datetime) -> None:
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
