"""Organizations, API keys, console users, accounts, invoice addresses, idempotency keys."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from plansmith.adapters.db.tables.base import Id, UTCDateTime, metadata

organizations = Table(
    "organizations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # Billing runs over every organization leave sandboxes out. A sandbox's time is its test
    # clock (set: sandbox; NULL: live), an instant that moves only when it is advanced.
    Column("sandbox", Boolean, nullable=False, server_default=false()),
    Column("test_clock_at", UTCDateTime(), nullable=True),
    # The live organization that made this sandbox (from the API or the console); NULL else.
    Column("owner_id", Id, nullable=True),
    # Set when the owner deleted the sandbox (its keys revoked with it); the rows stay.
    Column("archived_at", UTCDateTime(), nullable=True),
    Index("ix_organizations_owner", "owner_id", "created_at", "id"),
)

# The console's create-sandbox form carries a one-time token; the sandbox it made is recorded
# under it, so a reload or a second click of the same form finds it instead of making another.
sandbox_forms = Table(
    "sandbox_forms",
    metadata,
    Column("owner_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("token", String(64), primary_key=True),
    Column("sandbox_id", Id, ForeignKey("organizations.id"), nullable=False),
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
    # Set when the key is rolled: refused from this instant on (the overlap's end).
    Column("expires_at", UTCDateTime(), nullable=True),
    # Refreshed at most once a minute per key, by a conditional UPDATE.
    Column("last_used_at", UTCDateTime(), nullable=True),
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
    # The request may run again after its holder died, even once committed (it is made of
    # steps that each do their work once, by their own unique keys): a billing run.
    Column("rerunnable", Boolean, nullable=False, server_default=false()),
    Column("lock_token", String(40), nullable=False),
    Column("locked_at", UTCDateTime(), nullable=False),  # taken or last renewed
    # Until when the holder's lease runs, set by the holder with its own lease each time it
    # takes or renews the claim: every process judges a claim by this, whatever its settings.
    Column("lease_until", UTCDateTime(), nullable=False),
    # The billing run the holder started (a rerunnable request): a retry that takes the claim
    # over marks that run abandoned at once, naming its own.
    Column("billing_run_id", Id, nullable=True),
    Column("response_status", Integer, nullable=True),
    Column("response_headers", Text, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "key"),
    Index("ix_idempotency_keys_created", "created_at"),
)
