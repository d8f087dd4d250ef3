"""Console users' passwords and removal; each ends the user's sessions in the same transaction.

A new password ends every session of the user at once, on every process; a removed user's
sessions go with them.
"""

from __future__ import annotations

from dataclasses import replace

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.organizations.organizations import MIN_PASSWORD_LENGTH
from plansmith.application.organizations.passwords import hash_password
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import OperatorUser


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    return hash_password(password)


def _by_email(uow: UnitOfWork, email: str) -> OperatorUser:
    user = uow.operators.find_by_email(email.strip().lower())
    if user is None:
        raise NotFound(f"no console user {email.strip()!r}", field="email")
    return user


def set_operator_password(uow: UnitOfWork, clock: Clock, email: str, password: str) -> int:
    """An operator's new password (e.g. from the command line); returns how many of their
    sessions it ended (all of them)."""
    password_hash = _checked_password(password)
    with uow:
        user = _by_email(uow, email)
        uow.operators.update(replace(user, password_hash=password_hash))
        ended = uow.web_sessions.end_for_user(user.id, clock.now())
        uow.commit()
    return ended


def remove_operator(uow: UnitOfWork, email: str) -> OperatorUser:
    """The user can no longer sign in, and every session of theirs ends with them."""
    with uow:
        user = _by_email(uow, email)
        uow.web_sessions.delete_for_user(user.id)
        uow.operators.remove(user.id)
        uow.commit()
    return user
