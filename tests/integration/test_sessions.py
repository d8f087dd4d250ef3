"""Sessions the server ends: sign-out, a new password, a removed user; portal links used once.

Each test reproduces a weakness of the signed-cookie sessions: a copy of the cookie taken
before sign-out kept working until its expiry, and a portal link opened the portal as often
as anyone visited it until it expired.
"""

from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select, text

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import make_engine
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.organizations.console_users import remove_operator, set_operator_password
from plansmith.application.organizations.organizations import create_operator, create_portal_link
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.live_server import serving

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


def _account(container: Plansmith, tenant: Tenant) -> Account:
    data = AccountInput(name="Acme Chat", email="billing@acme.example", currency="USD")
    return open_account(container.uow(), container.clock, tenant.organization_id, data)


def _link(container: Plansmith, account: Account) -> str:
    link = create_portal_link(
        container.uow(), container.clock, container.signer, account.organization_id, account.id
    )
    return f"/portal/enter?token={link.token}"


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _browser(container: Plansmith) -> TestClient:
    return TestClient(create_app(container))


def _count(container: Plansmith, table: Table) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _sign_in(browser: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    response: httpx.Response = browser.post(
        "/console/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return response


def _operator(container: Plansmith, tenant: Tenant, email: str = "ops@acme.example") -> str:
    create_operator(container.uow(), container.clock, tenant.organization_id, email, PASSWORD)
    return email


def _copy_cookie(source: TestClient, name: str, into: TestClient) -> None:
    into.cookies.set(name, source.cookies[name], path="/portal" if "portal" in name else "/console")


# -- portal: sign-out ends the session for every copy of the cookie ------------------------------


def test_a_copied_portal_cookie_gets_the_signed_out_page_after_sign_out(
    container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant)
    with _browser(container) as customer, _browser(container) as copy:
        page = customer.get(_link(container, account))
        _copy_cookie(customer, "plansmith_portal", copy)
        assert copy.get("/portal/").status_code == 200  # the copy works while signed in

        out = customer.post(
            "/portal/sign-out", data={"csrf_token": _csrf(page)}, follow_redirects=False
        )
        copied = copy.get("/portal/")
        copied_post = copy.post("/portal/addresses", data={"csrf_token": _csrf(page)})

    assert out.status_code == 303 and out.headers["location"] == "/portal/signed-out"
    for response in (copied, copied_post):
        assert response.status_code == 401
        assert "You have signed out" in response.text and "Acme Chat" not in response.text
    assert _count(container, t.invoice_addresses) == 0


def test_the_cookie_is_a_random_secret_and_only_its_digest_is_stored(
    container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant)
    with _browser(container) as customer:
        customer.get(_link(container, account))
        secret = customer.cookies["plansmith_portal"]

    with container.engine.connect() as connection:
        rows = connection.execute(select(t.web_sessions)).all()
    assert len(rows) == 1 and rows[0].kind == "portal" and rows[0].account_id == account.id
    assert rows[0].secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in rows[0])


# -- console: sign-out, a new password, a removed user -------------------------------------------


def test_a_copied_console_cookie_is_sent_to_sign_in_after_sign_out(
    container: Plansmith, tenant: Tenant
) -> None:
    email = _operator(container, tenant)
    with _browser(container) as operator, _browser(container) as copy:
        assert _sign_in(operator, email).status_code == 303
        _copy_cookie(operator, "plansmith_console", copy)
        page = operator.get("/console/customers")
        assert copy.get("/console/customers").status_code == 200

        operator.post("/console/logout", data={"csrf_token": _csrf(page)})
        copied = copy.get("/console/customers", follow_redirects=False)
        copied_post = copy.post(
            f"/console/customers/{_account(container, tenant).id}/portal-link",
            data={"csrf_token": _csrf(page)},
            follow_redirects=False,
        )

    for response in (copied, copied_post):
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert _count(container, t.portal_links) == 0  # no link was made by the copy


def test_a_new_password_ends_every_session_of_that_user_only(
    container: Plansmith, tenant: Tenant
) -> None:
    email = _operator(container, tenant)
    other = _operator(container, tenant, "second@acme.example")
    with _browser(container) as laptop, _browser(container) as phone, _browser(container) as peer:
        for browser, who in ((laptop, email), (phone, email), (peer, other)):
            assert _sign_in(browser, who).status_code == 303

        ended = set_operator_password(container.uow(), container.clock, email.upper(), NEW_PASSWORD)
        laptop_after = laptop.get("/console/customers", follow_redirects=False)
        phone_after = phone.get("/console/customers", follow_redirects=False)
        peer_after = peer.get("/console/customers", follow_redirects=False)
        old_password = _sign_in(laptop, email, PASSWORD)
        new_password = _sign_in(laptop, email, NEW_PASSWORD)

    assert ended == 2
    for response in (laptop_after, phone_after):
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert peer_after.status_code == 200  # another user's session is left alone
    assert old_password.status_code == 401 and new_password.status_code == 303


def test_a_short_new_password_is_refused_and_changes_nothing(
    container: Plansmith, tenant: Tenant
) -> None:
    email = _operator(container, tenant)
    with _browser(container) as operator:
        _sign_in(operator, email)
        with pytest.raises(InvalidValue) as refused:
            set_operator_password(container.uow(), container.clock, email, "too short")
        still = operator.get("/console/customers", follow_redirects=False)
        old_password_works = _sign_in(_browser(container), email, PASSWORD)

    assert refused.value.field == "password"
    assert still.status_code == 200 and old_password_works.status_code == 303


def test_a_removed_user_is_signed_out_everywhere_and_cannot_sign_in(
    container: Plansmith, tenant: Tenant
) -> None:
    email = _operator(container, tenant)
    with _browser(container) as operator:
        assert _sign_in(operator, email).status_code == 303

        removed = remove_operator(container.uow(), email)
        after = operator.get("/console/customers", follow_redirects=False)
        again = _sign_in(operator, email)

    assert removed.email == email
    assert after.status_code == 303 and after.headers["location"] == "/console/login"
    assert again.status_code == 401
    assert _count(container, t.web_sessions) == _count(container, t.operator_users) == 0


# -- portal links open the portal once -----------------------------------------------------------


def test_a_portal_link_opens_the_portal_once(container: Plansmith, tenant: Tenant) -> None:
    account = _account(container, tenant)
    link = _link(container, account)
    with _browser(container) as customer, _browser(container) as forwarded:
        first = customer.get(link, follow_redirects=False)
        second = forwarded.get(link, follow_redirects=False)
        again = customer.get(link, follow_redirects=False)
        still_in = customer.get("/portal/")

    assert first.status_code == 303 and "plansmith_portal=" in first.headers["set-cookie"]
    for response in (second, again):
        assert response.status_code == 401 and "set-cookie" not in response.headers
        assert "<title>Link expired" in response.text and "Acme Chat" not in response.text
    assert still_in.status_code == 200 and "Acme Chat" in still_in.text
    assert _count(container, t.web_sessions) == 1


def _enter_together(base_url: str, link: str, n: int) -> list[httpx.Response]:
    barrier = threading.Barrier(n)

    def one(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait()
            return http.get(link, follow_redirects=False)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_visits_of_one_link_at_the_same_moment_make_exactly_one_session(
    container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant)
    links = [_link(container, account) for _ in range(3)]

    with serving(lambda _url: create_app(container)) as base_url:
        rounds = [_enter_together(base_url, link, 8) for link in links]

    for responses in rounds:
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [303] + [401] * 7, statuses
    assert _count(container, t.web_sessions) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no row locks
def test_two_visits_waiting_on_the_same_link_row_make_one_session(
    container: Plansmith, tenant: Tenant, db_url: str
) -> None:
    """Both visits are held at the link's row by a lock the test takes, then let go together:
    whichever order they run in, the second one finds the link used."""
    account = _account(container, tenant)
    link = _link(container, account)
    engine = make_engine(db_url)
    results: list[Any] = []
    with serving(lambda _url: create_app(container)) as base_url, engine.connect() as holder:
        holder.execute(text("SELECT id FROM portal_links FOR UPDATE"))
        threads = [
            threading.Thread(target=lambda: results.append(_enter_together(base_url, link, 1)))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        _wait_for_lock_waiters(engine, 2)
        holder.commit()  # both visits now run their update, one after the other
        for thread in threads:
            thread.join(timeout=60)
    engine.dispose()

    statuses = sorted(r.status_code for batch in results for r in batch)
    assert statuses == [303, 401]
    assert _count(container, t.web_sessions) == 1


def _wait_for_lock_waiters(engine: Any, n: int) -> None:
    """Until n other backends of this database wait for a row lock (at most 30 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as probe:
        for _ in range(3000):
            if probe.execute(query).scalar_one() >= n:
                return
            probe.rollback()
            threading.Event().wait(0.01)
    raise AssertionError(f"{n} visits never waited on the link's row")


def test_a_portal_link_is_never_kept_for_an_idempotent_replay(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "link-1"}
    body = {"account_id": account.id}

    first = client.post("/v1/portal_sessions", json=body, headers=headers)
    again = client.post("/v1/portal_sessions", json=body, headers=headers)

    assert first.status_code == 201
    token = first.json()["url"].split("token=", 1)[1]
    assert (again.status_code, again.json()["code"]) == (409, "idempotency_response_withheld")
    assert again.headers["idempotent-replayed"] == "true"
    assert token not in again.text
    with container.engine.connect() as connection:
        stored = connection.execute(select(t.idempotency_keys.c.response_body)).scalars().all()
    assert stored and all(token.encode() not in bytes(b or b"") for b in stored)
    assert _count(container, t.portal_links) == 1  # the retry made no second link
