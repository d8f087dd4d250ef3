"""Use cases for operators: organizations, console users and portal links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plansmith.application.accounts.accounts import get_account
from plansmith.application.kernel import validation
from plansmith.application.kernel.errors import Conflict, NotFound, Unauthorized
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.organizations.passwords import dummy_hash, hash_password, verify_password
from plansmith.application.organizations.sandboxes import checked_start
from plansmith.application.organizations.tokens import Signer, expiry
from plansmith.domain.accounts.account import require_text
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.organization import OperatorUser, Organization
from plansmith.domain.organizations.sessions import PortalLinkRecord

MIN_PASSWORD_LENGTH = 10
MIN_LINK_SECONDS = 60
MAX_LINK_SECONDS = 7 * 24 * 3600
"""How long a portal link may stay valid: a minute to seven days."""


def create_organization(
    uow: UnitOfWork,
    clock: Clock,
    name: str,
    *,
    sandbox: bool = False,
    test_clock_start: datetime | None = None,
    start_field: str = "test_clock_start",
) -> Organization:
    """A live organization, or a sandbox whose test clock starts at ``test_clock_start`` (any
    instant from 2000 to 2100), else at its creation instant."""
    now = clock.now()
    if test_clock_start is not None and not sandbox:
        raise InvalidValue("only a sandbox has a test clock to start", field=start_field)
    organization = Organization(
        id=new_id("org"),
        name=require_text(name, "name"),
        created_at=now,
        sandbox=sandbox,
        test_clock_at=checked_start(test_clock_start, now, start_field) if sandbox else None,
    )
    with uow:
        if uow.organizations.find_by_name(organization.name) is not None:
            raise Conflict(
                f"an organization named {organization.name!r} exists already",
                field="name",
                code=ec.ORGANIZATION_EXISTS,
            )
        uow.organizations.add(organization)
        uow.commit()
    return organization


def find_organization(uow: UnitOfWork, ref: str) -> Organization:
    """By id or by exact name, as an operator types it on the command line."""
    with uow:
        organization = uow.organizations.get(ref) or uow.organizations.find_by_name(ref)
    if organization is None:
        raise NotFound(f"no organization with id or name {ref!r}", field="organization")
    return organization


def create_operator(
    uow: UnitOfWork, clock: Clock, organization_id: str, email: str, password: str
) -> OperatorUser:
    address = validation.email_address(email).lower()  # sign-in is case-insensitive
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    user = OperatorUser(
        id=new_id("user"),
        organization_id=organization_id,
        email=address,
        password_hash=hash_password(password),
        created_at=clock.now(),
    )
    with uow:
        if uow.organizations.get(organization_id) is None:
            raise NotFound(f"no organization {organization_id!r}", field="organization")
        if uow.operators.find_by_email(address) is not None:
            raise Conflict(f"a console user {address} exists already", field="email")
        uow.operators.add(user)
        uow.commit()
    return user


def sign_in_operator(uow: UnitOfWork, email: str, password: str) -> OperatorUser:
    with uow:
        user = uow.operators.find_by_email(email.strip().lower())
    stored = user.password_hash if user else dummy_hash()
    if not verify_password(password, stored) or user is None:
        raise Unauthorized("wrong email or password")
    return user


def get_operator(uow: UnitOfWork, user_id: str) -> OperatorUser:
    with uow:
        user = uow.operators.get(user_id)
    if user is None:
        raise Unauthorized("your console session ended; sign in again")
    return user


PORTAL_LINK = "portal-link"


@dataclass(frozen=True)
class PortalLink:
    token: str
    account_id: str
    expires_at: datetime


def create_portal_link(
    uow: UnitOfWork,
    clock: Clock,
    signer: Signer,
    organization_id: str,
    account_id: str,
    *,
    ttl_seconds: int = 900,
) -> PortalLink:
    """A link that lets one account's admin into the portal, like Stripe's portal sessions.

    It opens the portal once: its first visit trades it for a session (web_sessions.enter_portal)
    and any later one gets "Link expired"."""
    if not MIN_LINK_SECONDS <= ttl_seconds <= MAX_LINK_SECONDS:
        raise InvalidValue("expires_in must be between 60 seconds and 7 days", field="expires_in")
    account = get_account(uow, organization_id, account_id)
    now = clock.now()
    record = PortalLinkRecord(
        id=new_id("plink"),
        organization_id=organization_id,
        account_id=account.id,
        created_at=now,
        expires_at=expiry(now, ttl_seconds),
    )
    with uow:
        uow.portal_links.add(record)
        uow.commit()
    claims = {"org": organization_id, "acct": account.id, "link": record.id}
    token = signer.sign(PORTAL_LINK, claims, record.expires_at)
    return PortalLink(token, account.id, record.expires_at)
