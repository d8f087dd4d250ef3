"""Alembic environment: the engine comes from the caller (plansmith db upgrade, or the tests)."""

from __future__ import annotations

from alembic import context

from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.tables import described_by_metadata, metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain 'alembic' command line: the URL comes from the environment
    import os

    engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///var/plansmith.sqlite3"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=described_by_metadata,  # the search's own index and FTS5 tables
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
