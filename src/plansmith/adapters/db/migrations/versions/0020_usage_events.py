"""Usage metering: meters, usage events (HASH-partitioned on the account on PostgreSQL),
their daily aggregates, unique-count values and each organization's grace window.

Revision ID: 0020_usage_events
Revises: 0019_sandbox_gateway
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_usage_events"
down_revision = "0019_sandbox_gateway"
branch_labels = None
depends_on = None

PARTITIONS = 8  # tables/usage.py EVENT_PARTITIONS, frozen here as of this revision


def upgrade() -> None:
    op.create_table(
        "usage_meters",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_code", sa.String(length=63), nullable=False),
        sa.Column("aggregation", sa.String(length=20), nullable=False),
        sa.Column("property", sa.String(length=100), nullable=True),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_usage_meters_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_meters")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_usage_meters_organization_id_code")
        ),
    )
    op.create_index("ix_usage_meters_event_code", "usage_meters", ["organization_id", "event_code"])
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "usage_events",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_events_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "event_id", name="pk_usage_events"),
        postgresql_partition_by="HASH (account_id)",
    )
    if postgres:
        for n in range(PARTITIONS):
            op.execute(
                f"CREATE TABLE usage_events_p{n} PARTITION OF usage_events "
                f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})"
            )
    op.create_table(
        "usage_daily",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("meter_id", sa.String(length=40), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("peak", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_daily_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["usage_meters.id"], name=op.f("fk_usage_daily_meter_id_usage_meters")
        ),
        sa.PrimaryKeyConstraint("account_id", "meter_id", "local_date", name="pk_usage_daily"),
    )
    op.create_table(
        "usage_unique",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("meter_id", sa.String(length=40), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_unique_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["usage_meters.id"], name=op.f("fk_usage_unique_meter_id_usage_meters")
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "meter_id", "local_date", "value", name="pk_usage_unique"
        ),
    )
    op.create_table(
        "usage_settings",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("event_grace_seconds", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_usage_settings_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_usage_settings")),
    )


def downgrade() -> None:
    op.drop_table("usage_settings")
    op.drop_table("usage_unique")
    op.drop_table("usage_daily")
    op.drop_table("usage_events")  # its partitions with it
    op.drop_index("ix_usage_meters_event_code", table_name="usage_meters")
    op.drop_table("usage_meters")
