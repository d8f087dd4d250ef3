"""The sandbox payment gateway's state: the cards it keeps (never a number) and the charges
and refunds it made, one row per idempotency key.

Revision ID: 0019_sandbox_gateway
Revises: 0018_payments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_sandbox_gateway"
down_revision = "0018_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_cards",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("behavior", sa.String(length=40), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("declines_left", sa.Integer(), nullable=False),
        sa.Column("customer_ref", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_sandbox_cards")),
    )
    op.create_table(
        "sandbox_charges",
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("charge_reference", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("decline_code", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_sandbox_charges")),
        sa.UniqueConstraint("reference", name=op.f("uq_sandbox_charges_reference")),
    )
    op.create_index("ix_sandbox_charges_charge_reference", "sandbox_charges", ["charge_reference"])


def downgrade() -> None:
    op.drop_index("ix_sandbox_charges_charge_reference", table_name="sandbox_charges")
    op.drop_table("sandbox_charges")
    op.drop_table("sandbox_cards")
