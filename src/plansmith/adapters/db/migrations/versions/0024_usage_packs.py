"""Usage packs: extra packs bought for a subscription (paid at once, counted once paid) and
the standing rows ingest holds while it checks a hard limit.

Revision ID: 0024_usage_packs
Revises: 0023_usage_lines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_usage_packs"
down_revision = "0023_usage_lines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_packs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=False),
        sa.Column("pack_code", sa.String(length=63), nullable=False),
        sa.Column("pack_name", sa.String(length=200), nullable=False),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "request_key", name="uq_usage_packs_request"),
    )
    op.create_index(
        "ix_usage_packs_account_period", "usage_packs", ["account_id", "period_start", "meter"]
    )
    op.create_table(
        "usage_standings",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("account_id", "meter", "period_start", name="pk_usage_standings"),
    )


def downgrade() -> None:
    op.drop_table("usage_standings")
    op.drop_index("ix_usage_packs_account_period", table_name="usage_packs")
    op.drop_table("usage_packs")
