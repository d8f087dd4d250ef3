"""The customer portal over HTTP: link -> session cookie -> account page and invoice addresses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import (
    AccountInput,
    AddressInput,
    add_invoice_address,
    get_account,
    get_invoice_address,
    open_account,
)
from plansmith.application.organizations.organizations import PORTAL_LINK, create_portal_link
from plansmith.application.organizations.tokens import Signer
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.entrypoints.webui import i18n
from tests.conftest import Tenant

TOKYO = AddressInput(
    name="Acme Chat KK",
    line1="1-2-3 Shibuya",
    line2="Floor 5",
    city="Tokyo",
    region="Tokyo-to",
    postal_code="150-0002",
    country="JP",
)
GOOD_FORM = {
    "name": "Acme Chat GmbH",
    "line1": "Hauptstrasse 1",
    "line2": "",
    "city": "Berlin",
    "region": "",
    "postal_code": "10115",
    "country": "DE",
}


def reads_english(client: TestClient) -> None:
    """The customer chose English (the account's locale is ja_JP): these tests read labels."""
    client.cookies.set(i18n.COOKIE, "en")


def _account(container: Plansmith, organization_id: str, name: str = "Acme Chat") -> Account:
    data = AccountInput(
        name=name,
        email="billing@acme.example",
        currency="JPY",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
        tax_id="T1234567890123",
    )
    return open_account(container.uow(), container.clock, organization_id, data)


def _address(container: Plansmith, account: Account, data: AddressInput = TOKYO) -> InvoiceAddress:
    return add_invoice_address(
        container.uow(), container.clock, account.organization_id, account.id, data
    )


def _link(container: Plansmith, account: Account) -> str:
    link = create_portal_link(
        container.uow(), container.clock, container.signer, account.organization_id, account.id
    )
    return f"/portal/enter?token={link.token}"


def _enter(client: TestClient, container: Plansmith, account: Account) -> Response:
    page: Response = client.get(_link(container, account))
    assert page.status_code == 200, page.text
    return page


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _count_addresses(container: Plansmith) -> int:
    with container.engine.connect() as connection:
        query = select(func.count()).select_from(t.invoice_addresses)
        return int(connection.execute(query).scalar_one())


def _error_of(page: Response, element_id: str) -> str:
    match = re.search(rf'id="{element_id}-error">([^<]*)<', page.text)
    assert match, f"no error shown beside {element_id}"
    return match.group(1)


def test_valid_link_sets_a_session_cookie_and_shows_the_account(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant.organization_id)
    first = _address(container, account)
    _address(container, account, AddressInput("Acme Branch", "9 Side St", "Osaka", "JP"))

    entered = client.get(_link(container, account), follow_redirects=False)
    page = client.get("/portal/")

    assert entered.status_code == 303 and entered.headers["location"] == "/portal/"
    cookie = entered.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/portal" in cookie
    assert page.status_code == 200
    # No language chosen: the account's (ja_JP) speaks Japanese.
    assert '<html lang="ja" dir="ltr">' in page.text
    client.cookies.set("plansmith_lang", "en")  # the labels below, in English
    page = client.get("/portal/")
    assert '<html lang="en" dir="ltr">' in page.text
    for shown in (
        "Acme Chat",
        "billing@acme.example",
        "JPY",
        "Asia/Tokyo",
        "T1234567890123",
        "1-2-3 Shibuya",
        "Floor 5",
        "150-0002",
        "Tokyo-to",
        "9 Side St",
        "Osaka",
    ):
        assert shown in page.text
    assert page.text.count('<span class="badge">Used on invoices</span>') == 1
    assert re.search(rf'id="{first.id}".*?Used on invoices', page.text, re.S)
    assert page.text.count("Use for invoices</button>") == 1
    assert page.headers["cache-control"] == "no-store"


def test_an_expired_link_shows_link_expired_and_nothing_else(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _account(container, tenant.organization_id)
    link = _link(container, account)
    clock.advance(timedelta(seconds=901))

    page = client.get(link, follow_redirects=False)

    assert page.status_code == 401
    assert "<title>Link expired" in page.text and "ask your service provider" in page.text
    assert "Acme Chat" not in page.text and "set-cookie" not in page.headers


@pytest.mark.parametrize("forgery", ["altered", "other secret", "garbage", "missing"])
def test_a_forged_link_shows_link_expired(
    client: TestClient, container: Plansmith, tenant: Tenant, forgery: str
) -> None:
    account = _account(container, tenant.organization_id)
    token = _link(container, account).split("token=")[1]
    payload, _, signature = token.partition(".")
    forged = {
        "altered": payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature,
        "other secret": Signer(b"not-the-secret").sign(
            PORTAL_LINK,
            {"org": tenant.organization_id, "acct": account.id},
            container.clock.now() + timedelta(hours=1),
        ),
        "garbage": "not-a-token",
        "missing": "",
    }[forgery]

    page = client.get("/portal/enter", params={"token": forged}, follow_redirects=False)

    assert page.status_code == 401
    assert "Link expired" in page.text and "Acme Chat" not in page.text
    assert "set-cookie" not in page.headers


def test_without_a_session_or_after_it_ends_the_portal_shows_link_expired(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = _account(container, tenant.organization_id)

    before = client.get("/portal/")
    _enter(client, container, account)
    clock.advance(timedelta(seconds=container.settings.portal_session_seconds))
    after = client.get("/portal/")

    for page in (before, after):
        assert page.status_code == 401
        assert "Link expired" in page.text and "Acme Chat" not in page.text


def test_adding_an_address_lists_it_and_uses_the_first_one_on_invoices(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    reads_english(client)
    account = _account(container, tenant.organization_id)
    page = _enter(client, container, account)

    added = client.post(
        "/portal/addresses", data={**GOOD_FORM, "csrf_token": _csrf(page)}, follow_redirects=False
    )
    shown = client.get(added.headers["location"])

    assert added.status_code == 303
    assert added.headers["location"].startswith("/portal/?saved=address_added")
    assert "The address was added." in shown.text
    assert "Hauptstrasse 1" in shown.text and "10115 Berlin" in shown.text
    assert "ドイツ" in shown.text  # Germany, named in the account's locale (ja_JP)
    assert _count_addresses(container) == 1
    default_id = get_account(container.uow(), tenant.organization_id, account.id)
    assert default_id.default_invoice_address_id is not None


def test_a_wrong_address_is_shown_again_with_each_message_beside_its_field(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    reads_english(client)
    account = _account(container, tenant.organization_id)
    page = _enter(client, container, account)
    form = {**GOOD_FORM, "city": "  ", "country": "XX", "line1": "Main <street> 1"}

    rejected = client.post("/portal/addresses", data={**form, "csrf_token": _csrf(page)})

    assert rejected.status_code == 422
    assert _error_of(rejected, "new-city") == "City must not be empty"
    assert "is not an ISO 3166-1 alpha-2 country code" in _error_of(rejected, "new-country")
    assert 'value="Main &lt;street&gt; 1"' in rejected.text  # kept, and escaped
    assert "new-name-error" not in rejected.text
    assert _count_addresses(container) == 0


def test_a_blank_country_is_reported_as_missing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    reads_english(client)
    account = _account(container, tenant.organization_id)
    page = _enter(client, container, account)

    rejected = client.post(
        "/portal/addresses", data={**GOOD_FORM, "country": "", "csrf_token": _csrf(page)}
    )

    assert rejected.status_code == 422
    assert _error_of(rejected, "new-country") == "Country must not be empty"
    assert _count_addresses(container) == 0


def test_editing_an_address_saves_it(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant.organization_id)
    address = _address(container, account)
    page = _enter(client, container, account)
    form = {**GOOD_FORM, "line2": "", "csrf_token": _csrf(page)}

    saved = client.post(f"/portal/addresses/{address.id}", data=form, follow_redirects=False)

    assert saved.status_code == 303 and "saved=address_updated" in saved.headers["location"]
    stored = get_invoice_address(container.uow(), tenant.organization_id, account.id, address.id)
    assert (stored.line1, stored.line2, stored.city, stored.country) == (
        "Hauptstrasse 1",
        "",
        "Berlin",
        "DE",
    )
    assert "Hauptstrasse 1" in client.get("/portal/").text


def test_a_wrong_edit_is_shown_in_its_own_form_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    reads_english(client)
    account = _account(container, tenant.organization_id)
    address = _address(container, account)
    page = _enter(client, container, account)
    form = {**GOOD_FORM, "name": "", "csrf_token": _csrf(page)}

    rejected = client.post(f"/portal/addresses/{address.id}", data=form)

    assert rejected.status_code == 422
    assert _error_of(rejected, f"{address.id}-name") == "Name must not be empty"
    assert "<details open>" in rejected.text
    stored = get_invoice_address(container.uow(), tenant.organization_id, account.id, address.id)
    assert stored == address


def test_choosing_the_address_used_on_invoices(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    reads_english(client)
    account = _account(container, tenant.organization_id)
    _address(container, account)
    second = _address(container, account, AddressInput("Acme Branch", "9 Side St", "Osaka", "JP"))
    page = _enter(client, container, account)

    chosen = client.post(
        f"/portal/addresses/{second.id}/default",
        data={"csrf_token": _csrf(page)},
        follow_redirects=False,
    )

    assert chosen.status_code == 303 and "saved=default_changed" in chosen.headers["location"]
    stored = get_account(container.uow(), tenant.organization_id, account.id)
    assert stored.default_invoice_address_id == second.id
    shown = client.get("/portal/").text
    assert re.search(rf'id="{second.id}".*?Used on invoices', shown, re.S)


@pytest.mark.parametrize("csrf", ["missing", "wrong", "of another session"])
def test_a_form_without_the_session_csrf_token_is_refused(
    client: TestClient, container: Plansmith, tenant: Tenant, csrf: str
) -> None:
    reads_english(client)
    account = _account(container, tenant.organization_id)
    address = _address(container, account)
    other = _account(container, tenant.organization_id, name="Other Co")
    with TestClient(client.app) as other_client:
        other_token = _csrf(_enter(other_client, container, other))
    _enter(client, container, account)
    sent = {
        "missing": {},
        "wrong": {"csrf_token": "x.y"},
        "of another session": {"csrf_token": other_token},
    }[csrf]

    responses = [
        client.post("/portal/addresses", data={**GOOD_FORM, **sent}),
        client.post(f"/portal/addresses/{address.id}", data={**GOOD_FORM, **sent}),
        client.post(f"/portal/addresses/{address.id}/default", data=sent),
    ]

    for response in responses:
        assert response.status_code == 403
        assert "Form expired" in response.text
    assert _count_addresses(container) == 1
    assert (
        get_invoice_address(container.uow(), tenant.organization_id, account.id, address.id)
        == address
    )


def test_one_accounts_portal_never_touches_another_accounts_addresses(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    reads_english(client)
    account_a = _account(container, tenant.organization_id, name="Account A")
    own = _address(container, account_a)
    account_b = _account(container, tenant.organization_id, name="Account B")
    b_address = _address(container, account_b, AddressInput("B Corp", "B street 2", "Kyoto", "JP"))
    foreign = _account(container, other_tenant.organization_id, name="Foreign")
    foreign_address = _address(container, foreign)
    page = _enter(client, container, account_a)
    token = _csrf(page)

    assert "B street 2" not in page.text and "B Corp" not in page.text
    for target in (b_address, foreign_address):
        edited = client.post(
            f"/portal/addresses/{target.id}", data={**GOOD_FORM, "csrf_token": token}
        )
        chosen = client.post(f"/portal/addresses/{target.id}/default", data={"csrf_token": token})
        assert edited.status_code == 404 and chosen.status_code == 404
        assert "Not found" in edited.text and "text/html" in edited.headers["content-type"]

    assert (
        get_invoice_address(container.uow(), tenant.organization_id, account_b.id, b_address.id)
        == b_address
    )
    assert (
        get_account(
            container.uow(), tenant.organization_id, account_a.id
        ).default_invoice_address_id
        == own.id
    )
    assert (
        get_invoice_address(
            container.uow(), other_tenant.organization_id, foreign.id, foreign_address.id
        )
        == foreign_address
    )


def test_signing_out_ends_the_session(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant.organization_id)
    page = _enter(client, container, account)

    signed_out = client.post("/portal/sign-out", data={"csrf_token": _csrf(page)})
    after = client.get("/portal/")

    assert signed_out.status_code == 200 and "You have signed out" in signed_out.text
    assert signed_out.history[0].status_code == 303
    assert after.status_code == 401 and "Link expired" in after.text


def test_unknown_portal_pages_are_html_while_the_api_keeps_problem_json(
    client: TestClient,
) -> None:
    page = client.get("/portal/nothing-here")
    api = client.get("/v1/nothing-here")

    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<title>Not found" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
