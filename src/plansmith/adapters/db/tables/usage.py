"""Usage metering: meters, the events counted (append-only), their daily aggregates, the
distinct values of unique-count meters and each organization's grace window.

On PostgreSQL the events are HASH-partitioned on the account (see migration 0020): the key
(account_id, event_id) holds the partition key, so the unique check that makes an event count
once stays inside one partition. Amounts are integer millionths (micros), never floats."""

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

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata

EVENT_PARTITIONS = 8

usage_meters = Table(
    "usage_meters",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("event_code", String(63), nullable=False),
    Column("aggregation", String(20), nullable=False),
    Column("property", String(100), nullable=True),
    Column("filters", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
    Index("ix_usage_meters_event_code", "organization_id", "event_code"),
)

usage_events = Table(
    "usage_events",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("event_id", String(200), nullable=False),  # the operator's id
    Column("organization_id", Id, nullable=False),
    Column("code", String(63), nullable=False),
    Column("timestamp", UTCDateTime(), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("properties", JSONText(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "event_id", name="pk_usage_events"),
    postgresql_partition_by="HASH (account_id)",
)

usage_daily = Table(
    "usage_daily",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("meter_id", Id, ForeignKey("usage_meters.id"), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("organization_id", Id, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),  # micros: sum meters
    Column("peak", BigInteger, nullable=True),  # micros: max meters
    PrimaryKeyConstraint("account_id", "meter_id", "local_date", name="pk_usage_daily"),
)

usage_unique = Table(
    "usage_unique",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("meter_id", Id, ForeignKey("usage_meters.id"), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("value", String(200), nullable=False),
    PrimaryKeyConstraint("account_id", "meter_id", "local_date", "value", name="pk_usage_unique"),
)

usage_settings = Table(
    "usage_settings",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("event_grace_seconds", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
