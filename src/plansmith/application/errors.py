"""Errors the use cases raise besides the domain's rule violations."""

from __future__ import annotations

from plansmith.domain.errors import DomainError


class NotFound(DomainError):
    """No such object in the caller's organization (objects of other organizations included)."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request clashes with the current state; retrying unchanged will not help."""

    code = "conflict"
    status = 409


class Unauthorized(DomainError):
    """Missing, unknown or revoked credentials."""

    code = "unauthorized"
    status = 401
