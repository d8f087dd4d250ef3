"""What the organization use cases need from the database: organizations, API keys and their
uses, operator users, browser sessions, portal links, sign-in throttles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from plansmith.domain.organizations.branding import Branding, Logo
from plansmith.domain.organizations.organization import ApiKey, OperatorUser, Organization
from plansmith.domain.organizations.sessions import PortalLinkRecord, WebSession
from plansmith.domain.organizations.sign_in_throttle import Throttle


class WebSessionRepository(Protocol):
    def add(self, session: WebSession) -> None: ...
    def find_by_hash(self, secret_hash: str) -> WebSession | None: ...
    def end(self, session_id: str, now: datetime) -> bool:
        """Set ended_at if the session has not ended yet; False if it had."""
        ...

    def end_for_user(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        """End every live session of a console user (but ``keep``); how many ended."""
        ...

    def end_for_organization(self, organization_id: str, now: datetime) -> int:
        """End every live session (console and portal) of an organization; how many ended."""
        ...

    def delete_for_user(self, user_id: str) -> None: ...
    def purge(self, now: datetime) -> int:
        """Delete sessions past their expiry."""
        ...


class PortalLinkRepository(Protocol):
    def add(self, link: PortalLinkRecord) -> None: ...
    def use(self, link_id: str, now: datetime) -> bool:
        """Mark the link used, in one conditional statement: True only for the one call that
        finds it unused and unexpired, however many run at once."""
        ...

    def purge(self, now: datetime) -> int:
        """Delete links past their expiry (used or not: they can no longer get in)."""
        ...


class SignInThrottleRepository(Protocol):
    def lock(self, keys: Sequence[str]) -> dict[str, Throttle]:
        """Each key's row, created empty if missing, held until the transaction ends (taken in
        key order, so two sign-ins never wait for each other in a circle)."""
        ...

    def save(self, throttle: Throttle) -> None: ...
    def purge(self, forgotten_before: datetime, now: datetime) -> int:
        """Delete rows whose last failure is older than ``forgotten_before`` and that no longer
        refuse at ``now`` (their count would start again anyway)."""
        ...


class OrganizationRepository(Protocol):
    def add(self, organization: Organization) -> None: ...
    def get(self, organization_id: str) -> Organization | None: ...
    def find_by_name(self, name: str) -> Organization | None: ...
    def all(self) -> Sequence[Organization]:
        """Every organization of the deployment, oldest first (operators' own tools only)."""
        ...

    def hold(self, organization_id: str) -> Organization | None:
        """The organization, its row held until the transaction ends: two transactions that
        hold the same organization run one after the other."""
        ...

    def sandboxes(
        self, owner_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Organization]:
        """The live (not archived) sandboxes ``owner_id`` made, in (created_at, id) order,
        strictly after."""
        ...

    def count_sandboxes(self, owner_id: str) -> int:
        """How many live (not archived) sandboxes ``owner_id`` made."""
        ...

    def archive(self, sandbox_id: str, at: datetime) -> bool:
        """Set an owned sandbox's archived_at; False if it was archived already. One
        conditional statement."""
        ...

    def made_by_form(self, owner_id: str, token: str) -> Organization | None:
        """The sandbox the owner's console form with this one-time token made, if any."""
        ...

    def remember_form(self, owner_id: str, token: str, sandbox_id: str, at: datetime) -> None:
        """Record that the form with this token made this sandbox (unique per owner)."""
        ...

    def move_test_clock(self, organization_id: str, expected: datetime, to: datetime) -> bool:
        """Set a sandbox's test clock from ``expected`` to ``to``; False if it is not a sandbox
        or its clock is no longer at ``expected``."""
        ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def find_by_hash(self, secret_hash: str) -> ApiKey | None: ...
    def caller(self, secret_hash: str) -> tuple[ApiKey, Organization] | None:
        """The key with this digest and its organization, in one read."""
        ...

    def get(self, organization_id: str, key_id: str) -> ApiKey | None: ...
    def list(
        self, organization_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiKey]:
        """Keys ordered by (created_at, id), strictly after the given position."""
        ...

    def revoke(self, organization_id: str, key_id: str, at: datetime) -> bool:
        """Set revoked_at if the key still works at ``at``; False if it does not (or is not
        the organization's). One conditional statement, so two revokes cannot both win."""
        ...

    def revoke_all(self, organization_id: str, at: datetime) -> int:
        """Revoke every key of the organization that still works at ``at``; how many."""
        ...

    def expire(self, organization_id: str, key_id: str, at: datetime) -> bool:
        """Set expires_at to ``at`` if the key is neither revoked nor rolled already (only a
        roll sets an expiry); False otherwise. One conditional statement."""
        ...


class KeyUses(Protocol):
    """When each API key was last used. Written in its own short transaction: bookkeeping, no
    part of the request's own effect (nor of its Idempotency-Key's)."""

    def record(self, key_id: str, at: datetime, *, if_before: datetime) -> None:
        """Set last_used_at to ``at`` unless it is already ``if_before`` or later."""
        ...


class OperatorUserRepository(Protocol):
    def add(self, user: OperatorUser) -> None: ...
    def update(self, user: OperatorUser) -> None: ...
    def remove(self, user_id: str) -> None: ...
    def find_by_email(self, email: str) -> OperatorUser | None: ...
    def get(self, user_id: str) -> OperatorUser | None: ...


class BrandingRepository(Protocol):
    def get(self, organization_id: str) -> Branding | None:
        """The organization's branding (its name, and what it has set), in one read without the
        logo's bytes; None if there is no such organization."""
        ...

    def logo(self, organization_id: str, sha256: str) -> Logo | None:
        """The logo's bytes, if it is still the organization's logo with this digest."""
        ...

    def save(self, branding: Branding, logo: Logo | None, *, expected_revision: int) -> bool:
        """Write ``branding`` (whose revision is ``expected_revision`` + 1); ``logo``: new bytes
        to keep, None to keep the bytes there are (or drop them, when branding.logo is None).
        False if the stored revision is no longer ``expected_revision`` (another change won)."""
        ...
