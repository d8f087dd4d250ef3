"""Console sign-in is slowed down after repeated failures, per email and per client address.

Reproduces the attack that worked: 60 wrong passwords in a few seconds, then the right one
let in at once. Time moves only when a test advances the injected clock; nothing sleeps.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.organizations.organizations import create_operator
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.live_server import serving

EMAIL = "ops@acme.example"
PASSWORD = "correct horse battery"
WRONG = "wrong password, again"


@pytest.fixture
def app(container: Plansmith, tenant: Tenant) -> FastAPI:
    create_operator(container.uow(), container.clock, tenant.organization_id, EMAIL, PASSWORD)
    return create_app(container)


def _from(app: FastAPI, address: str = "203.0.113.7") -> TestClient:
    """A browser at this client address."""
    return TestClient(app, client=(address, 50000))


def _sign_in(browser: TestClient, password: str, email: str = EMAIL) -> httpx.Response:
    response: httpx.Response = browser.post(
        "/console/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return response


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    return int(response.headers["retry-after"])


def test_sixty_wrong_passwords_then_the_right_one_waits_for_the_delay(
    app: FastAPI, clock: TestClock
) -> None:
    attacker = _from(app)

    wrong = [_sign_in(attacker, WRONG).status_code for _ in range(60)]
    refused = _sign_in(attacker, PASSWORD)
    wait = _retry_after(refused)
    clock.advance(timedelta(seconds=wait - 1))
    still_refused = _sign_in(attacker, PASSWORD)
    clock.advance(timedelta(seconds=1))
    let_in = _sign_in(attacker, PASSWORD)

    assert wrong == [401] * 5 + [429] * 55  # the sixth attempt is not even checked
    assert wait == 1
    assert "Too many failed sign-in attempts. Wait 1 second, then try again." in refused.text
    assert 'role="alert"' in refused.text and 'name="password"' in refused.text
    assert f'value="{EMAIL}"' in refused.text  # the form keeps what was typed
    assert "set-cookie" not in refused.headers and still_refused.status_code == 429
    assert let_in.status_code == 303 and let_in.headers["location"] == "/console/customers"


def test_the_delay_doubles_up_to_a_minute_so_the_user_gets_in_a_minute_later(
    app: FastAPI, clock: TestClock
) -> None:
    """An attacker spread over many addresses, waiting out each delay, keeps failing: the
    delay per email grows to 60 s and no further, and a refused attempt never extends it."""
    waits = []
    for attempt in range(40):
        response = _sign_in(_from(app, f"198.51.100.{attempt}"), WRONG)
        if response.status_code == 429:
            waits.append(_retry_after(response))
            clock.advance(timedelta(seconds=waits[-1]))
    failed = _sign_in(_from(app, "198.51.100.200"), WRONG)
    hammering = [_sign_in(_from(app, "198.51.100.201"), WRONG) for _ in range(30)]
    clock.advance(timedelta(seconds=59))
    user_too_early = _sign_in(_from(app, "192.0.2.10"), PASSWORD)
    clock.advance(timedelta(seconds=1))
    user = _sign_in(_from(app, "192.0.2.10"), PASSWORD)

    assert waits[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert max(waits) == 60
    assert failed.status_code == 401
    assert {_retry_after(r) for r in hammering} == {60}  # hammering adds no time
    assert _retry_after(user_too_early) == 1
    assert user.status_code == 303


def test_one_address_guessing_at_many_emails_is_slowed_down_alone(app: FastAPI) -> None:
    guesser = _from(app, "203.0.113.50")

    guesses = [_sign_in(guesser, WRONG, f"user{n}@acme.example").status_code for n in range(20)]
    next_guess = _sign_in(guesser, PASSWORD)
    elsewhere = _sign_in(_from(app, "192.0.2.44"), PASSWORD)

    assert guesses == [401] * 20
    assert _retry_after(next_guess) == 1
    assert elsewhere.status_code == 303  # the email itself was never wrong


def test_a_success_starts_the_count_again_and_does_not_count_against_the_address(
    app: FastAPI,
) -> None:
    office = _from(app, "2001:db8:1:2::10")
    colleague = _from(app, "2001:db8:1:2::99")  # the same /64: the same client address

    before = [_sign_in(office, WRONG).status_code for _ in range(4)]
    others = [_sign_in(office, WRONG, f"x{n}@acme.example").status_code for n in range(15)]
    success = _sign_in(colleague, PASSWORD)
    after = [_sign_in(office, WRONG).status_code for _ in range(2)]

    assert before == [401] * 4 and others == [401] * 15
    assert success.status_code == 303
    # 19 failures from the /64 before the success, 20 after the first of these: then refused
    assert after == [401, 429]


def test_each_failure_is_logged_with_the_email_and_address_never_the_password(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    attacker = _from(app, "203.0.113.9")

    with caplog.at_level(logging.WARNING, logger="plansmith.sign_in"):
        for _ in range(6):
            _sign_in(attacker, WRONG, "  OPS@acme.example ")

    lines = [r.getMessage() for r in caplog.records if r.name == "plansmith.sign_in"]
    assert len(lines) == 6
    assert all("'ops@acme.example'" in line and "203.0.113.9" in line for line in lines)
    assert [("failed" in line, "refused" in line) for line in lines] == [(True, False)] * 5 + [
        (False, True)
    ]
    assert not any(WRONG in line for line in lines)


def test_twenty_wrong_passwords_sent_at_once_get_five_checks(
    container: Plansmith, app: FastAPI
) -> None:
    """Every attempt is counted before its password is checked, holding the throttle rows,
    so attempts sent together cannot all pass the check before the first failure is saved."""
    n = 20
    barrier = threading.Barrier(n)

    def one(_: int) -> int:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait()
            response = http.post("/console/login", data={"email": EMAIL, "password": WRONG})
            return response.status_code

    with serving(lambda _url: app) as base_url, ThreadPoolExecutor(n) as pool:
        statuses = sorted(pool.map(one, range(n)))

    assert statuses == [401] * 5 + [429] * 15
