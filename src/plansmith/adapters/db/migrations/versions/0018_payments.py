"""Payments: payment methods (gateway tokens only), payments (charges, top-ups and refunds, each
with its idempotency key), invoice collections (the dunning state), each account's collection
method and each organization's dunning policy.

Revision ID: 0018_payments
Revises: 0017_sandbox_archive
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_payments"
down_revision = "0017_sandbox_archive"
branch_labels = None
depends_on = None

IN_FLIGHT = "status IN ('pending', 'unknown')"
ONE_PAYMENT_IN_FLIGHT = f"kind = 'payment' AND invoice_id IS NOT NULL AND {IN_FLIGHT}"
DEFAULT_CARD = "is_default AND removed_at IS NULL"


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=255), nullable=False),
        sa.Column("customer_ref", sa.String(length=255), nullable=True),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _stamp("created_at"),
        _stamp("removed_at", nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_methods_account_id", "payment_methods", ["account_id"])
    op.create_index(
        "ux_payment_methods_default",
        "payment_methods",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text(DEFAULT_CARD),
        postgresql_where=sa.text(DEFAULT_CARD),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("payment_method_id", sa.String(length=40), nullable=True),
        sa.Column("gateway", sa.String(length=20), nullable=True),
        sa.Column("gateway_reference", sa.String(length=255), nullable=True),
        sa.Column("decline_code", sa.String(length=60), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("to_balance", sa.BigInteger(), nullable=False),
        sa.Column("refund_of", sa.String(length=40), nullable=True),
        sa.Column("credit_note_id", sa.String(length=40), nullable=True),
        _stamp("created_at"),
        _stamp("settled_at", nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["payment_method_id"], ["payment_methods.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_payments_idempotency_key"),
    )
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])
    op.create_index("ix_payments_account_created", "payments", ["account_id", "created_at", "id"])
    op.create_index("ix_payments_org_created", "payments", ["organization_id", "created_at", "id"])
    op.create_index("ix_payments_gateway_reference", "payments", ["gateway", "gateway_reference"])
    op.create_index(
        "ux_payments_one_in_flight",
        "payments",
        ["invoice_id"],
        unique=True,
        sqlite_where=sa.text(ONE_PAYMENT_IN_FLIGHT),
        postgresql_where=sa.text(ONE_PAYMENT_IN_FLIGHT),
    )
    op.create_index(
        "ix_payments_in_flight",
        "payments",
        ["created_at"],
        sqlite_where=sa.text(IN_FLIGHT),
        postgresql_where=sa.text(IN_FLIGHT),
    )
    op.create_table(
        "invoice_collections",
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        _stamp("next_attempt_at", nullable=True),
        _stamp("first_failure_at", nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("stages_done", sa.Integer(), nullable=False),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_index("ix_invoice_collections_account_id", "invoice_collections", ["account_id"])
    op.create_index(
        "ix_invoice_collections_due", "invoice_collections", ["state", "next_attempt_at"]
    )
    op.create_table(
        "account_collection",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("net_days", sa.Integer(), nullable=False),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "dunning_policies",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )
    # The collection run looks for open invoices owing money that no collection has yet.
    op.create_index(
        "ix_invoices_open_owing",
        "invoices",
        ["organization_id", "id"],
        sqlite_where=sa.text("status = 'open' AND amount_due > 0"),
        postgresql_where=sa.text("status = 'open' AND amount_due > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_open_owing", table_name="invoices")
    op.drop_table("dunning_policies")
    op.drop_table("account_collection")
    op.drop_table("invoice_collections")
    op.drop_table("payments")
    op.drop_table("payment_methods")
