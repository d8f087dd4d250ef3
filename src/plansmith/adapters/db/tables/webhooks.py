"""Webhook endpoints, their deliveries (one per endpoint and event: the key keeps a relay that
hands an event twice from making two) and every attempt at one."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata

PENDING = "state = 'pending'"

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("event_types", JSONText(), nullable=True),  # null: every type
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text, nullable=True),
    # Kept as they are: signing needs the secret itself (a hash would not do).
    Column("secret", String(120), nullable=False),
    Column("previous_secret", String(120), nullable=True),
    Column("previous_secret_until", UTCDateTime(), nullable=True),
    Column("failing_since", UTCDateTime(), nullable=True),
    Column("failed_events", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_webhook_endpoints_org", "organization_id", "created_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("event_id", Id, nullable=False),
    Column("organization_id", Id, nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("event_seq", BigInteger, nullable=False),
    Column("body", Text, nullable=False),  # made once: every retry sends the same bytes
    Column("state", String(12), nullable=False),  # pending, succeeded, failed
    Column("attempts", Integer, nullable=False),
    # Attempts since it was (re)scheduled: what the retry schedule counts (a replay restarts it).
    Column("round_attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("leased_by", String(60), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "event_seq"),
    # The workers' queue: only what is still to be sent.
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        sqlite_where=text(PENDING),
        postgresql_where=text(PENDING),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("delivery_id", Id, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("status", Integer, nullable=True),  # the answer's code; null: no answer
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("response_head", Text, nullable=False),  # at most the first 4 KiB, as text
    Index("ix_webhook_attempts_delivery", "delivery_id", "at"),
)
