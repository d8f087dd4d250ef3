"""Drive a server on this machine with wrk (Debian's HTTP load generator, installed by
scripts/bench-tools.sh), and the baseline app a benchmark compares it with.

wrk runs one thread (a few per cent of one core at these rates, so the server keeps the rest),
its requests prepared once in Lua and rotating over the list given; it reports req/s, latency
percentiles and every answer other than 2xx as an error, besides socket errors and timeouts.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import create_engine, text

BASELINE_URL_ENV = "PLANSMITH_BENCH_BASELINE_URL"
ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench"  # signs the benchmarks' throwaway sessions


# -- the baseline (uvicorn imports this module and calls the factory) ----------------------


def baseline_app() -> FastAPI:
    """One route, one ``SELECT 1`` through a SQLAlchemy pool: what any request costs at least."""
    engine = create_engine(os.environ[BASELINE_URL_ENV])
    app = FastAPI()

    @app.get("/select1")
    def select1() -> dict[str, int]:
        with engine.connect() as connection:
            return {"value": int(connection.execute(text("SELECT 1")).scalar_one())}

    @app.get("/aggregates")
    def aggregates(account_id: str, start: str, end: str) -> dict[str, int]:
        """The one SELECT of an account's daily aggregates over a period: the least a usage
        read over HTTP costs (bench/entitlements.py's raw baseline)."""
        query = text(
            "SELECT meter_id, sum(count) FROM usage_daily WHERE account_id = :a "
            "AND local_date >= CAST(:s AS date) AND local_date < CAST(:e AS date) "
            "GROUP BY meter_id"
        )
        with engine.connect() as connection:
            rows = connection.execute(query, {"a": account_id, "s": start, "e": end})
            return {meter: int(n) for meter, n in rows}

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


# -- servers and wrk -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    """The server running until the block ends; its output kept for when it will not start."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log)
        try:
            if not _healthy(proc, port):
                log.seek(0)
                sys.exit(f"{command[0]} did not start:\n{log.read().decode()[-3000:]}")
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # never hide what ended the block behind this
                proc.kill()
                proc.wait()
                log.seek(0)
                print(f"{command[0]} did not stop on SIGTERM:\n{log.read().decode()[-3000:]}")


def _healthy(proc: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def baseline_server(
    url: str,
    port: int,
    workers: int,
    factory: str = "loadgen:baseline_app",
    env: dict[str, str] | None = None,
) -> AbstractContextManager[None]:
    """A raw app of bench/ (``module:factory``) served by uvicorn with the workers given; its
    database URL in BASELINE_URL_ENV."""
    command = [sys.executable, "-m", "uvicorn", "--factory", factory]
    command += ["--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "info"]
    # The same protocol as plansmith serve's: TCP_NODELAY on (see http_protocol.py).
    command += ["--http", "plansmith.entrypoints.http_protocol:NoDelayHttp"]
    return serving(command, {BASELINE_URL_ENV: url, **(env or {})}, port)


def _checkout_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """The ``plansmith`` command run from this checkout's code, whichever plansmith the
    environment has installed, and the PYTHONPATH that makes it so."""
    code = "from plansmith.entrypoints.cli.main import app; app()"
    path = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    return [sys.executable, "-c", code, *args], {"PYTHONPATH": path}


def plansmith_server(
    url: str,
    port: int,
    workers: int,
    *,
    renewals_every: int = 0,
    env: dict[str, str] | None = None,
) -> AbstractContextManager[None]:
    """``plansmith serve`` on 127.0.0.1 (renewals off unless asked for)."""
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--renewals-every", str(renewals_every)]
    if workers > 1:
        args += ["--workers", str(workers)]
    command, path = _checkout_command(*args)
    settings = {"DATABASE_URL": url, "PLANSMITH_SECRET_KEY": SECRET, **path, **(env or {})}
    return serving(command, settings, port)


@contextmanager
def plansmith_workers(
    url: str, n: int, env: dict[str, str], threads: int = 1
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """n ``plansmith worker`` processes (Dramatiq on Redis: PLANSMITH_REDIS_URL in env), their
    logs in a file (never a pipe nobody reads: a full one stops them); stopped at the end."""
    command, path = _checkout_command("worker", "--threads", str(threads))
    settings = {**os.environ, "DATABASE_URL": url, "PLANSMITH_SECRET_KEY": SECRET, **path, **env}
    with tempfile.TemporaryFile() as logs:
        procs = [
            subprocess.Popen(command, env=settings, stdout=logs, stderr=logs) for _ in range(n)
        ]
        try:
            yield procs
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)


LUA = """
local entries = %s
local prepared = {}
local n = 0
local threads = {}
bad = 0
function setup(thread) table.insert(threads, thread) end
function init(args)
  for k, e in ipairs(entries) do prepared[k] = wrk.format(e[1], e[2], e[3], e[4]) end
end
function request() n = n %% #prepared + 1; return prepared[n] end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
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


def lua_script(requests: list[Request]) -> str:
    def entry(r: Request) -> str:
        headers = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in r.headers.items())
        body = json.dumps(r.body) if r.body is not None else "nil"
        return f"{{{json.dumps(r.method)}, {json.dumps(r.path)}, {{{headers}}}, {body}}}"

    return LUA % ("{\n" + ",\n".join(entry(r) for r in requests) + "\n}")


@dataclass(frozen=True)
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and answers other than 2xx
    requests: int


def drive(port: int, script: Path, connections: int, seconds: int) -> Sample:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"^BENCH (.+)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        sys.exit(f"wrk failed:\n{done.stdout}{done.stderr}")
    requests, duration_us, p50, p99, socket_errors, bad = (float(v) for v in found[1].split())
    return Sample(
        requests / (duration_us / 1e6),
        p50 / 1000,
        p99 / 1000,
        int(socket_errors + bad),
        int(requests),
    )
