"""`plansmith serve` as a real process tree, seen through Linux's /proc: its worker processes,
the threads each one runs, and which worker accepted a given TCP connection."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-c", "from plansmith.entrypoints.cli.main import app; app()"]
START_SECONDS = 90  # a loaded 2-core machine starting three interpreters


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int
    cwd: Path
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def workers(self) -> set[int]:
        """uvicorn's worker processes: spawned children (not multiprocessing's tracker)."""
        return {pid for pid in children(self.process.pid) if "spawn_main" in cmdline(pid)}

    def cli(self, *args: str) -> str:
        """Run a `plansmith` command beside the server (same directory and environment)."""
        done = subprocess.run(
            [*CLI, *args], cwd=self.cwd, env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@contextmanager
def serve(cwd: Path, database_url: str, *args: str, **env: str) -> Iterator[Server]:
    """`plansmith serve ARGS` on a free port, in cwd, with no PLANSMITH_SECRET_KEY: yields once
    /healthz answers; kills whatever is left at the end (a test that stops it checks how)."""
    port = free_port()
    unset = ("PLANSMITH_SECRET_KEY", "PLANSMITH_WORKERS")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(
        DATABASE_URL=database_url, PLANSMITH_BASE_URL=f"http://127.0.0.1:{port}", **env
    )
    command = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    log = cwd / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(process, port, cwd, environment, log)
    try:
        _wait_for_health(server)
        yield server
    finally:
        everyone = descendants(process.pid)
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in everyone:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def _wait_for_health(server: Server) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"plansmith serve exited: {server.output()}")
        try:
            if get(server, "/healthz").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"plansmith serve did not answer /healthz: {server.output()}")
        time.sleep(0.1)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    pid: int  # of the process that accepted the connection

    def json(self) -> Any:
        return json.loads(self.body)


def get(server: Server, path: str) -> Answer:
    return request(server, "GET", path)


def request(server: Server, method: str, path: str, body: object = None, token: str = "") -> Answer:
    """One request (body: sent as JSON) on a new connection, and which process accepted it,
    looked up while the connection is still open."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.connect()
        assert connection.sock is not None
        client_port: int = connection.sock.getsockname()[1]
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        sent = None if body is None else json.dumps(body)
        connection.request(method, path, body=sent, headers=headers)
        response = connection.getresponse()
        content = response.read()
        pid = _accepting_pid(server, client_port)
        fields = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, fields, content, pid)
    finally:
        connection.close()


def _accepting_pid(server: Server, client_port: int) -> int:
    """The process holding the server's end of the connection from client_port."""
    inode = _socket_inode(server.port, client_port)
    link = f"socket:[{inode}]"
    for pid in [server.process.pid, *descendants(server.process.pid)]:
        fds = Path(f"/proc/{pid}/fd")
        try:
            if any(os.readlink(fd) == link for fd in fds.iterdir()):
                return pid
        except OSError:
            continue
    raise AssertionError(f"no process of the server holds the connection from :{client_port}")


def _socket_inode(local_port: int, remote_port: int) -> str:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == (
            remote_port
        ):
            return inode
    raise AssertionError(f"no socket from :{remote_port} to :{local_port} in /proc/net/tcp")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = children(pid)
    while todo:
        child = todo.pop()
        if child not in found:
            found.add(child)
            todo += children(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def thread_names(pid: int) -> list[str]:
    names: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            names.append((task / "comm").read_text().strip())
        except OSError:
            continue
    return sorted(names)


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited child not yet reaped has nothing left to run)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
