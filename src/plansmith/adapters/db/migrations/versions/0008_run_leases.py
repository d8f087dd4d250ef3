"""Recoverable work: billing runs record their status and progress (and their worker jobs);
an Idempotency-Key remembers whether its request may run again after its holder died.
Both store until when their holder's lease runs (set by the holder, with its own lease), and
a key remembers the billing run its request started.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rerunnable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("billing_run_id", sa.String(length=40), nullable=True))
    # A claim of before holds its lease until when it was taken: its holder, if alive, renews
    # it within a moment (a server of before has no leases: its requests are long gone).
    op.execute("UPDATE idempotency_keys SET lease_until = locked_at")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "lease_until", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="running", nullable=False)
        )
        batch_op.add_column(sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("abandoned_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("jobs", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("jobs_done", sa.Integer(), server_default="0", nullable=False)
        )
    # A run that never finished is 'running' with no progress since it started and a lease
    # that ran out then (its process, of before this revision, is gone): the next run of its
    # scope marks it abandoned.
    op.execute(
        "UPDATE billing_runs SET progress_at = COALESCE(finished_at, started_at),"
        " lease_until = COALESCE(finished_at, started_at),"
        " status = CASE WHEN finished_at IS NULL THEN 'running' ELSE 'finished' END"
    )
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.alter_column(
            "progress_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column(
            "lease_until", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index("ix_billing_runs_status", ["status"], unique=False)
    op.create_table(
        "billing_run_jobs",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("job", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["billing_runs.id"], name=op.f("fk_billing_run_jobs_run_id_billing_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "job", name=op.f("pk_billing_run_jobs")),
    )


def downgrade() -> None:
    op.drop_table("billing_run_jobs")
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_billing_runs_status")
        batch_op.drop_column("jobs_done")
        batch_op.drop_column("jobs")
        batch_op.drop_column("abandoned_by")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("progress_at")
        batch_op.drop_column("status")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("billing_run_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("rerunnable")
