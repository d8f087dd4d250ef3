"""Browser tests: the real app under uvicorn on a free port, driven by Debian's Chromium.

Each test gets its own migrated SQLite file, its own server and a TestClock shared by the test
and the server, so links can be made to expire without waiting.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import START

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 5_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@dataclass(frozen=True)
class LiveApp:
    url: str
    container: Plansmith
    clock: TestClock


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveApp]:
    database = tmp_path / "plansmith.sqlite3"
    shutil.copyfile(sqlite_template, database)
    # Bound here and handed to uvicorn, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    clock = TestClock(START)
    settings = Settings(database_url=f"sqlite:///{database}", secret_key="e2e-secret", base_url=url)
    container = bootstrap(settings, clock=clock)
    config = uvicorn.Config(
        create_app(container), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_until_up(f"{url}/healthz")
    yield LiveApp(url, container, clock)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    container.dispose()


def _wait_until_up(health_url: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(health_url, timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the app did not answer at {health_url} within {seconds} s")


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save the whole page as test-artifacts/screenshots/<test>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = request.node.name.removeprefix("test_")

    def take(step: str) -> Path:
        path = SCREENSHOTS / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
