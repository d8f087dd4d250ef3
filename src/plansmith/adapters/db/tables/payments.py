"""Payment methods, payments (charges, top-ups, refunds), collections (an invoice's dunning
state), each account's collection method and each organization's dunning policy."""

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
    text,
)

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata

IN_FLIGHT = "status IN ('pending', 'unknown')"
ONE_PAYMENT_IN_FLIGHT = f"kind = 'payment' AND invoice_id IS NOT NULL AND {IN_FLIGHT}"
DEFAULT_CARD = "is_default AND removed_at IS NULL"

payment_methods = Table(
    "payment_methods",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("gateway", String(20), nullable=False),
    Column("token", String(255), nullable=False),
    Column("customer_ref", String(255), nullable=True),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("removed_at", UTCDateTime(), nullable=True),
    # One default card per account, among the cards not removed.
    Index(
        "ux_payment_methods_default",
        "account_id",
        unique=True,
        sqlite_where=text(DEFAULT_CARD),
        postgresql_where=text(DEFAULT_CARD),
    ),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("status", String(12), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("invoice_id", Id, ForeignKey("invoices.id"), nullable=True, index=True),
    Column("payment_method_id", Id, ForeignKey("payment_methods.id"), nullable=True),
    Column("gateway", String(20), nullable=True),
    Column("gateway_reference", String(255), nullable=True),
    Column("decline_code", String(60), nullable=True),
    Column("message", Text, nullable=True),
    Column("to_balance", BigInteger, nullable=False),
    Column("refund_of", Id, nullable=True),
    Column("credit_note_id", Id, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("settled_at", UTCDateTime(), nullable=True),
    Index("ix_payments_account_created", "account_id", "created_at", "id"),
    Index("ix_payments_org_created", "organization_id", "created_at", "id"),
    Index("ix_payments_gateway_reference", "gateway", "gateway_reference"),
    # At most one attempt at an invoice in flight: 20 "pay now" at once make one charge.
    Index(
        "ux_payments_one_in_flight",
        "invoice_id",
        unique=True,
        sqlite_where=text(ONE_PAYMENT_IN_FLIGHT),
        postgresql_where=text(ONE_PAYMENT_IN_FLIGHT),
    ),
    Index(
        "ix_payments_in_flight",
        "created_at",
        sqlite_where=text(IN_FLIGHT),
        postgresql_where=text(IN_FLIGHT),
    ),
)

invoice_collections = Table(
    "invoice_collections",
    metadata,
    Column("invoice_id", Id, ForeignKey("invoices.id"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("state", String(12), nullable=False),  # scheduled, paid, exhausted, stopped
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("first_failure_at", UTCDateTime(), nullable=True),
    Column("failures", Integer, nullable=False),
    Column("stages_done", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_invoice_collections_due", "state", "next_attempt_at"),
)

account_collection = Table(
    "account_collection",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("method", String(30), nullable=False),  # charge_automatically, send_invoice
    Column("net_days", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

dunning_policies = Table(
    "dunning_policies",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("policy", JSONText(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
