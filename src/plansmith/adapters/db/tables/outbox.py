"""The outbox: events written with the change they record, their deliveries, the relay lease."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata

UNDELIVERED = "delivered_at IS NULL"

outbox_events = Table(
    "outbox_events",
    metadata,
    # The order events were written in: newest first for listing, oldest first for relaying.
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", Id, nullable=False, unique=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=True),
    Column("type", String(60), nullable=False),
    Column("version", Integer, nullable=False),
    Column("object_type", String(30), nullable=False),
    Column("object_id", Id, nullable=False),
    Column("aggregate_id", Id, nullable=False),  # delivered in order per aggregate
    Column("created_at", UTCDateTime(), nullable=False),
    Column("data", JSONText(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_events_listing", "organization_id", "seq"),
    Index("ix_outbox_events_type", "organization_id", "type", "seq"),
    Index("ix_outbox_events_object", "organization_id", "object_id", "seq"),
    # The relay's queue: small however long the history grows.
    Index(
        "ix_outbox_events_undelivered",
        "seq",
        sqlite_where=text(UNDELIVERED),
        postgresql_where=text(UNDELIVERED),
    ),
)

# One row per (subscriber, event): the key is what keeps a subscriber's record free of doubles.
outbox_deliveries = Table(
    "outbox_deliveries",
    metadata,
    Column("subscriber", String(80), primary_key=True),
    Column("event_id", Id, ForeignKey("outbox_events.id"), primary_key=True),
    Column("delivered_at", UTCDateTime(), nullable=False),
    Index("ix_outbox_deliveries_event_id", "event_id"),
)

# Who relays: one holder at a time, until its lease (wall clock) runs out.
outbox_relays = Table(
    "outbox_relays",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(80), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=False),
)
