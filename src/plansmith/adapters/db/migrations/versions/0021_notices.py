"""E-mail notices: the claim and record of each message sent, and each organization's notice
settings (the copy address).

Revision ID: 0021_notices
Revises: 0020_usage_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_notices"
down_revision = "0020_usage_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_notices",
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sent_notices_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sent_notices_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "kind", "account_id", "recipient", name=op.f("pk_sent_notices")
        ),
    )
    op.create_index(
        "ix_sent_notices_account", "sent_notices", ["organization_id", "account_id", "claimed_at"]
    )
    op.create_table(
        "notice_settings",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("copy_address", sa.String(length=320), nullable=False),
        sa.Column("copy_mode", sa.String(length=3), nullable=False),
        sa.Column("trial_days_before", sa.Integer(), nullable=False),
        sa.Column("renewal_days_before", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notice_settings_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_notice_settings")),
    )


def downgrade() -> None:
    op.drop_table("notice_settings")
    op.drop_index("ix_sent_notices_account", table_name="sent_notices")
    op.drop_table("sent_notices")
