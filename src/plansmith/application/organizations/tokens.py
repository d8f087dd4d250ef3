"""Signed, expiring tokens for portal links and browser sessions (HMAC-SHA256).

A token carries its claims in the clear and a signature over them; expiry is checked against
the injected clock, never the system time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError


class TokenRejected(DomainError):
    """A link or session that is forged, altered, for another purpose or past its expiry."""

    code = ec.LINK_EXPIRED


@dataclass(frozen=True)
class Signer:
    secret: bytes

    def sign(self, purpose: str, claims: dict[str, str], expires_at: datetime) -> str:
        body = dict(claims, purpose=purpose, exp=str(int(expires_at.timestamp())))
        payload = _b64(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, purpose: str, token: str, now: datetime) -> dict[str, str]:
        payload, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(signature, self._mac(payload)):
            raise TokenRejected("this link is not valid: it was altered or never issued")
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError as exc:
            raise TokenRejected("this link is not valid") from exc
        if claims.get("purpose") != purpose:
            raise TokenRejected("this link is for something else")
        if int(claims["exp"]) <= int(now.timestamp()):
            raise TokenRejected("this link has expired; ask for a new one")
        return {k: str(v) for k, v in claims.items()}

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def expiry(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)
