"""The console's sandbox pages in Chromium on a phone (360 px, English and Arabic) and a
laptop (review item 15): the list with its Delete link, the "Already created" answer to a form
sent twice, and the Delete confirmation fit the screen and pass axe-core; Delete is two clicks,
the first only asks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from plansmith.application.organizations.organizations import create_operator
from plansmith.application.organizations.sandboxes import create_sandbox
from tests.conftest import make_tenant
from tests.e2e.conftest import TIMEOUT_MS, LiveApp
from tests.e2e.every_page_support import (
    AXE,
    axe_violations,
    choose_language,
    layout_problems,
    screenshot_path,
)

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "ops@sandboxes.example", "correct horse battery"
SIZES = {"360x740": (360, 740, "en"), "360x740-ar": (360, 740, "ar"), "1366x800": (1366, 800, "en")}


def _checked(page: Page, size: str, label: str) -> list[str]:
    page.screenshot(path=str(screenshot_path(size, f"sandboxes-{label}")), full_page=True)
    found = [f"{label}: {p}" for p in layout_problems(page)]
    if AXE.exists():
        found += [
            f"{label}: axe {v['impact']} {v['rule']} at {v['target']}: {v['help']}"
            for v in axe_violations(page)
        ]
    if size.endswith("-ar") and page.locator("html").get_attribute("dir") != "rtl":
        found.append(f"{label}: not right to left")
    return found


@pytest.mark.parametrize("size", SIZES)
def test_sandbox_pages_fit_pass_axe_and_delete_takes_a_confirmation(
    size: str, live_app: LiveApp, browser: Browser
) -> None:
    container = live_app.container
    tenant = make_tenant(container, "Sandbox Pages Operator")
    create_operator(container.uow(), container.clock, tenant.organization_id, EMAIL, PASSWORD)
    old = create_sandbox(
        container.uow(), container.clock, tenant.organization_id, label="Nightly run " + "9" * 40
    ).organization
    width, height, language = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    url = live_app.url
    choose_language(page, url, language)
    page.goto(f"{url}/console/login")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{url}/console/customers")
    problems: list[str] = []
    try:
        page.goto(f"{url}/console/sandboxes")
        problems += _checked(page, size, "list")

        page.locator("#sandbox-name").fill("Made twice")
        page.locator("#create-sandbox button[type=submit]").click()
        page.wait_for_selector("#sandbox-secret")
        page.reload()  # the browser sends the same form again
        page.wait_for_selector("#already-created")
        assert page.locator("#sandbox-secret").count() == 0
        assert page.locator("#sandboxes tbody tr").count() == 2
        problems += _checked(page, size, "already-created")

        page.locator(f'a[href="/console/sandboxes/{old.id}/delete"]').click()
        page.wait_for_url(f"{url}/console/sandboxes/{old.id}/delete")
        problems += _checked(page, size, "delete")
        assert page.locator("#confirm-heading").is_visible()

        page.locator("form[action$='/delete'] button[type=submit]").click()
        page.wait_for_url(f"{url}/console/sandboxes?done=deleted")
        assert page.locator(f'tr[id="{old.id}"]').count() == 0
        assert page.locator("#sandboxes tbody tr").count() == 1
    finally:
        context.close()
    assert not problems, "\n".join(problems)
