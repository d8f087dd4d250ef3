"""Every page of the portal and the console, walked from the app's own route table (the GET
pages, the pages that answer a form sent in the browser, the error pages), on a phone
(390×844), on a laptop (1366×800) and on a phone in Arabic (right to left): the page is no wider
than the screen, every money amount is on screen and not cut off, and axe-core finds no serious
or critical accessibility violation. Screenshots of every page are kept under
test-artifacts/screenshots/pages/<size>/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from plansmith.entrypoints.web import create_app
from tests.e2e.conftest import CHECKS_REQUIRED, SCREENSHOTS, TIMEOUT_MS, LiveApp, checks_required
from tests.e2e.every_page_support import (
    AXE,
    OPEN_EVERYTHING,
    axe_violations,
    choose_language,
    layout_problems,
    page_routes,
    screenshot_path,
    seed_world,
    sign_in,
    visits,
)
from tests.e2e.every_post_support import (
    ERROR_PAGES,
    POSTED,
    post_routes,
    send_forms,
    unclassified,
)

pytestmark = pytest.mark.browser

# name: (width, height, the language chosen with the pages' language switch)
SIZES = {
    "390x844": (390, 844, "en"),
    "1366x800": (1366, 800, "en"),
    "390x844-ar": (390, 844, "ar"),
}


@pytest.fixture
def axe() -> None:
    if not AXE.exists():
        reason = f"{AXE} is missing (npm ci installs axe-core from package-lock.json)"
        if checks_required():
            pytest.fail(f"{CHECKS_REQUIRED} but {reason}")
        pytest.skip(reason)


def _context(browser: Browser, size: str) -> BrowserContext:
    width, height, _language = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _checked(page: Page, size: str, where: str, label: str) -> list[str]:
    """The page's problems: direction, layout, amounts, axe; and its screenshot."""
    problems = []
    if size.endswith("-ar"):
        direction = page.locator("html").get_attribute("dir")
        if direction != "rtl":
            problems.append(f"{where}: <html dir={direction!r}>, not right to left")
    page.evaluate(OPEN_EVERYTHING)
    problems += [f"{where}: {found}" for found in layout_problems(page)]
    page.screenshot(path=str(screenshot_path(size, label)), full_page=True)
    return problems + [
        f"{where}: axe {v['impact']} {v['rule']} at {v['target']}: {v['help']} [{v['html']}]"
        for v in axe_violations(page)
    ]


def test_every_post_route_is_walked_or_answers_no_page(live_app: LiveApp) -> None:
    """A POST route added tomorrow fails here until the walk sends its form or NO_PAGE says
    why it answers no page."""
    app = create_app(live_app.container)
    assert len(post_routes(app)) >= 20, post_routes(app)
    assert not unclassified(app), "\n".join(unclassified(app))


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_the_screen_shows_its_amounts_and_passes_axe(
    size: str, axe: None, live_app: LiveApp, browser: Browser
) -> None:
    app = create_app(live_app.container)
    assert not unclassified(app), "\n".join(unclassified(app))
    world = seed_world(app, live_app.container)
    walk = visits(page_routes(app), world.ids)
    assert len(walk) >= 15, f"the route table walk found too few pages: {walk}"

    signed_in, signed_out = _context(browser, size), _context(browser, size)
    pages = {True: signed_in.new_page(), False: signed_out.new_page()}
    sign_in(pages[True], live_app.url, live_app.container, world)
    for page in pages.values():  # the customer's choice, kept in a cookie for every page
        choose_language(page, live_app.url, SIZES[size][2])
    problems: list[str] = []
    checked = {"GET": 0, "POST": 0, "error": 0}
    try:
        for visit in walk:
            page = pages[visit.signed_in]
            where = f"{visit.url} ({visit.label}) at {size}"
            try:
                response = page.goto(live_app.url + visit.url)
            except PlaywrightError as error:  # a file to download (an export): no page
                if "Download is starting" in str(error):
                    continue
                raise
            if response is None or response.status != 200:
                problems.append(f"{where}: answered {response and response.status}")
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue  # a download or data for a page (CSV, JSON): no page to check
            checked["GET"] += 1
            problems += _checked(page, size, where, visit.label)
        for error_page in ERROR_PAGES:
            page = pages[error_page.signed_in]
            where = f"{error_page.url} ({error_page.label}) at {size}"
            response = page.goto(live_app.url + error_page.url)
            if response is None or response.status != error_page.status:
                problems.append(f"{where}: answered {response and response.status}")
                continue
            checked["error"] += 1
            problems += _checked(page, size, where, error_page.label)
        for posted in POSTED:
            page = pages[posted.signed_in]
            where = f"POST {posted.route} ({posted.label}) at {size}"
            answer = send_forms(page, live_app.url, posted, world.ids)
            if isinstance(answer, str):
                problems.append(f"{where}: {answer}")
                continue
            if answer.status != posted.status:
                problems.append(f"{where}: answered {answer.status}, not {posted.status}")
                continue
            checked["POST"] += 1
            problems += _checked(page, size, where, posted.label)
    finally:
        signed_in.close()
        signed_out.close()
    print(f"pages checked at {size}: {checked}")
    assert checked["GET"] >= 15, f"only {checked['GET']} of {len(walk)} routes answered a page"
    summary = f"{len(problems)} problems on {sum(checked.values())} pages ({checked}):"
    assert not problems, "\n".join([summary, *problems])
    assert checked["POST"] == len(POSTED) and checked["error"] == len(ERROR_PAGES)


def _in_view(page: Page, link: Locator) -> bool:
    box = link.bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_on_a_phone_the_menu_button_opens_and_closes_the_navigation(
    live_app: LiveApp, browser: Browser
) -> None:
    world = seed_world(create_app(live_app.container), live_app.container)
    phone = _context(browser, "390x844")
    page = phone.new_page()
    sign_in(page, live_app.url, live_app.container, world)
    page.goto(f"{live_app.url}/portal/")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Invoices")).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Account", "Plans", "Invoices"):
        link = nav.get_by_role("link", name=name)
        expect(link).to_be_visible()
        assert _in_view(page, link), f"{name} is outside the screen"
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-menu-open.png"))
    nav.get_by_role("link", name="Invoices").click()
    expect(page).to_have_url(f"{live_app.url}/portal/invoices")
    expect(menu).to_have_attribute("aria-expanded", "false")  # a new page starts closed

    menu.click()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Plans")).to_be_hidden()
    expect(menu).to_be_focused()
    phone.close()

    laptop = _context(browser, "1366x800")
    page = laptop.new_page()
    sign_in(page, live_app.url, live_app.container, world)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog")
    ).to_be_visible()
    laptop.close()


def test_without_the_script_the_navigation_wraps_on_a_phone_and_stays_usable(
    live_app: LiveApp, browser: Browser
) -> None:
    world = seed_world(create_app(live_app.container), live_app.container)
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, live_app.url, live_app.container, world)  # lands on the console's customers
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Customers", "Catalog", "Invoices", "Billing runs", "API keys"):
        link = nav.get_by_role("link", name=name)
        expect(link).to_be_visible()
        assert _in_view(page, link), f"{name} is outside the screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-navigation-without-script.png"))
    nav.get_by_role("link", name="Billing runs").click()
    expect(page).to_have_url(f"{live_app.url}/console/billing-runs")
    context.close()


ARABIC_AMOUNT = "\u0661\u0662\u066b\u0660\u0660\u00a0\u20ac"  # 12.00 EUR as Arabic writes it


def test_the_layout_check_finds_money_by_its_text_without_the_amount_class(page: Page) -> None:
    """The check itself: an amount with no class (a currency sign or an ISO code next to
    digits, Western or Arabic-Indic) that is off the screen or cut off is reported; words and
    codes that are not money are not."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(
        "<body style='margin:0'><p>Total: €12.00 and order ABC 123 for version 2</p>"
        "<p style='white-space:nowrap'>" + "x " * 60 + "then EUR 1,234.56 here</p>"
        "<div style='overflow:hidden;width:100px'><p style='white-space:nowrap'>"
        "Due at the end of this month: " + ARABIC_AMOUNT + "</p></div>"
        "<p hidden>€99.00 in a hidden template</p></body>"
    )
    found = layout_problems(page)
    assert any("EUR 1,234.56" in p and "outside the viewport" in p for p in found), found
    assert any(ARABIC_AMOUNT in p and "cut off by div" in p for p in found), found
    assert not any("€12.00" in p or "ABC" in p or "€99.00" in p for p in found), found
