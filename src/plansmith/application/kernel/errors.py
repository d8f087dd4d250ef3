"""Errors the use cases raise besides the domain's rule violations."""

from __future__ import annotations

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError


class NotFound(DomainError):
    """No such object in the caller's organization (objects of other organizations included)."""

    code = ec.NOT_FOUND


class Conflict(DomainError):
    """The request clashes with the current state; retrying unchanged will not help."""

    code = ec.CONFLICT


class Unauthorized(DomainError):
    """Missing, unknown or revoked credentials."""

    code = ec.UNAUTHORIZED


class Refusal(str):
    """A refusal's English sentence that keeps the error it came from, so a page can say it
    again in its own language (by the error's code and field) after a screen stored it as
    text."""

    error: DomainError

    def __new__(cls, text: str, error: DomainError) -> Refusal:
        made = super().__new__(cls, text)
        made.error = error
        return made
