"""The real production process set on one machine, for fault injection: `plansmith serve`
(the API; its own relay and delivery threads off, so they can be killed on their own), a
`plansmith worker` on Redis (billing and collection jobs), `plansmith events relay` (the
outbox) and `plansmith events deliver` (webhooks), all on one database (a PostgreSQL database,
or a SQLite file), plus a local webhook receiver whose answer is switched at run time.

The schema is made with `plansmith db upgrade` (unless the database is migrated already);
the organization and its live secret key by the tests' own helper (tests/conftest.py's
make_tenant, the use cases `plansmith org create` and `plansmith key create` run), in this
process: each CLI command costs seconds of imports on a busy machine. Every process is
started from this checkout's sources (PYTHONPATH), in its own process group: kill() sends
SIGKILL to the whole group, as a service manager stopping a unit would, so a server's uvicorn
workers go with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.simulation.receiver import WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
CLI = "from plansmith.entrypoints.cli.main import main; main()"
NAMES = ("server", "worker", "relay", "webhooks")
START_SECONDS = 90.0  # a server's start on a busy 2-core machine
LEASES = {  # short leases: a killed process's work is taken over within seconds
    "PLANSMITH_RELAY_LEASE_SECONDS": "2",
    "PLANSMITH_WEBHOOKS_LEASE_SECONDS": "3",
    "PLANSMITH_IDEMPOTENCY_LEASE_SECONDS": "3",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        redis_url: str | None = None,
        server_workers: int = 1,
    ) -> None:
        self.database_url, self.folder = database_url, folder
        self.redis_url, self.server_workers = redis_url, server_workers
        self.namespace = f"plansmith-sim-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.receiver = WebhookReceiver()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.organization_id = ""
        self.live_key = ""
        self.kills: list[str] = []  # what was killed, in order, for the test's report

    # -- the environment and the commands -------------------------------------------------

    def env(self, name: str) -> dict[str, str]:
        paths = [str(ROOT / "src"), str(ROOT)]
        env = {
            **os.environ,
            **LEASES,
            "PYTHONPATH": os.pathsep.join(paths),
            "DATABASE_URL": self.database_url,
            "PLANSMITH_SECRET_KEY": "simulation",
            "PLANSMITH_BASE_URL": self.base_url,
            "PLANSMITH_WEBHOOKS_ALLOW_PRIVATE": "true",  # the receiver is on 127.0.0.1
            "PLANSMITH_MAIL_FOLDER": str(self.folder / "mail"),
            "PLANSMITH_JOB_NAMESPACE": self.namespace,
            # The relay and the deliveries run in their own processes only.
            "PLANSMITH_RELAY_EVERY_SECONDS": "0",
            "PLANSMITH_WEBHOOKS_EVERY_SECONDS": "0",
        }
        env.pop("PLANSMITH_REDIS_URL", None)
        if self.redis_url is not None:
            env["PLANSMITH_REDIS_URL"] = self.redis_url
        return env

    def cli(self, *args: str) -> str:
        """A one-off `plansmith` command; what it printed."""
        done = subprocess.run(
            [sys.executable, "-c", CLI, *args],
            cwd=self.folder,
            env=self.env("cli"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"plansmith {' '.join(args)}: {done.stderr}"
        return done.stdout

    def _command(self, name: str) -> list[str]:
        if name == "server":
            return [
                *("serve", "--host", "127.0.0.1", "--port", str(self.port)),
                *("--workers", str(self.server_workers), "--renewals-every", "5"),
            ]
        if name == "worker":
            return ["worker"]
        if name == "relay":
            return ["events", "relay", "--every", "0.2"]
        return ["events", "deliver", "--every", "0.2"]

    # -- the life of the set ----------------------------------------------------------------

    def start(self, organization: str = "Simulation Operator", *, migrate: bool = True) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if migrate:
            self.cli("db", "upgrade")
        self._operator(organization)
        self.receiver.start()
        for name in NAMES:
            if name != "worker" or self.redis_url is not None:
                self._spawn(name)
        self.wait_healthy()

    def _operator(self, name: str) -> None:
        """A live organization and its secret key, as `plansmith org create` and `plansmith
        key create` make them (the same use cases)."""
        from plansmith.bootstrap import Settings, bootstrap
        from tests.conftest import make_tenant

        app = bootstrap(Settings(database_url=self.database_url, secret_key="simulation"))
        try:
            tenant = make_tenant(app, name)
        finally:
            app.dispose()
        self.organization_id, self.live_key = tenant.organization_id, tenant.api_key

    def _spawn(self, name: str) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-c", CLI, *self._command(name)],
            cwd=self.folder,
            env=self.env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started; wait until it is gone."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        self.kills.append(name)

    def restart(self, name: str) -> None:
        if self.processes[name].poll() is None:
            self.kill(name)
        self._spawn(name)
        if name == "server":
            self.wait_healthy()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            server = self.processes["server"]
            if server.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log('server')}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /healthz: {self.log('server')}")

    def alive(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self.processes.items()}

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM each process group (a clean stop), SIGKILL what did not end in 20 s."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.receiver.stop()
        if self.redis_url is not None:
            self._forget_jobs()

    def _forget_jobs(self) -> None:
        """Drop this run's Redis keys (its own namespace) so nothing is left for later runs."""
        import redis

        client = redis.Redis.from_url(self.redis_url or "")
        try:
            keys = list(client.scan_iter(match=f"{self.namespace}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
