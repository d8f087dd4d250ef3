"""Allowance thresholds: one row per (account, meter, period start, threshold, allowance)
reached, so each 80 % and 100 % notice is published once; the console's packs sold, newest
first, by an index.

Revision ID: 0025_allowance_thresholds
Revises: 0024_usage_packs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_allowance_thresholds"
down_revision = "0024_usage_packs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allowance_thresholds",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("meter", sa.String(length=63), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("allowance", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint(
            "account_id",
            "meter",
            "period_start",
            "threshold",
            "allowance",
            name="pk_allowance_thresholds",
        ),
    )

    op.create_index("ix_usage_packs_sold", "usage_packs", ["organization_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_usage_packs_sold", table_name="usage_packs")
    op.drop_table("allowance_thresholds")
