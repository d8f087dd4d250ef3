"""SQL repositories of organizations, their API keys and operator users: rows in, frozen
domain objects out. They never commit; the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.organizations.branding import BRANDING_COLUMNS, remember_branding
from plansmith.adapters.db.paging import page_after
from plansmith.adapters.db.rows import Repository, build
from plansmith.domain.organizations.organization import ApiKey, OperatorUser, Organization

_B = t.organization_branding.c


class SqlOrganizations(Repository):
    def add(self, organization: Organization) -> None:
        self._insert(t.organizations, organization)

    def get(self, organization_id: str) -> Organization | None:
        # With its branding, kept for the transaction: a page that reads the organization
        # (its clock) shows the branding too (its header), and so reads it in one statement.
        q = (
            select(t.organizations, *BRANDING_COLUMNS)
            .outerjoin(t.organization_branding, _B.organization_id == t.organizations.c.id)
            .where(t.organizations.c.id == organization_id)
        )
        row = self.session.execute(q).first()
        if row is None:
            return None
        values = row._mapping
        remember_branding(self.session, organization_id, values["name"], values)
        return Organization(**{c.name: values[c.name] for c in t.organizations.c})

    def find_by_name(self, name: str) -> Organization | None:
        q = select(t.organizations).where(t.organizations.c.name == name)
        return build(Organization, self.session.execute(q).first())

    def all(self) -> Sequence[Organization]:
        c = t.organizations.c
        q = select(t.organizations).order_by(c.created_at, c.id)
        return [Organization(**row._mapping) for row in self.session.execute(q)]

    def hold(self, organization_id: str) -> Organization | None:
        # FOR NO KEY UPDATE on PostgreSQL: other holds wait, inserts pointing at the row do
        # not; SQLite's BEGIN IMMEDIATE already runs one writer at a time.
        q = select(t.organizations).where(t.organizations.c.id == organization_id)
        return build(Organization, self.session.execute(q.with_for_update(key_share=True)).first())

    def sandboxes(
        self, owner_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Organization]:
        c = t.organizations.c
        q = select(t.organizations).where(c.owner_id == owner_id, c.archived_at.is_(None))
        q = page_after(q, t.organizations, after, limit)
        return [Organization(**row._mapping) for row in self.session.execute(q)]

    def count_sandboxes(self, owner_id: str) -> int:
        c = t.organizations.c
        q = select(func.count()).where(c.owner_id == owner_id, c.archived_at.is_(None))
        return int(self.session.execute(q).scalar_one())

    def archive(self, sandbox_id: str, at: datetime) -> bool:
        c = t.organizations.c
        result = self.session.execute(
            update(t.organizations)
            .where(c.id == sandbox_id, c.owner_id.is_not(None), c.archived_at.is_(None))
            .values(archived_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def made_by_form(self, owner_id: str, token: str) -> Organization | None:
        f = t.sandbox_forms.c
        q = (
            select(t.organizations)
            .join(t.sandbox_forms, f.sandbox_id == t.organizations.c.id)
            .where(f.owner_id == owner_id, f.token == token)
        )
        return build(Organization, self.session.execute(q).first())

    def remember_form(self, owner_id: str, token: str, sandbox_id: str, at: datetime) -> None:
        self.session.execute(
            insert(t.sandbox_forms).values(
                owner_id=owner_id, token=token, sandbox_id=sandbox_id, created_at=at
            )
        )

    def move_test_clock(self, organization_id: str, expected: datetime, to: datetime) -> bool:
        # Only a sandbox's clock, and only from where the caller read it: of two advances at
        # once, the one that saves second finds the clock moved and stops.
        c = t.organizations.c
        result = self.session.execute(
            update(t.organizations)
            .where(c.id == organization_id, c.sandbox.is_(True), c.test_clock_at == expected)
            .values(test_clock_at=to)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# Every API request runs this: built once, so SQLAlchemy neither builds nor keys it again.
_CALLER = (
    select(t.api_keys, *(c.label(f"org_{c.name}") for c in t.organizations.c))
    .join(t.organizations, t.organizations.c.id == t.api_keys.c.organization_id)
    .where(t.api_keys.c.secret_hash == bindparam("secret_hash"))
)


class SqlApiKeys(Repository):
    def add(self, key: ApiKey) -> None:
        self._insert(t.api_keys, key)

    def find_by_hash(self, secret_hash: str) -> ApiKey | None:
        q = select(t.api_keys).where(t.api_keys.c.secret_hash == secret_hash)
        return build(ApiKey, self.session.execute(q).first())

    def caller(self, secret_hash: str) -> tuple[ApiKey, Organization] | None:
        row = self.session.execute(_CALLER, {"secret_hash": secret_hash}).first()
        if row is None:
            return None
        values = row._mapping
        key = ApiKey(**{c.name: values[c] for c in t.api_keys.c})
        organization = Organization(**{c.name: values[f"org_{c.name}"] for c in t.organizations.c})
        return key, organization

    def get(self, organization_id: str, key_id: str) -> ApiKey | None:
        c = t.api_keys.c
        q = select(t.api_keys).where(c.id == key_id, c.organization_id == organization_id)
        return build(ApiKey, self.session.execute(q).first())

    def list(
        self, organization_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[ApiKey]:
        q = select(t.api_keys).where(t.api_keys.c.organization_id == organization_id)
        q = page_after(q, t.api_keys, after, limit)
        return [ApiKey(**row._mapping) for row in self.session.execute(q)]

    def revoke(self, organization_id: str, key_id: str, at: datetime) -> bool:
        c = t.api_keys.c
        result = self.session.execute(
            update(t.api_keys)
            .where(
                c.id == key_id,
                c.organization_id == organization_id,
                c.revoked_at.is_(None),
                or_(c.expires_at.is_(None), c.expires_at > at),
            )
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def revoke_all(self, organization_id: str, at: datetime) -> int:
        c = t.api_keys.c
        result = self.session.execute(
            update(t.api_keys)
            .where(
                c.organization_id == organization_id,
                c.revoked_at.is_(None),
                or_(c.expires_at.is_(None), c.expires_at > at),
            )
            .values(revoked_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def expire(self, organization_id: str, key_id: str, at: datetime) -> bool:
        c = t.api_keys.c
        result = self.session.execute(
            update(t.api_keys)
            .where(
                c.id == key_id,
                c.organization_id == organization_id,
                c.revoked_at.is_(None),
                c.expires_at.is_(None),
            )
            .values(expires_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlOperatorUsers(Repository):
    def add(self, user: OperatorUser) -> None:
        self._insert(t.operator_users, user)

    def update(self, user: OperatorUser) -> None:
        self._update(t.operator_users, user)

    def remove(self, user_id: str) -> None:
        self.session.execute(delete(t.operator_users).where(t.operator_users.c.id == user_id))

    def find_by_email(self, email: str) -> OperatorUser | None:
        q = select(t.operator_users).where(t.operator_users.c.email == email)
        return build(OperatorUser, self.session.execute(q).first())

    def get(self, user_id: str) -> OperatorUser | None:
        q = select(t.operator_users).where(t.operator_users.c.id == user_id)
        return build(OperatorUser, self.session.execute(q).first())
