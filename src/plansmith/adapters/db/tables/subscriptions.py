"""Subscriptions, the log of held terms, events, pending billable items, notices."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
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
    # ADR 0034: the last stop that closed usage, the usage window after a resume, and the
    # stopped window not billed yet (0026)
    Column("stopped_at", UTCDateTime(), nullable=True),
    Column("usage_from", Date, nullable=True),
    Column("stop_usage_start", Date, nullable=True),
    Column("stop_usage_on", Date, nullable=True),
    Column("stop_usage_closes", UTCDateTime(), nullable=True),
    # a cycle change's cut window: the period it was cut from, the version held before (0027)
    Column("stop_usage_period_start", Date, nullable=True),
    Column("stop_usage_period_end", Date, nullable=True),
    Column("stop_usage_version", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_subscriptions_account", "organization_id", "account_id"),
    # the billing run walks due subscriptions in this order, a page at a time (0013)
    Index("ix_subscriptions_due_walk", "organization_id", "due_at", "id"),
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
    Column("plan_id", Id, nullable=True),  # on the plan's own items
    Column("created_at", UTCDateTime(), nullable=False),
    Column("cycle", String(32), nullable=True),  # of the terms it bills; null before 0010
    # usage items (0021): what the meter measured, and "<subscription>:<meter>:<period start>",
    # unique, so a period's usage of a meter is billed once whatever retries
    Column("usage", JSONText(), nullable=True),
    Column("usage_key", String(200), nullable=True),
    Index("ix_subscription_items_subscription", "subscription_id", "invoice_id"),
    UniqueConstraint("usage_key", name="uq_subscription_items_usage_key"),
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
