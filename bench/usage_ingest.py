"""Benchmark: usage events in over HTTP (batches of 1,000, and one at a time) against raw
baselines measured in the same run, on PostgreSQL.

    .venv/bin/python bench/usage_ingest.py [--workers 2] [--accounts 200] [--clients 4,8]
        [--batches 120] [--concurrency 10,50] [--seconds 5]

What it does, all in one run on one machine:
1. A fresh database ``plansmith_bench_usage`` with the demo catalog and N accounts subscribed
   (bench/api.py's ``populate``), and four meters reading the events of code ``api_call`` (a
   count, a sum and a max of ``bytes``, a count filtered on ``region``): each event adds to
   four daily aggregates. Not measured.
2. ``plansmith serve --workers W`` (the documented production setting, as bench/api.py runs
   it) and the raw baseline, a bare FastAPI app (``baseline_app`` below) served by uvicorn
   with the same workers and protocol: its batch route reads the same JSON body with
   ``json.loads`` and COPYs the rows into a plain table keyed by account and id (no checks, no
   placing, no aggregates, no idempotency); its single route does one INSERT.
3. Batch ingest: C client processes, each on one keep-alive connection, POST pre-built
   batches of 1,000 events with fresh ids (the events spread over the accounts) as fast as
   the server answers; events/s = events accepted / wall time. The same bodies (other ids)
   go to the baseline app, and the same rows are COPYed by this process straight into a
   table (``COPY`` alone: what the database takes at most).
4. Single events: wrk POSTs one event per request, each with a fresh id (made in Lua), to
   both servers, alternating.

Every answer is checked (a batch must say ``"accepted":1000``; wrk counts any non-2xx as an
error). Needs wrk (scripts/bench-tools.sh) and PostgreSQL on 127.0.0.1:5432
(PLANSMITH_BENCH_DATABASE_URL overrides the server).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import psycopg
from api import _psycopg, populate
from bench_postgres import backends_cpu, cpu_seconds, cpu_since
from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse
from loadgen import Sample, baseline_server, drive, free_port, plansmith_server
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

SERVER = os.environ.get(
    "PLANSMITH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "plansmith_bench_usage"
BATCH = 1000
BATCH_TARGET, SINGLE_TARGET = 50_000, 3_000  # issue 15's events/s
RAW_URL_ENV = "PLANSMITH_BENCH_USAGE_RAW_URL"
RAW_TABLE = "bench_raw_events"
METERS: list[dict[str, Any]] = [
    {"code": "calls", "name": "Calls", "event_code": "api_call", "aggregation": "count"},
    {
        "code": "bytes",
        "name": "Bytes",
        "event_code": "api_call",
        "aggregation": "sum",
        "property": "bytes",
    },
    {
        "code": "peak",
        "name": "Peak",
        "event_code": "api_call",
        "aggregation": "max",
        "property": "bytes",
    },
    {
        "code": "eu_calls",
        "name": "EU calls",
        "event_code": "api_call",
        "aggregation": "count",
        "filters": {"region": ["eu"]},
    },
]


# -- the raw baseline (uvicorn imports this module and calls the factory) --------------------


def baseline_app() -> FastAPI:
    """The least an ingest route does: read the JSON, write the rows (COPY for a batch, one
    INSERT for one event) in one transaction, answer. No checks, no placing, no aggregates."""
    engine = create_engine(os.environ[RAW_URL_ENV], pool_size=8)
    app = FastAPI()
    add_ingest_routes(app, engine)

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def add_ingest_routes(app: FastAPI, engine: Engine) -> None:
    """The raw routes of POST /v1/events/batch and POST /v1/events, writing to RAW_TABLE."""
    columns = "(account_id, event_id, code, timestamp, properties)"

    # Plain `def` routes, as plansmith's: they run on the worker's thread pool, so requests
    # wait for their commits side by side.
    @app.post("/v1/events/batch")
    def batch(payload: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        events = payload["events"]
        rows = [
            (e["account_id"], e["id"], e["code"], e["timestamp"], json.dumps(e["properties"]))
            for e in events
        ]
        with engine.begin() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {RAW_TABLE} {columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return JSONResponse({"accepted": len(rows), "rejected": 0})

    @app.post("/v1/events", status_code=201)
    def single(e: Annotated[dict[str, Any], Body()]) -> JSONResponse:
        with engine.begin() as connection:
            connection.execute(
                text(
                    f"INSERT INTO {RAW_TABLE} {columns} VALUES (:a, :i, :c, :t, :p) "
                    "ON CONFLICT DO NOTHING"
                ),
                {
                    "a": e["account_id"],
                    "i": e["id"],
                    "c": e["code"],
                    "t": e["timestamp"],
                    "p": json.dumps(e["properties"]),
                },
            )
        return JSONResponse({"id": e["id"], "status": "accepted"}, status_code=201)


def raw_server(url: str, port: int, workers: int) -> AbstractContextManager[None]:
    return baseline_server(url, port, workers, "usage_ingest:baseline_app", {RAW_URL_ENV: url})


# -- data ----------------------------------------------------------------------------------


def fresh_postgres() -> str:
    admin = create_engine(_psycopg(SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return _psycopg(make_url(SERVER).set(database=DATABASE).render_as_string(False))


def raw_table(url: str, name: str) -> None:
    """A plain table with the events' key, for the baselines to write into."""
    with psycopg.connect(_plain(url), autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {name}")
        connection.execute(
            f"CREATE TABLE {name} (account_id text, event_id text, code text, "
            "timestamp timestamptz, properties text, PRIMARY KEY (account_id, event_id))"
        )


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def set_up_meters(url: str, account: str) -> None:
    from plansmith.application.usage.meters import create_meter
    from plansmith.bootstrap import Settings, bootstrap

    with psycopg.connect(_plain(url)) as connection:
        found = connection.execute("SELECT organization_id FROM accounts WHERE id = %s", [account])
        org = str(found.fetchone()[0])  # type: ignore[index]
    app = bootstrap(Settings(database_url=url, secret_key="bench"))
    for meter in METERS:
        create_meter(app.uow(), app.clock, org, meter)
    app.dispose()


def event(account: str, event_id: str, at: str, n: int) -> dict[str, Any]:
    region = "eu" if n % 2 else "us"
    return {
        "id": event_id,
        "account_id": account,
        "code": "api_call",
        "timestamp": at,
        "properties": {"bytes": n % 5000, "region": region},
    }


def batches(accounts: Sequence[str], prefix: str, count: int) -> list[bytes]:
    """count bodies of BATCH events each, with ids not used before, stamped now (the current
    period of every account, after its subscription began)."""
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    bodies = []
    for b in range(count):
        events = [
            event(accounts[(b * BATCH + n) % len(accounts)], f"{prefix}-{b}-{n}", at, n)
            for n in range(BATCH)
        ]
        bodies.append(json.dumps({"events": events}).encode())
    return bodies


# -- batch clients -------------------------------------------------------------------------


def _client(port: int, headers: dict[str, str], bodies: list[bytes], start_at: float) -> float:
    """Send the bodies one after the other on one connection; the time the last one ended."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.time() < start_at:
        time.sleep(0.001)
    for body in bodies:
        connection.request("POST", "/v1/events/batch", body, headers)
        answer = connection.getresponse()
        got = answer.read()
        if answer.status != 200 or b'"accepted":1000' not in got.replace(b" ", b""):
            raise SystemExit(f"a batch answered {answer.status}: {got[:300]!r}")
    connection.close()
    return time.time()


@dataclass(frozen=True)
class Run:
    events_per_s: float
    batch_ms: float  # wall time per batch a client saw (mean)
    client_cpu_s: float


def send_batches(port: int, headers: dict[str, str], bodies: list[bytes], clients: int) -> Run:
    before = _children_cpu()
    start_at = time.time() + 0.5  # all clients connected and waiting
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        ends = pool.starmap(
            _client, [(port, headers, bodies[k::clients], start_at) for k in range(clients)]
        )
    wall = max(ends) - start_at
    per_client = len(bodies) / clients
    return Run(len(bodies) * BATCH / wall, 1000 * wall / per_client, _children_cpu() - before)


def server_pids(port: int) -> list[int]:
    """The server started on ``port`` (its command names the port) and its workers."""
    parents: list[int] = []
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"--port" in args and str(port).encode() in args:
            parents.append(int(proc.name))
        children.setdefault(ppid, []).append(int(proc.name))
    return parents + [c for p in parents for c in children.get(p, [])]


@dataclass
class Cpu:
    """CPU seconds the server's processes and the database's backends used in a block."""

    url: str
    port: int
    server_s: float = 0.0
    database_s: float = 0.0

    def __enter__(self) -> Cpu:
        self.pids = server_pids(self.port)
        self.server_before = {p: _cpu(p) for p in self.pids}
        self.db_before = backends_cpu(_plain(self.url))
        return self

    def __exit__(self, *_: object) -> None:
        self.server_s = sum(_cpu(p) - self.server_before[p] for p in self.pids)
        self.database_s = cpu_since(self.db_before, backends_cpu(_plain(self.url)))


def _cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # ended meanwhile
        return 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def copy_alone(url: str, bodies: list[bytes]) -> float:
    """Events/s of COPY alone: the same rows, already parsed, into a plain keyed table."""
    raw_table(url, "bench_copy_events")
    rows = [
        (e["account_id"], e["id"], e["code"], e["timestamp"], json.dumps(e["properties"]))
        for body in bodies
        for e in json.loads(body)["events"]
    ]
    with psycopg.connect(_plain(url)) as connection, connection.cursor() as cursor:
        start = time.perf_counter()
        for k in range(0, len(rows), BATCH):
            with cursor.copy(
                "COPY bench_copy_events (account_id, event_id, code, timestamp, properties) "
                "FROM STDIN"
            ) as copy:
                for row in rows[k : k + BATCH]:
                    copy.write_row(row)
            connection.commit()
        return len(rows) / (time.perf_counter() - start)


# -- single events (wrk) -------------------------------------------------------------------

SINGLE_LUA = """
local accounts = %s
local headers = %s
local at = %s
local n = 0
local prefix = ""
local threads = {}
bad = 0
function setup(thread) table.insert(threads, thread) end
function init(args) prefix = %s .. "-" .. tostring(#threads) end
function request()
  n = n + 1
  local body = string.format(
    '{"id":"%%s-%%d","account_id":"%%s","code":"api_call","timestamp":"%%s",' ..
    '"properties":{"bytes":%%d,"region":"eu"}}', prefix, n, accounts[n %% #accounts + 1], at,
    n %% 5000)
  return wrk.format("POST", "/v1/events", headers, body)
end
function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local e = summary.errors
  io.write(string.format("BENCH %%.0f %%.0f %%.0f %%.0f %%.0f %%.0f\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, bad_total))
end
"""


def single_script(accounts: Sequence[str], headers: dict[str, str], prefix: str) -> str:
    """wrk's script: each request one event with an id never sent before (the prefix is new
    for each run)."""
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    lua_accounts = "{" + ", ".join(json.dumps(a) for a in accounts) + "}"
    pairs = [f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lua_headers = "{" + ", ".join(pairs) + "}"
    return SINGLE_LUA % (lua_accounts, lua_headers, json.dumps(at), json.dumps(prefix))


# -- the run -------------------------------------------------------------------------------


def count_rows(url: str, table: str) -> int:
    with psycopg.connect(_plain(url)) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="server processes, each app")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--clients", type=lambda v: [int(c) for c in v.split(",")], default=[4, 8])
    parser.add_argument("--batches", type=int, default=120, help="batches of 1,000 per run")
    parser.add_argument(
        "--concurrency", type=lambda v: [int(c) for c in v.split(",")], default=[10, 50]
    )
    parser.add_argument("--seconds", type=int, default=5, help="per single-event run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/bench-tools.sh")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    url = fresh_postgres()
    started = time.perf_counter()
    fixture = populate(url, args.accounts)
    set_up_meters(url, fixture.accounts[0])
    raw_table(url, RAW_TABLE)
    print(f"{args.accounts} accounts set up in {time.perf_counter() - started:.0f} s", flush=True)
    headers = {"Authorization": f"Bearer {fixture.api_key}", "Content-Type": "application/json"}
    accounts = fixture.accounts
    random.Random(15).shuffle(accounts)
    ports = {"plansmith": free_port(), "raw": free_port()}
    rows: list[str] = []
    cpu_rows: list[str] = []
    with (
        plansmith_server(url, ports["plansmith"], args.workers),
        raw_server(url, ports["raw"], args.workers),
        tempfile.TemporaryDirectory(prefix="plansmith-bench-") as workdir,
    ):
        warm = batches(accounts, "warm", 8)
        send_batches(ports["plansmith"], headers, warm, 2)
        send_batches(ports["raw"], headers, batches(accounts, "warm", 8), 2)
        copy_rate = copy_alone(url, batches(accounts, "copy", args.batches))
        for clients in args.clients:
            mine = batches(accounts, f"b{clients}", args.batches)
            with Cpu(url, ports["plansmith"]) as ours_cpu:
                ours = send_batches(ports["plansmith"], headers, mine, clients)
            theirs = batches(accounts, f"r{clients}", args.batches)
            with Cpu(url, ports["raw"]) as raw_cpu:
                raw = send_batches(ports["raw"], headers, theirs, clients)
            per = 1000 / (args.batches * BATCH)  # CPU ms per 1,000 events
            cpu_rows.append(
                f"| batch of 1,000 | {clients} clients | {ours_cpu.server_s * per * 1000:.0f} | "
                f"{ours_cpu.database_s * per * 1000:.0f} | {raw_cpu.server_s * per * 1000:.0f} | "
                f"{raw_cpu.database_s * per * 1000:.0f} |"
            )
            rows.append(
                f"| batch of 1,000 | {clients} clients | {ours.events_per_s:,.0f} | "
                f"{ours.batch_ms:,.0f} | {raw.events_per_s:,.0f} | "
                f"{ours.events_per_s / raw.events_per_s:.2f} | {copy_rate:,.0f} | "
                f"{ours.events_per_s / copy_rate:.2f} | ≥ {BATCH_TARGET:,} "
                f"{_mark(ours.events_per_s >= BATCH_TARGET)} |"
            )
            print(rows[-1], flush=True)
        runs = iter(range(1000))

        def single(port: int, c: int, seconds: int) -> Sample:
            script = Path(workdir) / f"single-{next(runs)}.lua"
            script.write_text(single_script(accounts, headers, script.stem))
            return drive(port, script, c, seconds)

        single(ports["plansmith"], args.concurrency[0], 1)  # warm-up
        single(ports["raw"], args.concurrency[0], 1)
        for c in args.concurrency:
            ours_s = single(ports["plansmith"], c, args.seconds)
            raw_s = single(ports["raw"], c, args.seconds)
            errors = ours_s.errors + raw_s.errors
            rows.append(
                f"| one event | wrk -c{c} | {ours_s.rps:,.0f} | {ours_s.p50_ms:.1f} (p99 "
                f"{ours_s.p99_ms:.0f}) | {raw_s.rps:,.0f} | {ours_s.rps / raw_s.rps:.2f} | | | "
                f"≥ {SINGLE_TARGET:,} {_mark(ours_s.rps >= SINGLE_TARGET)}"
                f"{'' if errors == 0 else f', {errors} errors ✗'} |"
            )
            print(rows[-1], flush=True)
    events = count_rows(url, "usage_events")
    print(
        f"\n### usage ingest, PostgreSQL, {args.workers} API workers over HTTP, "
        f"{len(accounts)} accounts, 4 meters read each event\n"
    )
    print(f"uptime before: {uptime.strip()}")
    print(f"load average after: {os.getloadavg()[0]:.1f}; events stored: {events:,}\n")
    print(
        "| kind | load | plansmith events/s | ms per request (mean; single: p50) | raw app "
        "events/s | ratio to raw app | COPY alone events/s | ratio to COPY | target |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    print(
        "\nCPU per 1,000 events (ms; the servers' processes and the database's backends, read "
        "from /proc: what the machine's load does not change much)\n"
    )
    print("| kind | load | plansmith workers | its PostgreSQL | raw app | its PostgreSQL |")
    print("|---|---|---:|---:|---:|---:|")
    print("\n".join(cpu_rows))


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


if __name__ == "__main__":
    main()
