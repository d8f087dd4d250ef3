"""What the PostgreSQL benchmarks share: a fresh migrated database, template rows copied N
times in SQL, and the CPU and peak memory of processes read from /proc."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import upgrade

SERVER = os.environ.get(
    "PLANSMITH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PLANSMITH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

Row = tuple[object, ...]


def fresh_database(name: str) -> str:
    admin = make_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def raw_url(url: str) -> str:
    """The URL for psycopg itself (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_rows(
    cursor: psycopg.Cursor[Row], table: str, where: str, mapped: dict[str, str], n: int
) -> None:
    """INSERT n-1 copies of the template row(s), with the mapped columns rewritten per copy."""
    columns = [c.name for c in t.metadata.tables[table].columns]
    exprs = [mapped.get(c, f'src."{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f'INSERT INTO "{table}" ({names}) SELECT {", ".join(exprs)} '
        f'FROM "{table}" src, generate_series(2, {n}) g WHERE {where}'
    )


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu(url: str) -> dict[int, float]:
    """CPU used so far by each of the database's server processes (but the one asking)."""
    with psycopg.connect(raw_url(url)) as connection:
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid: cpu_seconds(pid) for (pid,) in pids if Path(f"/proc/{pid}").exists()}


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


class Autoanalyze:
    """While open, what autovacuum's analyze does, checked every ``every`` seconds: a table
    with more rows inserted, updated or deleted since its last ANALYZE than 50 + 10 % of its
    rows (autovacuum's default thresholds) is analyzed again. Some machines run PostgreSQL with
    autovacuum off (this one's CI does); a bench that grows a table from nothing would then
    be planned all along on statistics that say the table is empty. Counts the ANALYZEs."""

    def __init__(self, url: str, tables: tuple[str, ...], every: float) -> None:
        import threading

        self.url, self.tables, self.every = url, tables, every
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="autoanalyze", daemon=True)

    def __enter__(self) -> Autoanalyze:
        if self.every > 0:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        due = (
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relname = ANY(%s) "
            "AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)"
        )
        with psycopg.connect(raw_url(self.url), autocommit=True) as connection:
            while not self._stop.wait(self.every):
                for (table,) in connection.execute(due, [list(self.tables)]).fetchall():
                    connection.execute(f'ANALYZE "{table}"')
                    self.runs += 1
