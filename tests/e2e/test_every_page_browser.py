"""Every page of the portal and the console, walked from the app's own route table, on a phone
(390×844), on a laptop (1366×800) and on a phone in Arabic (right to left): the page is no wider
than the screen, every money amount is on screen and not cut off, and axe-core finds no serious
or critical accessibility violation. Screenshots of every page are kept under
test-artifacts/screenshots/pages/<size>/.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, BrowserContext

from plansmith.entrypoints.web import create_app
from tests.e2e.conftest import TIMEOUT_MS, LiveApp
from tests.e2e.every_page_support import (
    AXE,
    OPEN_EVERYTHING,
    axe_violations,
    layout_problems,
    page_routes,
    screenshot_path,
    seed_world,
    sign_in,
    visits,
)

pytestmark = pytest.mark.browser

# name: (width, height, the browser's language)
SIZES = {
    "390x844": (390, 844, "en-US"),
    "1366x800": (1366, 800, "en-US"),
    "390x844-ar": (390, 844, "ar-KW"),
}


@pytest.fixture
def axe() -> None:
    if not AXE.exists():
        reason = f"{AXE} is missing (npm ci installs axe-core from package-lock.json)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


def _context(browser: Browser, size: str) -> BrowserContext:
    width, height, locale = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_the_screen_shows_its_amounts_and_passes_axe(
    size: str, axe: None, live_app: LiveApp, browser: Browser
) -> None:
    app = create_app(live_app.container)
    world = seed_world(app, live_app.container)
    walk = visits(page_routes(app), world.ids)
    assert len(walk) >= 15, f"the route table walk found too few pages: {walk}"

    signed_in, signed_out = _context(browser, size), _context(browser, size)
    pages = {True: signed_in.new_page(), False: signed_out.new_page()}
    sign_in(pages[True], live_app.url, live_app.container, world)
    problems: list[str] = []
    try:
        for visit in walk:
            page = pages[visit.signed_in]
            where = f"{visit.url} ({visit.label}) at {size}"
            response = page.goto(live_app.url + visit.url)
            if response is None or response.status != 200:
                problems.append(f"{where}: answered {response and response.status}")
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                problems.append(f"{where}: not an HTML page")
                continue
            if size.endswith("-ar"):
                direction = page.locator("html").get_attribute("dir")
                if direction != "rtl":
                    problems.append(f"{where}: <html dir={direction!r}>, not right to left")
            page.evaluate(OPEN_EVERYTHING)
            problems += [f"{where}: {found}" for found in layout_problems(page)]
            page.screenshot(path=str(screenshot_path(size, visit.label)), full_page=True)
            problems += [
                f"{where}: axe {v['impact']} {v['rule']} at {v['target']}: {v['help']} "
                f"[{v['html']}]"
                for v in axe_violations(page)
            ]
    finally:
        signed_in.close()
        signed_out.close()
    assert not problems, f"{len(problems)} problems on {len(walk)} pages:\n" + "\n".join(problems)
