"""Errors raised by the billing rules.

Each error carries a stable machine code (part of the API contract), the field it concerns
when there is one, and a sentence saying what is wrong and how to fix it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.error_codes import ErrorCode

T = TypeVar("T")


class DomainError(Exception):
    """Base for every rule violation. Its code, an entry of the registry in error_codes, says
    what went wrong and which HTTP status the API answers with."""

    code: ErrorCode = ec.INVALID_VALUE

    def __init__(
        self, message: str, *, field: str | None = None, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = ec.lookup(code)  # a code nobody declared fails here, loudly

    @property
    def status(self) -> int:
        return self.code.status


class InvalidValue(DomainError):
    """A value is malformed or out of range."""

    code = ec.INVALID_VALUE


class InvalidInput(DomainError):
    """Several fields of one request are wrong; each entry names its field and reason."""

    code = ec.INVALID_INPUT

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(
            "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors),
            field=first.field,
        )
        self.errors = errors


class Checks:
    """Runs field checks, keeps every failure, and raises them together.

    So a form or an API request learns about all its wrong fields at once, not one per try.
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def run(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except DomainError as exc:
            self.add(exc)
        return None

    def add(self, error: DomainError) -> None:
        self.errors.extend(error.errors if isinstance(error, InvalidInput) else [error])

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidInput(self.errors)


def under(prefix: str, exc: DomainError) -> DomainError:
    """The same error with its field(s) placed under a path, e.g. "plans[2].terms."."""
    if isinstance(exc, InvalidInput):
        return InvalidInput([under(prefix, e) for e in exc.errors])
    moved = copy.copy(exc)
    moved.field = prefix + (exc.field or "").lstrip(".") if exc.field else prefix.rstrip(".")
    return moved
