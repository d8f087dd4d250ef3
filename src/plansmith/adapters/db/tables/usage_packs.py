"""Extra packs bought for a subscription, and the standing rows a hard limit is held by.

A pack purchase is written ``pending`` before its payment and counts (its units added to the
period's allowance) only once ``paid``; ``request_key`` is unique per organization, so two
concurrent buys for one request make one purchase. A standing row per (account, meter, period
start) is the row ingest locks FOR UPDATE while it checks a hard limit, so two batches racing
for the last units take turns."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from plansmith.adapters.db.tables.base import Id, UTCDateTime, metadata

usage_packs = Table(
    "usage_packs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("request_key", String(200), nullable=False),
    Column("pack_code", String(63), nullable=False),
    Column("pack_name", String(200), nullable=False),
    Column("meter", String(63), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # pending, paid, failed
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("payment_id", Id, nullable=True),
    Column("invoice_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("paid_at", UTCDateTime(), nullable=True),
    UniqueConstraint("organization_id", "request_key", name="uq_usage_packs_request"),
    Index("ix_usage_packs_account_period", "account_id", "period_start", "meter"),
    Index("ix_usage_packs_sold", "organization_id", "created_at", "id"),  # console: packs sold
)

usage_standings = Table(
    "usage_standings",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("meter", String(63), nullable=False),
    Column("period_start", Date, nullable=False),
    PrimaryKeyConstraint("account_id", "meter", "period_start", name="pk_usage_standings"),
)

# One row per threshold reached (ADR 0032): the primary key makes its notice once.
allowance_thresholds = Table(
    "allowance_thresholds",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("meter", String(63), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("allowance", BigInteger, nullable=False),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("subscription_id", Id, nullable=False),
    Column("used", BigInteger, nullable=False),
    Column("reached_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint(
        "account_id",
        "meter",
        "period_start",
        "threshold",
        "allowance",
        name="pk_allowance_thresholds",
    ),
)
