"""Webhooks in the console, in Chromium 360 px wide against the real server: an operator adds
an endpoint (the signing secret shown once), sees a delivery fail twice and wait for its
retry (a real receiver answering 500 twice, then 200), replays it, and sees it delivered; the
receiver checked every signature with the standardwebhooks library."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from plansmith.adapters.clock import TestClock
from plansmith.application.organizations.organizations import create_operator, create_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import START
from tests.e2e.conftest import LiveApp
from tests.integration.webhook_receiver import receiving
from tests.integration.webhook_support import publish_payments, relay_all
from tests.live_server import serving

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
EMAIL, PASSWORD = "ops@acme.example", "correct horse battery"


@pytest.fixture
def webhook_app(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveApp]:
    """The live server, with endpoints on 127.0.0.1 allowed (the receiver is local)."""
    database = tmp_path / "plansmith.sqlite3"
    shutil.copyfile(sqlite_template, database)
    clock = TestClock(START)
    built: list[Plansmith] = []

    def make_app(url: str) -> FastAPI:
        settings = Settings(
            database_url=f"sqlite:///{database}",
            secret_key="e2e-secret",
            base_url=url,
            webhooks_allow_private=True,
        )
        built.append(bootstrap(settings, clock=clock))
        return create_app(built[0])

    with serving(make_app) as url:
        yield LiveApp(url, built[0], clock)
    built[0].dispose()


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide at a 360 px viewport"


def _deliver(app: Plansmith) -> int:
    relay_all(app)
    worker = app.delivery_worker()
    try:
        return worker.run_until_idle()
    finally:
        worker.sender.close()


def test_add_an_endpoint_see_failed_retries_and_replay_at_360_px(
    webhook_app: LiveApp, page: Page, screenshot: Shot
) -> None:
    app, clock = webhook_app.container, webhook_app.clock
    organization = create_organization(app.uow(), clock, "Acme Operator")
    create_operator(app.uow(), clock, organization.id, EMAIL, PASSWORD)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{webhook_app.url}/console/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{webhook_app.url}/console/settings")
    page.get_by_role("link", name="Webhooks: where events are sent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

    with receiving(script=[500, 500]) as receiver:
        page.get_by_label("URL").fill("https://127.0.0.1:1/not-a-receiver")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("Books")
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_role("heading", name="Endpoint added")).to_be_visible()
        secret = page.locator("#new-secret").input_value()
        assert secret.startswith("whsec_")
        receiver.secrets.append(secret)
        _fits(page)
        screenshot("1-added")

        publish_payments(app, organization.id, 1)
        assert _deliver(app) == 1  # 500
        clock.advance(timedelta(seconds=6))
        assert _deliver(app) == 1  # 500 again; the next retry in about 5 minutes
        page.get_by_role("link", name="Open the endpoint").click()
        row = page.locator("#delivery-log tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("payment.succeeded")
        expect(row).to_contain_text("Retrying")
        expect(row.locator(".attempt")).to_have_count(2)
        expect(row.locator(".attempt-status")).to_have_text(["500", "500"])
        expect(row).to_contain_text("answer 500")
        _fits(page)
        screenshot("2-retrying")

        row.get_by_role("button", name="Replay").click()
        expect(page.get_by_role("status")).to_have_text(
            "The delivery is sent again now, with a new round of retries."
        )
        assert _deliver(app) == 1  # 200
        page.reload()
        row = page.locator("#delivery-log tbody tr")
        expect(row).to_contain_text("Delivered")
        expect(row.locator(".attempt-status")).to_have_text(["500", "500", "200"])
        _fits(page)
        screenshot("3-delivered")

    assert [r.answered for r in receiver.got] == [500, 500, 200]
    assert len({r.webhook_id for r in receiver.got}) == 1
    assert all(r.verified_by == (0,) for r in receiver.got)


def test_a_url_into_the_private_network_is_refused_in_the_form(
    live_app: LiveApp, page: Page
) -> None:
    app, clock = live_app.container, live_app.clock
    organization = create_organization(app.uow(), clock, "Acme Operator")
    create_operator(app.uow(), clock, organization.id, EMAIL, PASSWORD)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_app.url}/console/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_app.url}/console/settings/webhooks")
    page.get_by_label("URL").fill("https://169.254.169.254/latest/meta-data")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#endpoint-url-error")).to_contain_text("private network")
    expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()
    _fits(page)
