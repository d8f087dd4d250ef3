"""A revoked or rolled-away key is refused at once by every server process, on SQLite and
PostgreSQL: one server in this process revokes, another one (`plansmith serve`, a separate OS
process over the same database) answers 401 to the very next request.

The second server has already accepted the key before, so a cache of keys anywhere in it would
show up here as a 200.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.live_server import serving

SECRET = "processes-test-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def other_process(db_url: str, tmp_path: Path) -> Iterator[str]:
    """`plansmith serve` in its own OS process over the test's database; its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "PLANSMITH_SECRET_KEY": SECRET}
    command = [
        sys.executable,
        "-c",
        "from plansmith.entrypoints.cli.main import app; app()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--renewals-every",
        "0",
    ]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"plansmith serve exited: {log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"plansmith serve did not start: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def this_process(db_url: str) -> Iterator[tuple[str, Plansmith]]:
    """The app served from this test's process, on the wall clock like the other one."""
    built: list[Plansmith] = []

    def make_app(url: str) -> FastAPI:
        settings = Settings(database_url=db_url, secret_key=SECRET, base_url=url)
        built.append(bootstrap(settings))
        return create_app(built[0])

    with serving(make_app) as url:
        yield url, built[0]
    built[0].dispose()


def _get(base: str, secret: str) -> int:
    headers = {"Authorization": f"Bearer {secret}"}
    return httpx.get(f"{base}/v1/organization", headers=headers, timeout=10).status_code


def test_a_key_revoked_in_one_process_is_refused_by_another_at_once(
    this_process: tuple[str, Plansmith], other_process: str
) -> None:
    here, container = this_process
    organization = create_organization(container.uow(), container.clock, "Acme")
    admin = create_api_key(container.uow(), container.clock, organization.id, "admin")
    leaked = create_api_key(container.uow(), container.clock, organization.id, "leaked")
    assert (_get(here, leaked.secret), _get(other_process, leaked.secret)) == (200, 200)

    revoked = httpx.post(
        f"{here}/v1/api_keys/{leaked.key.id}/revoke",
        headers={"Authorization": f"Bearer {admin.secret}"},
    )

    assert revoked.status_code == 200, revoked.text
    assert _get(other_process, leaked.secret) == 401
    assert _get(here, leaked.secret) == 401
    assert _get(other_process, admin.secret) == 200


def test_a_key_rolled_without_overlap_in_one_process_is_refused_by_another_at_once(
    this_process: tuple[str, Plansmith], other_process: str
) -> None:
    here, container = this_process
    organization = create_organization(container.uow(), container.clock, "Acme")
    old = create_api_key(container.uow(), container.clock, organization.id, "backend")
    assert _get(other_process, old.secret) == 200

    rolled = httpx.post(
        f"{other_process}/v1/api_keys/{old.key.id}/roll",
        json={"expires_in": 0},
        headers={"Authorization": f"Bearer {old.secret}"},
    )

    assert rolled.status_code == 201, rolled.text
    assert _get(here, old.secret) == 401
    assert _get(other_process, old.secret) == 401
    assert _get(here, rolled.json()["new_key"]["secret"]) == 200
