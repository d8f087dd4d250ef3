"""The Alembic history builds exactly the schema of tables.py, and unwinds, on both databases.

The customer search's own objects (tables/search.py) are left out of the comparison, as Alembic's
environment leaves them out; tests/integration/test_account_search_index.py checks them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import alembic_config, downgrade, upgrade
from plansmith.adapters.db.tables import described_by_metadata, metadata
from tests.conftest import IN_CI, POSTGRES_URL

EXPECTED_TABLES = {t.name for t in metadata.sorted_tables}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all (not the migrated test template)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    name = f"plansmith_migrations_{os.getpid()}"
    try:
        admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: skip like the shared postgres fixture does
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    engine = make_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": described_by_metadata,
            },
        )
        return list(compare_metadata(context, metadata))


def _tables(engine: Engine) -> set[str]:
    return {n for n in inspect(engine).get_table_names() if described_by_metadata(n, "table", {})}


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_matches_the_table_metadata(empty_engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(empty_engine)).get_current_head()

    upgrade(empty_engine)

    assert _differences(empty_engine) == []
    assert _tables(empty_engine) == EXPECTED_TABLES | {"alembic_version"}
    assert _revision(empty_engine) == head


def test_downgrade_to_base_then_upgrade_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    downgrade(empty_engine, "base")
    after_downgrade = _tables(empty_engine)
    revision_after_downgrade = _revision(empty_engine)
    upgrade(empty_engine)

    assert after_downgrade <= {"alembic_version"}
    assert revision_after_downgrade is None
    assert _differences(empty_engine) == []
    assert _tables(empty_engine) == EXPECTED_TABLES | {"alembic_version"}


def test_each_revision_steps_down_and_up_one_at_a_time(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_engine))
    chain = [r.revision for r in script.walk_revisions()]  # head first
    upgrade(empty_engine)

    down = []
    for _ in chain:
        downgrade(empty_engine, "-1")
        down.append(_revision(empty_engine))
    up = []
    for _ in chain:
        upgrade(empty_engine, "+1")
        up.append(_revision(empty_engine))

    assert down == [*chain[1:], None]
    assert up == list(reversed(chain))
    assert _differences(empty_engine) == []
