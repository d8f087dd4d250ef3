"""The outbox: typed events written in the transaction of the change they record, the
deliveries of each to each subscriber (once per pair), and the relay's lease.

Revision ID: 0009_outbox
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_outbox"
down_revision = "0008"
branch_labels = None
depends_on = None

UNDELIVERED = "delivered_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=True),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("aggregate_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outbox_events_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_events_id")),
    )
    op.create_index("ix_outbox_events_listing", "outbox_events", ["organization_id", "seq"])
    op.create_index("ix_outbox_events_type", "outbox_events", ["organization_id", "type", "seq"])
    op.create_index(
        "ix_outbox_events_object", "outbox_events", ["organization_id", "object_id", "seq"]
    )
    op.create_index(
        "ix_outbox_events_undelivered",
        "outbox_events",
        ["seq"],
        sqlite_where=sa.text(UNDELIVERED),
        postgresql_where=sa.text(UNDELIVERED),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("subscriber", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_outbox_deliveries_event_id_outbox_events"),
        ),
        sa.PrimaryKeyConstraint("subscriber", "event_id", name=op.f("pk_outbox_deliveries")),
    )
    op.create_index("ix_outbox_deliveries_event_id", "outbox_deliveries", ["event_id"])
    op.create_table(
        "outbox_relays",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_relays")),
    )


def downgrade() -> None:
    op.drop_table("outbox_relays")
    op.drop_index("ix_outbox_deliveries_event_id", table_name="outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_index("ix_outbox_events_undelivered", table_name="outbox_events")
    op.drop_index("ix_outbox_events_object", table_name="outbox_events")
    op.drop_index("ix_outbox_events_type", table_name="outbox_events")
    op.drop_index("ix_outbox_events_listing", table_name="outbox_events")
    op.drop_table("outbox_events")
