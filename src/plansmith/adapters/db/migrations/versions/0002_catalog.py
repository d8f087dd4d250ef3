"""Catalog: plan families, plans, immutable plan versions, moves, add-ons, extra packs;
publishable API keys.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# A published plan version never changes: the use cases never try, and the database refuses
# if anything else does. Status and channels may change (legacy, hidden), terms may not.
SQLITE_GUARDS = [
    """
    CREATE TRIGGER plan_versions_published_terms_fixed
    BEFORE UPDATE ON plan_versions FOR EACH ROW
    WHEN OLD.status <> 'draft' AND (
        NEW.terms IS NOT OLD.terms OR NEW.number IS NOT OLD.number
        OR NEW.plan_id IS NOT OLD.plan_id OR NEW.status = 'draft')
    BEGIN SELECT RAISE(ABORT, 'plan version is published: its terms never change'); END
    """,
    """
    CREATE TRIGGER plan_versions_published_kept
    BEFORE DELETE ON plan_versions FOR EACH ROW WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'plan version is published: it cannot be deleted'); END
    """,
]
POSTGRESQL_GUARDS = [
    """
    CREATE FUNCTION plan_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN
                RAISE EXCEPTION 'plan version % is published: it cannot be deleted', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN OLD;
        END IF;
        IF OLD.status <> 'draft' AND (
            NEW.terms IS DISTINCT FROM OLD.terms OR NEW.number <> OLD.number
            OR NEW.plan_id <> OLD.plan_id OR NEW.status = 'draft') THEN
            RAISE EXCEPTION 'plan version % is published: its terms never change', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER plan_versions_guard BEFORE UPDATE OR DELETE ON plan_versions
    FOR EACH ROW EXECUTE FUNCTION plan_versions_guard()
    """,
]


def _guards(create: bool) -> None:
    dialect = op.get_bind().dialect.name
    if create:
        for statement in SQLITE_GUARDS if dialect == "sqlite" else POSTGRESQL_GUARDS:
            op.execute(statement)
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS plan_versions_published_terms_fixed")
        op.execute("DROP TRIGGER IF EXISTS plan_versions_published_kept")
    else:
        op.execute("DROP TRIGGER IF EXISTS plan_versions_guard ON plan_versions")
        op.execute("DROP FUNCTION IF EXISTS plan_versions_guard()")


def upgrade() -> None:
    op.create_table(
        "add_ons",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prices", sa.Text(), nullable=False),
        sa.Column("quantity_allowed", sa.Boolean(), nullable=False),
        sa.Column("fits_families", sa.Text(), nullable=False),
        sa.Column("fits_plans", sa.Text(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("allowances", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_add_ons_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_add_ons")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_add_ons_organization_id_code")
        ),
    )
    op.create_table(
        "extra_packs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prices", sa.Text(), nullable=False),
        sa.Column("allowance", sa.String(length=63), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_extra_packs_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extra_packs")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_extra_packs_organization_id_code")
        ),
    )
    op.create_table(
        "plan_families",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_plan_families_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_families")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_plan_families_organization_id_code")
        ),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("family_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["plan_families.id"], name=op.f("fk_plans_family_id_plan_families")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_plans_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("organization_id", "code", name=op.f("uq_plans_organization_id_code")),
    )
    op.create_index("ix_plans_family_id", "plans", ["family_id"])

    op.create_table(
        "plan_versions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("plan_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_plan_versions_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_versions_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_plan_versions_plan_id_number")),
    )
    op.create_index(
        "uq_plan_versions_one_current",
        "plan_versions",
        ["plan_id"],
        unique=True,
        sqlite_where=sa.text("status = 'current'"),
        postgresql_where=sa.text("status = 'current'"),
    )
    op.create_index(
        "uq_plan_versions_one_draft",
        "plan_versions",
        ["plan_id"],
        unique=True,
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
    )

    op.create_table(
        "plan_version_moves",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("plan_id", sa.String(length=40), nullable=False),
        sa.Column("from_version_ids", sa.Text(), nullable=False),
        sa.Column("to_version_id", sa.String(length=40), nullable=False),
        sa.Column("apply", sa.String(length=16), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_plan_version_moves_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_version_moves_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["to_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_version_moves_to_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version_moves")),
    )
    op.create_index("ix_plan_version_moves_plan_id", "plan_version_moves", ["plan_id"])

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="secret", nullable=False)
        )
    _guards(create=True)


def downgrade() -> None:
    _guards(create=False)
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("kind")

    op.drop_index("ix_plan_version_moves_plan_id", table_name="plan_version_moves")

    op.drop_table("plan_version_moves")
    op.drop_index(
        "uq_plan_versions_one_draft",
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
        table_name="plan_versions",
    )
    op.drop_index(
        "uq_plan_versions_one_current",
        sqlite_where=sa.text("status = 'current'"),
        postgresql_where=sa.text("status = 'current'"),
        table_name="plan_versions",
    )

    op.drop_table("plan_versions")
    op.drop_index("ix_plans_family_id", table_name="plans")

    op.drop_table("plans")
    op.drop_table("plan_families")
    op.drop_table("extra_packs")
    op.drop_table("add_ons")
