"""Browser sessions, portal links and sign-in throttles: what lets people into the pages."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from plansmith.adapters.db.tables.base import Id, UTCDateTime, metadata

# The browser holds a random secret; only its SHA-256 digest is here. A session ends when
# ended_at is set (sign-out, a password change) or at expires_at; rows are purged after that.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("user_id", Id, ForeignKey("operator_users.id"), nullable=True, index=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("ended_at", UTCDateTime(), nullable=True),
)

# One row per portal link made; its first visit sets used_at with a conditional update, so of
# two visits at once exactly one gets a session.
portal_links = Table(
    "portal_links",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    Column("used_at", UTCDateTime(), nullable=True),
)

# Console sign-in failures per key: a SHA-256 digest of "user:<email>" or "address:<client>".
sign_in_throttles = Table(
    "sign_in_throttles",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UTCDateTime(), nullable=True),
    Column("blocked_until", UTCDateTime(), nullable=True),
)
