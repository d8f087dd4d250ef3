"""An index for the customer search: part of a name, e-mail or external id, case-insensitively.

PostgreSQL: one trigram GIN index (pg_trgm) over the three lowered columns, which a
``lower(column) LIKE '%text%'`` uses. The extension is created if missing; that needs the right
to create it in the database (pg_trgm is a trusted extension: the database owner has it since
PostgreSQL 13), or an administrator runs ``CREATE EXTENSION pg_trgm`` first. ``IF NOT EXISTS``
also lets an operator of a large database build the index beforehand with ``CREATE INDEX
CONCURRENTLY`` under the same name, so the migration does not lock the accounts table for
writes while it builds. The downgrade drops the index and leaves the extension.

SQLite has no such index type: an FTS5 table with the trigram tokenizer (SQLite 3.34; the
RETURNING the code already uses needs 3.35) holds the three texts of each account, kept by
triggers on ``accounts``. Its rows are keyed by ``account_search_rows``, whose explicit integer
key a VACUUM keeps (the implicit rowid of ``accounts`` it may renumber). None of these objects
is in the table metadata (``tables.search``). A later migration that rebuilds ``accounts`` on
SQLite (``batch_alter_table`` copies the table, and its triggers go with the old one) must create
the three triggers again; the search tests fail when it does not.

Revision ID: 0011_account_search
Revises: 0010_line_details
"""

from __future__ import annotations

from alembic import op

revision = "0011_account_search"
down_revision = "0010_line_details"
branch_labels = None
depends_on = None

SQLITE_UPGRADE = (
    """
    CREATE TABLE account_search_rows (
        id INTEGER PRIMARY KEY,
        account_id VARCHAR(40) NOT NULL UNIQUE
    )
    """,
    "CREATE VIRTUAL TABLE account_search USING fts5(name, email, external_id, tokenize='trigram')",
    """
    CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
        INSERT INTO account_search_rows (account_id) VALUES (new.id);
        INSERT INTO account_search (rowid, name, email, external_id)
            SELECT id, new.name, new.email, new.external_id
            FROM account_search_rows WHERE account_id = new.id;
    END
    """,
    """
    CREATE TRIGGER accounts_search_update AFTER UPDATE OF name, email, external_id ON accounts
    WHEN old.name IS NOT new.name OR old.email IS NOT new.email
        OR old.external_id IS NOT new.external_id
    BEGIN
        UPDATE account_search SET name = new.name, email = new.email, external_id = new.external_id
        WHERE rowid = (SELECT id FROM account_search_rows WHERE account_id = new.id);
    END
    """,
    """
    CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
        DELETE FROM account_search
        WHERE rowid = (SELECT id FROM account_search_rows WHERE account_id = old.id);
        DELETE FROM account_search_rows WHERE account_id = old.id;
    END
    """,
    "INSERT INTO account_search_rows (account_id) SELECT id FROM accounts ORDER BY created_at, id",
    """
    INSERT INTO account_search (rowid, name, email, external_id)
        SELECT r.id, a.name, a.email, a.external_id
        FROM account_search_rows r JOIN accounts a ON a.id = r.account_id
    """,
)

SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS accounts_search_delete",
    "DROP TRIGGER IF EXISTS accounts_search_update",
    "DROP TRIGGER IF EXISTS accounts_search_insert",
    "DROP TABLE IF EXISTS account_search",
    "DROP TABLE IF EXISTS account_search_rows",
)

POSTGRESQL_UPGRADE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_accounts_search ON accounts USING gin"
    " (lower(name) gin_trgm_ops, lower(email) gin_trgm_ops, lower(external_id) gin_trgm_ops)",
)

POSTGRESQL_DOWNGRADE = ("DROP INDEX IF EXISTS ix_accounts_search",)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UPGRADE if sqlite else POSTGRESQL_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWNGRADE if sqlite else POSTGRESQL_DOWNGRADE:
        op.execute(statement)
