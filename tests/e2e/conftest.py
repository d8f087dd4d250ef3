"""Browser tests: the real app under uvicorn on a free port, driven by Debian's Chromium.

Each test gets its own migrated SQLite file, its own server and a TestClock shared by the test
and the server, so links can be made to expire without waiting.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import START
from tests.live_server import serving

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
# `make test` sets this: the browser checks must run there, a missing tool fails (as under CI).
CHECKS_REQUIRED = "PLANSMITH_BROWSER_CHECKS=required"


def checks_required() -> bool:
    """True under CI=true or PLANSMITH_BROWSER_CHECKS=required: a browser check that cannot
    run fails instead of skipping."""
    required = os.environ.get("PLANSMITH_BROWSER_CHECKS", "").lower() == "required"
    return required or os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if checks_required():
            pytest.fail(f"CI=true or {CHECKS_REQUIRED}, but {reason}")
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
    clock = TestClock(START)
    built: list[Plansmith] = []

    def make_app(url: str) -> FastAPI:
        settings = Settings(
            database_url=f"sqlite:///{database}", secret_key="e2e-secret", base_url=url
        )
        built.append(bootstrap(settings, clock=clock))
        return create_app(built[0])

    with serving(make_app) as url:
        yield LiveApp(url, built[0], clock)
    built[0].dispose()


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
