"""The customer search's own objects (migration 0011), which the table metadata does not
describe: on SQLite an FTS5 trigram table (with the shadow tables FTS5 makes) and the table
that keys its rows by account; on PostgreSQL a trigram index on ``accounts``.

Lightweight clauses name the SQLite tables for the queries; ``described_by_metadata`` is the
filter with which an Alembic comparison leaves these objects out.
"""

from __future__ import annotations

from sqlalchemy import Integer, column, table

from plansmith.adapters.db.tables.base import Id

account_search = table("account_search", column("rowid", Integer))
account_search_rows = table("account_search_rows", column("id", Integer), column("account_id", Id))

ACCOUNTS_SEARCH_INDEX = "ix_accounts_search"


def described_by_metadata(name: str | None, type_: str, _parents: object) -> bool:
    """False for the search's objects: Alembic's ``include_name`` hook."""
    if type_ == "table" and name is not None:
        # usage_events_pN: the partitions of usage_events on PostgreSQL (migration 0020)
        return (
            name != "account_search"
            and not name.startswith("account_search_")
            and not name.startswith("usage_events_p")
        )
    return not (type_ == "index" and name == ACCOUNTS_SEARCH_INDEX)
