"""Benchmark: start-up, from process start to the first 200 from /healthz, plansmith vs a bare app.

    .venv/bin/python bench/startup.py [--runs 7] [--workers 1]

Each run starts a fresh process and times it from just before the process is started until
the first ``GET /healthz`` answers 200 (polled every 5 ms), then stops it with SIGTERM:
- plansmith: ``plansmith serve`` (the CLI, as an operator runs it) over a migrated SQLite file
  in a temporary directory, with ``--workers`` (1: the embedded default);
- the baseline: a FastAPI app with that one route, served by uvicorn from the command line.

The two sides run in pairs, in alternating order, so a machine that gets busier or quieter
during the run weighs on both alike; one unmeasured start of each comes first, so both read
compiled bytecode from a warm page cache. Local only: 127.0.0.1, nothing downloaded.
The issue's target: plansmith's median at most 1.5 times the baseline's.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.db.migrate import upgrade

TARGET = 1.5
POLL_SECONDS = 0.005
START_TIMEOUT = 120.0
BASELINE_APP = '''"""The bare app: one route."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}
'''


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


def time_to_health(command: list[str], port: int, cwd: Path, env: dict[str, str]) -> float:
    """Seconds from starting command until its /healthz answers 200; the process is stopped."""
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
        return time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Sides:
    """How to start each side on a given port, inside one temporary directory."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.folder = folder
        self.workers = workers
        database = folder / "plansmith.sqlite3"
        engine = make_engine(f"sqlite:///{database}")
        upgrade(engine)
        engine.dispose()
        (folder / "baseline_app.py").write_text(BASELINE_APP)
        python_path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(folder)) if p)
        self.env = {
            **os.environ,
            "PYTHONPATH": python_path,
            "DATABASE_URL": f"sqlite:///{database}",
            "PLANSMITH_SECRET_KEY": "startup-bench-secret",
        }
        self.env.pop("PLANSMITH_WORKERS", None)

    def baseline(self, port: int) -> float:
        command = [sys.executable, "-m", "uvicorn", "baseline_app:app", "--port", str(port)]
        return time_to_health([*command, "--log-level", "warning"], port, self.folder, self.env)

    def plansmith(self, port: int) -> float:
        command = [
            sys.executable,
            "-c",
            "from plansmith.entrypoints.cli.main import app; app()",
            "serve",
            "--port",
            str(port),
        ]
        if self.workers != 1:  # 1 is the default (and the only choice before --workers)
            command += ["--workers", str(self.workers)]
        return time_to_health(command, port, self.folder, self.env)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured starts of each side")
    parser.add_argument("--workers", type=int, default=1, help="plansmith serve --workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plansmith-startup-") as folder:
        sides = Sides(Path(folder), args.workers)
        sides.baseline(free_port())  # warm-up, not measured
        sides.plansmith(free_port())
        baseline: list[float] = []
        plansmith: list[float] = []
        for run in range(args.runs):
            pair = [(baseline, sides.baseline), (plansmith, sides.plansmith)]
            for times, start in pair if run % 2 == 0 else reversed(pair):
                times.append(start(free_port()))
            print(f"run {run + 1}: baseline {baseline[-1]:.3f} s, plansmith {plansmith[-1]:.3f} s")
    report(baseline, plansmith, args.workers)


def report(baseline: list[float], plansmith: list[float], workers: int) -> None:
    print(f"\nstart-up to the first 200 from /healthz, {len(baseline)} paired runs, seconds")
    print("| side | min | median | max |")
    print("|---|---:|---:|---:|")
    rows = [("baseline (FastAPI, one route)", baseline)]
    rows.append((f"plansmith serve (SQLite, {workers} worker(s))", plansmith))
    for name, times in rows:
        low, mid, high = min(times), statistics.median(times), max(times)
        print(f"| {name} | {low:.3f} | {mid:.3f} | {high:.3f} |")
    ratio = statistics.median(plansmith) / statistics.median(baseline)
    paired = statistics.median(p / b for p, b in zip(plansmith, baseline, strict=True))
    verdict = "within" if ratio <= TARGET else "over"
    print(f"\nratio of medians: {ratio:.2f}x ({verdict} the {TARGET}x target)")
    print(f"median of the paired ratios: {paired:.2f}x")


if __name__ == "__main__":
    main()
