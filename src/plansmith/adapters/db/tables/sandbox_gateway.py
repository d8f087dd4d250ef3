"""The sandbox payment gateway's own state: the cards it keeps and the charges and refunds it
made. Written only by adapters/payments/sandbox_gateway.py and sandbox_charges.py, in their
own short transactions, as an external gateway keeps its state apart from its callers'; never
a card number."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from plansmith.adapters.db.tables.base import UTCDateTime, metadata

sandbox_cards = Table(
    "sandbox_cards",
    metadata,
    Column("token", Text, primary_key=True),
    # What the card does when charged: succeed, a decline, a timeout, declines then success.
    Column("behavior", String(40), nullable=False),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("declines_left", Integer, nullable=False),
    Column("customer_ref", Text, nullable=True),  # None until the card is saved
    Column("created_at", UTCDateTime(), nullable=False),
    Column("forgotten_at", UTCDateTime(), nullable=True),
)

# One row per idempotency key: the key is what makes a second call with it capture nothing.
sandbox_charges = Table(
    "sandbox_charges",
    metadata,
    Column("idempotency_key", Text, primary_key=True),
    Column("kind", String(10), nullable=False),  # charge, refund
    Column("token", Text, nullable=True),  # a charge's card
    Column("charge_reference", Text, nullable=True),  # a refund's charge
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("outcome", String(10), nullable=False),  # succeeded, failed
    Column("reference", Text, nullable=False, unique=True),  # ch_sbx_…, re_sbx_…
    Column("decline_code", String(40), nullable=True),
    Column("message", Text, nullable=True),
    # False until the caller was told the real outcome once (a timeout answered "unknown").
    Column("answered", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_sandbox_charges_charge_reference", "charge_reference"),  # a charge's refunds
)
