"""Every row of every table, to prove that a refused request wrote nothing anywhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from plansmith.adapters.db import tables as t

# Recording that a key was used (at most once a minute) is bookkeeping kept apart from the
# request's own effect: a refused request with a valid key still counts as a use.
BOOKKEEPING = {t.api_keys.c.last_used_at}


def every_row(engine: Engine, *, skip: frozenset[str] = frozenset()) -> list[list[tuple[Any, ...]]]:
    """The rows of each table but ``skip``, in primary-key order, without bookkeeping columns."""
    with engine.connect() as connection:
        return [
            [
                tuple(row)
                for row in connection.execute(
                    select(*(c for c in table.columns if c not in BOOKKEEPING)).order_by(
                        *table.primary_key
                    )
                )
            ]
            for table in t.metadata.sorted_tables
            if table.name not in skip
        ]
