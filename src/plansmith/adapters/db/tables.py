"""The database schema as SQLAlchemy Core tables. Alembic migrations are written to match it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=naming)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite keeps no zone, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC instant")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    """JSON kept as canonical text (sorted keys), so equal values are equal strings.

    Plain text rather than a JSON column: PostgreSQL's json type has no equality, and the
    trigger that keeps published plan versions immutable compares old and new terms.
    """

    impl = Text()
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


Id = String(40)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(20), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # secret keys (sk_) use the whole API; publishable keys (pk_) only read public prices
    Column("kind", String(16), nullable=False, server_default="secret"),
)

operator_users = Table(
    "operator_users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("locale", String(35), nullable=False),
    Column("tax_id", String(100), nullable=True),
    Column("external_id", String(100), nullable=True),
    Column("default_invoice_address_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "external_id"),
    Index("ix_accounts_org_created", "organization_id", "created_at", "id"),
)

invoice_addresses = Table(
    "invoice_addresses",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("line1", String(200), nullable=False),
    Column("line2", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("region", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    # in_flight -> committed (the use case's transaction committed) -> done (response stored)
    Column("state", String(16), nullable=False),
    Column("lock_token", String(40), nullable=False),
    Column("locked_at", UTCDateTime(), nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_headers", Text, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "key"),
    Index("ix_idempotency_keys_created", "created_at"),
)

plan_families = Table(
    "plan_families",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("policy", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

plans = Table(
    "plans",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("family_id", Id, ForeignKey("plan_families.id"), nullable=False, index=True),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("plans.id"), nullable=False),
    Column("number", Integer, nullable=False),
    # draft -> current -> legacy; a trigger refuses any change to terms once not a draft
    Column("status", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("terms", JSONText(), nullable=False),
    Column("channels", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=True),
    UniqueConstraint("plan_id", "number"),
    # at most one current and one draft version per plan, whatever runs at the same time
    Index(
        "uq_plan_versions_one_current",
        "plan_id",
        unique=True,
        sqlite_where=text("status = 'current'"),
        postgresql_where=text("status = 'current'"),
    ),
    Index(
        "uq_plan_versions_one_draft",
        "plan_id",
        unique=True,
        sqlite_where=text("status = 'draft'"),
        postgresql_where=text("status = 'draft'"),
    ),
)

plan_version_moves = Table(
    "plan_version_moves",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("plans.id"), nullable=False, index=True),
    Column("from_version_ids", JSONText(), nullable=False),
    Column("to_version_id", Id, ForeignKey("plan_versions.id"), nullable=False),
    Column("apply", String(16), nullable=False),
    Column("notice", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

add_ons = Table(
    "add_ons",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prices", JSONText(), nullable=False),
    Column("quantity_allowed", Boolean, nullable=False),
    Column("fits_families", JSONText(), nullable=False),
    Column("fits_plans", JSONText(), nullable=False),
    Column("features", JSONText(), nullable=False),
    Column("allowances", JSONText(), nullable=False),
    Column("description", Text, nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

extra_packs = Table(
    "extra_packs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prices", JSONText(), nullable=False),
    Column("allowance", String(63), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)


# -- subscriptions -------------------------------------------------------------------------

HOLDING_STATUSES = "status IN ('trialing', 'active', 'past_due', 'paused')"

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("family_id", Id, ForeignKey("plan_families.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("plans.id"), nullable=False),
    Column("version_id", Id, ForeignKey("plan_versions.id"), nullable=False, index=True),
    Column("cycle", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("add_ons", JSONText(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("anchor", Date, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("trial_end", Date, nullable=True),
    Column("cancel_at_period_end", Boolean, nullable=False),
    Column("scheduled", JSONText(), nullable=True),
    Column("pay_per_day", Boolean, nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
    Column("ended_on", Date, nullable=True),
    # every save is "UPDATE ... WHERE revision = <the one read>": two writers never both win
    Column("revision", Integer, nullable=False),
    # when the renewal step next has work for it (the UTC instant of the local period end)
    Column("due_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_subscriptions_account", "organization_id", "account_id"),
    Index("ix_subscriptions_due", "organization_id", "due_at"),
    # an account holds at most one plan per family, whatever runs at the same time
    Index(
        "uq_subscriptions_one_per_family",
        "account_id",
        "family_id",
        unique=True,
        sqlite_where=text(HOLDING_STATUSES),
        postgresql_where=text(HOLDING_STATUSES),
    ),
)

subscription_spans = Table(
    "subscription_spans",
    metadata,
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("family_id", Id, ForeignKey("plan_families.id"), nullable=False),
    Column("start_on", Date, nullable=False),
    Column("end_on", Date, nullable=True),
    Column("terms", JSONText(), nullable=False),
    Column("plan_name", String(200), nullable=False),
    Column("trial", Boolean, nullable=False),
    Column("pay_per_day", Boolean, nullable=False),
    Column("ended_by", String(16), nullable=True),
    Index("ix_subscription_spans_account", "organization_id", "account_id"),
)

subscription_events = Table(
    "subscription_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("actor", String(40), nullable=False),
    Column("details", JSONText(), nullable=False),
    UniqueConstraint("subscription_id", "seq"),
)

subscription_items = Table(
    "subscription_items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("event_id", Id, ForeignKey("subscription_events.id"), nullable=False),
    Column("position", Integer, nullable=False),  # order of the items an event made
    Column("kind", String(16), nullable=False),
    Column("component", String(80), nullable=False),
    Column("description", String(300), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("days", Integer, nullable=True),
    Column("period_days", Integer, nullable=True),
    Column("invoice_id", Id, nullable=True),  # set when an invoice takes the item
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_subscription_items_subscription", "subscription_id", "invoice_id"),
)

subscription_notices = Table(
    "subscription_notices",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("move_id", Id, ForeignKey("plan_version_moves.id"), nullable=False),
    Column("effective_on", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("move_id", "subscription_id"),
)
