"""`make run` as a newcomer runs it, twice, in a scratch directory (issue 13, defect 7): the
server answers the landing page; Ctrl-C (SIGINT to the whole process group, as a terminal
sends it) or SIGTERM to make stops it cleanly: `plansmith serve` exits 0, so make reports no
"Error", "Interrupt" or "Terminated"; the second run keeps the data and prints the same key,
which works.

The Makefile's own recipe runs, with BIN pointing at a `plansmith` of this checkout (the venv
step is skipped with `-o`)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import plansmith
from tests.e2e.server_processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(plansmith.__file__).resolve().parents[1]
START_SECONDS = 90
# Built by `make install` (npm) before the suite runs: taken as made, like the venv.
CHART = "src/plansmith/entrypoints/webui/static/vendor/chart.umd.min.js"
FAILURE = re.compile(r"\*\*\*|Error \d|Interrupt|Terminated|Traceback|Aborted")


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "plansmith"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(SOURCE)!r})\n"
        "from plansmith.entrypoints.cli.main import main\nmain()\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    port = free_port()
    unset = ("PLANSMITH_SECRET_KEY", "PLANSMITH_WORKERS", "DATABASE_URL", "PLANSMITH_DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(PLANSMITH_PORT=str(port), PLANSMITH_BASE_URL=f"http://127.0.0.1:{port}")
    return tmp_path, env


def _make_run(cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile")]
    command += ["-o", ".venv/.installed-stamp", "-o", CHART, "run", f"BIN={cwd / 'bin'}"]
    with log.open("wb") as output:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )  # fmt: skip


def _get(port: int, path: str, token: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _wait_for_server(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run ended: {log.read_text()}")
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"make run did not serve: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes], stop: signal.Signals, group: bool) -> None:
    if group:
        os.killpg(process.pid, stop)
    else:
        process.send_signal(stop)
    process.wait(timeout=60)


def test_make_run_twice_keeps_the_data_and_stops_cleanly_on_ctrl_c_and_sigterm(
    scratch: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = scratch
    port = int(env["PLANSMITH_PORT"])
    runs = []
    for n, (stop, group) in enumerate([(signal.SIGINT, True), (signal.SIGTERM, False)]):
        log = cwd / f"run-{n}.log"
        process = _make_run(cwd, env, log)
        try:
            _wait_for_server(process, port, log)
            status, landing = _get(port, "/")
            key = re.search(r"^  API key      (\S+)", log.read_text(), re.M)
            assert key, log.read_text()
            answer = _get(port, "/v1/organization", key[1])
        finally:
            _stop(process, stop, group)
        output = log.read_text()
        runs.append((output, key[1]))
        assert status == 200 and "How your customers reach their portal" in landing
        assert answer[0] == 200 and json.loads(answer[1])["name"] == "Demo SaaS"
        assert "plansmith stopped" in output, output  # serve's own clean end
        assert not FAILURE.search(output), output  # nor make nor Python reports a failure

    (first, first_key), (second, second_key) = runs
    assert "plansmith demo is ready" in first
    assert "plansmith demo: loaded before, your data is kept as it is" in second
    assert first_key == second_key
    assert (cwd / "var" / "demo_keys.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_plansmith_serve_exits_0_on_a_stop_signal(
    scratch: tuple[Path, dict[str, str]], stop: signal.Signals
) -> None:
    cwd, env = scratch
    port = int(env["PLANSMITH_PORT"])
    log = cwd / "serve.log"
    plansmith_cli = str(cwd / "bin" / "plansmith")
    subprocess.run([plansmith_cli, "db", "upgrade"], cwd=cwd, env=env, check=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [plansmith_cli, "serve"], cwd=cwd, env=env, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_server(process, port, log)
    finally:
        process.send_signal(stop)
        status = process.wait(timeout=60)

    assert status == 0, log.read_text()
    assert "plansmith stopped" in log.read_text()
    assert "Traceback" not in log.read_text()
