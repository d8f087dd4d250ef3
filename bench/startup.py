"""Benchmark: start-up, from process start to the first 200 from /healthz, plansmith vs a bare app.

    .venv/bin/python bench/startup.py [--runs 7] [--workers 1]

Each run starts a fresh process and times it from just before the process is started until
the first ``GET /healthz`` answers 200 (polled every 5 ms), then stops it with SIGTERM. Sides:
- baseline: a FastAPI app with that one route, served by uvicorn from its command line;
- libraries: the same app, which also imports the libraries plansmith cannot start without
  (SQLAlchemy with its ORM sessions, pydantic-settings, Jinja2): the floor for any app on
  this stack, however lazy its own code;
- plansmith: ``plansmith serve`` (the CLI, as an operator runs it) over a migrated SQLite file
  in a temporary directory, with ``--workers`` (1: the embedded default).

The sides run in turns, in an order that rotates every run, so a machine that gets busier or
quieter during the run weighs on all alike; one unmeasured start of each comes first, so all
read from a warm page cache. plansmith's own modules are byte-compiled first, as installing
it does for every library: with PYTHONDONTWRITEBYTECODE set (some machines set it), a start
compiled all 440 of them again, about 0.2 s of every plansmith start and none of the
others'. Besides the wall time, each start's CPU time up to that first 200 (its workers'
included) is read from /proc (Linux): on a shared machine it moves less than the wall time
does. Local only: 127.0.0.1, nothing downloaded.
The issue's target: plansmith's median at most 1.5 times the baseline's.
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import plansmith
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import upgrade

TARGET = 1.5
POLL_SECONDS = 0.005
START_TIMEOUT = 120.0
BARE_APP = '''"""The bare app: one route."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
'''
LIBRARIES = "import jinja2, pydantic_settings, sqlalchemy.orm\n"


@dataclass(frozen=True)
class Start:
    wall: float  # seconds from the start of the process to the first 200
    cpu: float | None  # CPU seconds the process had used by then (None: no /proc here)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers_200(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process and its children (the workers), from
    /proc/PID/stat (fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return own + sum(cpu_seconds(child) or 0.0 for child in children)


def time_to_health(command: list[str], cwd: Path, env: dict[str, str]) -> Start:
    """Start command (its last argument is the port) and time it to its first 200; stop it."""
    port = int(command[-1])
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while not answers_200(port):
            if process.poll() is not None:
                raise SystemExit(f"exited with {process.returncode}: {' '.join(command)}")
            if time.perf_counter() - started > START_TIMEOUT:
                raise SystemExit(f"no 200 from /healthz in {START_TIMEOUT:.0f} s: {command}")
            time.sleep(POLL_SECONDS)
        return Start(time.perf_counter() - started, cpu_seconds(process.pid))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sides(folder: Path, workers: int) -> dict[str, Callable[[], Start]]:
    """How to start each side, in one temporary directory: name -> one timed start."""
    database = folder / "plansmith.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    (folder / "bare_app.py").write_text(BARE_APP)
    (folder / "libraries_app.py").write_text(LIBRARIES + BARE_APP)
    python_path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(folder)) if p)
    env = {
        **os.environ,
        "PYTHONPATH": python_path,
        "DATABASE_URL": f"sqlite:///{database}",
        "PLANSMITH_SECRET_KEY": "startup-bench-secret",
    }
    env.pop("PLANSMITH_WORKERS", None)
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning"]
    serve = [sys.executable, "-c", "from plansmith.entrypoints.cli.main import app; app()"]
    serve.append("serve")
    if workers != 1:  # 1 is the default (and the only choice before --workers existed)
        serve += ["--workers", str(workers)]

    def start(command: list[str]) -> Callable[[], Start]:
        return lambda: time_to_health([*command, "--port", str(free_port())], folder, env)

    return {
        "baseline": start([*uvicorn, "bare_app:app"]),
        "libraries": start([*uvicorn, "libraries_app:app"]),
        "plansmith": start(serve),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured starts of each side")
    parser.add_argument("--workers", type=int, default=1, help="plansmith serve --workers")
    args = parser.parse_args()
    compileall.compile_dir(Path(plansmith.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="plansmith-startup-") as folder:
        starts = sides(Path(folder), args.workers)
        names = list(starts)
        for name in names:  # warm-up, not measured
            starts[name]()
        runs: dict[str, list[Start]] = {name: [] for name in names}
        for run in range(args.runs):
            for name in names[run % len(names) :] + names[: run % len(names)]:
                runs[name].append(starts[name]())
            line = ", ".join(f"{name} {runs[name][-1].wall:.3f} s" for name in names)
            print(f"run {run + 1}: {line}", flush=True)
    report(runs, args.workers)


def report(runs: dict[str, list[Start]], workers: int) -> None:
    labels = {
        "baseline": "baseline: FastAPI, one route",
        "libraries": "the same + SQLAlchemy ORM, pydantic-settings, Jinja2",
        "plansmith": f"plansmith serve, SQLite, {workers} worker(s)",
    }
    base = runs["baseline"]
    print(f"\nstart-up to the first 200 from /healthz, {len(base)} runs of each side, seconds")
    print("| side | min | median | max | ratio of medians | CPU s (median) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, starts in runs.items():
        wall = [s.wall for s in starts]
        ratio = statistics.median(wall) / statistics.median(s.wall for s in base)
        cpus = [s.cpu for s in starts if s.cpu is not None]
        cpu = f"{statistics.median(cpus):.2f}" if cpus else "-"
        cells = f"{min(wall):.3f} | {statistics.median(wall):.3f} | {max(wall):.3f}"
        print(f"| {labels[name]} | {cells} | {ratio:.2f}x | {cpu} |")
    plansmith = statistics.median(s.wall for s in runs["plansmith"])
    ratio = plansmith / statistics.median(s.wall for s in base)
    verdict = "within" if ratio <= TARGET else "over"
    target = f"{verdict} the {TARGET}x target"
    print(f"\nplansmith / baseline, ratio of medians: {ratio:.2f}x ({target})")


if __name__ == "__main__":
    main()
