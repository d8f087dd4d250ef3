"""Shared fixtures: both databases, a settable clock, the app, organizations with API keys.

Integration tests take `db_url`, which runs them once on SQLite and once on PostgreSQL. Each test
gets a clean database: a copy of a migrated SQLite file, or freshly truncated PostgreSQL tables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import upgrade
from plansmith.adapters.db.tables import metadata
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.integration.ledger_invariants import assert_ledger_invariants

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "PLANSMITH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
START = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)


def _postgres_reason() -> str | None:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "plansmith.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    reason = _postgres_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    name = f"plansmith_test_{os.getpid()}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A commit need not wait for the disk here: nothing is kept after the tests, and a
        # killed client (the crash tests) loses nothing it committed either way.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Emptying the few rows a test leaves: DELETE, children first, and the sequences restarted, in
# one statement. TRUNCATE gives every table and index a new file, which costs a PostgreSQL test
# seconds on a busy machine where this takes tens of milliseconds. The replica role skips the
# triggers that keep published rows from being deleted (the test database's user owns it).
_EMPTY = """DO $$
DECLARE s record;
BEGIN
PERFORM set_config('session_replication_role', 'replica', true);
{deletes}
FOR s IN SELECT sequence_schema, sequence_name FROM information_schema.sequences
         WHERE sequence_schema = current_schema() LOOP
  EXECUTE format('ALTER SEQUENCE %I.%I RESTART', s.sequence_schema, s.sequence_name);
END LOOP;
END $$"""


def _truncate(url: str) -> None:
    engine = make_engine(url)
    deletes = "\n".join(f'DELETE FROM "{t.name}";' for t in reversed(metadata.sorted_tables))
    with engine.begin() as connection:
        connection.execute(text(_EMPTY.format(deletes=deletes)))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "plansmith.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate(url)
    return url


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START)


@pytest.fixture
def grace_minutes() -> int:
    """How long drafts wait before they are finalized; a module overrides it to test another."""
    return 60  # the default of Settings


@pytest.fixture
def container(db_url: str, clock: TestClock, grace_minutes: int) -> Iterator[Plansmith]:
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        base_url="http://testserver",
        invoice_grace_minutes=grace_minutes,
    )
    app = bootstrap(settings, clock=clock)
    yield app
    app.dispose()


@pytest.fixture(autouse=True)
def ledger_invariants(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used a database container, its ledger invariants hold. The
    container is taken here, before the test, so it is still open when this one checks."""
    if "container" in request.fixturenames:
        engine = request.getfixturevalue("container").engine
    elif "live_app" in request.fixturenames:
        engine = request.getfixturevalue("live_app").container.engine
    else:
        yield
        return
    yield
    assert_ledger_invariants(engine)


@pytest.fixture
def client(container: Plansmith) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def make_tenant(container: Plansmith, name: str) -> Tenant:
    org = create_organization(container.uow(), container.clock, name)
    issued = create_api_key(container.uow(), container.clock, org.id, "test")
    return Tenant(org.id, issued.secret)


@pytest.fixture
def tenant(container: Plansmith) -> Tenant:
    return make_tenant(container, "Acme Operator")


@pytest.fixture
def other_tenant(container: Plansmith) -> Tenant:
    return make_tenant(container, "Other Operator")
