"""The operator console over HTTP: sign-in, customers, search, details, subscriptions and portal
links."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import (
    AccountInput,
    AddressInput,
    add_invoice_address,
    open_account,
)
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import create_operator
from plansmith.application.subscriptions.actions import (
    ChangeInput,
    cancel_subscription,
    change_subscription,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.entrypoints.console import routes as console
from tests.conftest import Tenant

PASSWORD = "correct horse battery"


def _operator(container: Plansmith, tenant: Tenant, email: str = "ops@acme.example") -> str:
    create_operator(container.uow(), container.clock, tenant.organization_id, email, PASSWORD)
    return email


def _account(
    container: Plansmith, organization_id: str, name: str, external_id: str | None = None
) -> Account:
    data = AccountInput(
        name=name,
        email=f"{name.split()[0].lower()}@example.com",
        currency="USD",
        time_zone="America/New_York",
        external_id=external_id,
    )
    return open_account(container.uow(), container.clock, organization_id, data)


def _sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    response: Response = client.post(
        "/console/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return response


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def signed_in(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    assert _sign_in(client, _operator(container, tenant)).status_code == 303
    return client


def test_signing_in_opens_the_customer_list(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    email = _operator(container, tenant)
    _account(container, tenant.organization_id, "Acme Chat", external_id="crm-42")

    signed_in = _sign_in(client, "  OPS@acme.example ", PASSWORD)
    page = client.get(signed_in.headers["location"])

    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/customers"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    assert page.status_code == 200
    for shown in ("Acme Chat", "acme@example.com", "USD", "America/New_York", "crm-42"):
        assert shown in page.text
    assert email in page.text  # who is signed in, beside Sign out


@pytest.mark.parametrize(
    ("email", "password"),
    [("ops@acme.example", "wrong password!"), ("nobody@acme.example", PASSWORD), ("", "")],
)
def test_wrong_credentials_show_the_form_again(
    client: TestClient, container: Plansmith, tenant: Tenant, email: str, password: str
) -> None:
    _operator(container, tenant)

    page = _sign_in(client, email, password)

    assert page.status_code == 401
    assert "Wrong email or password" in page.text and 'name="password"' in page.text
    assert "set-cookie" not in page.headers
    assert client.get("/console/customers", follow_redirects=False).status_code == 303


def test_a_sign_in_posted_from_another_site_is_refused(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    email = _operator(container, tenant)

    page = client.post(
        "/console/login",
        data={"email": email, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )

    assert page.status_code == 403 and "set-cookie" not in page.headers


def test_console_pages_need_a_session(client: TestClient, container: Plansmith) -> None:
    for path in ("/console/customers", "/console/customers/acct_x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert client.get("/console/", follow_redirects=False).headers["location"] == (
        "/console/customers"
    )
    assert "Sign in to the console" in client.get("/console/").text


def test_an_ended_session_sends_the_operator_to_sign_in(
    signed_in: TestClient, container: Plansmith, clock: TestClock
) -> None:
    clock.advance(timedelta(seconds=container.settings.console_session_seconds))

    response = signed_in.get("/console/customers", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_search_finds_a_customer_by_part_of_the_name(
    signed_in: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _account(container, tenant.organization_id, "Globex Corporation")
    _account(container, tenant.organization_id, "Initech Software")

    page = signed_in.get("/console/customers", params={"search": "tech"})

    assert page.status_code == 200
    assert "Initech Software" in page.text and "Globex Corporation" not in page.text
    assert 'value="tech"' in page.text
    nothing = signed_in.get("/console/customers", params={"search": "umbrella"})
    assert "No customer matches" in nothing.text


def test_the_list_pages_with_a_next_page_link(
    signed_in: TestClient,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(console, "PAGE_SIZE", 2)
    for name in ("Alpha Co", "Bravo Co", "Charlie Co"):
        _account(container, tenant.organization_id, name)
        clock.advance(timedelta(seconds=1))

    first = signed_in.get("/console/customers")
    link = re.search(r'<a href="(/console/customers\?[^"]+)">Next page</a>', first.text)
    assert link, "no Next page link"
    second = signed_in.get(link.group(1).replace("&amp;", "&"))

    assert "Alpha Co" in first.text and "Bravo Co" in first.text
    assert "Charlie Co" not in first.text
    assert "Charlie Co" in second.text and "Alpha Co" not in second.text
    assert "Next page" not in second.text


def test_another_organizations_customer_is_not_found(
    signed_in: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    foreign = _account(container, other_tenant.organization_id, "Foreign Customer")

    listed = signed_in.get("/console/customers")
    page = signed_in.get(f"/console/customers/{foreign.id}")
    link = signed_in.post(
        f"/console/customers/{foreign.id}/portal-link", data={"csrf_token": _csrf(listed)}
    )

    assert "Foreign Customer" not in listed.text
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Foreign Customer" not in page.text and "Back to customers" in page.text
    assert link.status_code == 404 and "token=" not in link.text


def test_customer_details_and_a_portal_link_that_opens_the_portal(
    signed_in: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant.organization_id, "Acme Chat")
    add_invoice_address(
        container.uow(),
        container.clock,
        tenant.organization_id,
        account.id,
        AddressInput("Acme Chat Inc", "1 Market St", "San Francisco", "US", postal_code="94105"),
    )

    page = signed_in.get(f"/console/customers/{account.id}")
    made = signed_in.post(
        f"/console/customers/{account.id}/portal-link", data={"csrf_token": _csrf(page)}
    )

    assert page.status_code == 200
    assert "1 Market St" in page.text and "94105 San Francisco" in page.text
    assert "Used on invoices" in page.text and "Create portal link" in page.text
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    url = re.search(r'id="portal-url" value="([^"]+)"', made.text)
    assert url and url.group(1).startswith("http://testserver/portal/enter?token=")
    with TestClient(signed_in.app) as customer:
        portal = customer.get(url.group(1).replace("http://testserver", ""))
    assert portal.status_code == 200 and "1 Market St" in portal.text


def test_a_portal_link_needs_the_csrf_token(
    signed_in: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant.organization_id, "Acme Chat")

    response = signed_in.post(f"/console/customers/{account.id}/portal-link", data={})

    assert response.status_code == 403 and "token=" not in response.text


def test_signing_out_clears_the_session(signed_in: TestClient) -> None:
    page = signed_in.get("/console/customers")

    out = signed_in.post(
        "/console/logout", data={"csrf_token": _csrf(page)}, follow_redirects=False
    )
    after = signed_in.get("/console/customers", follow_redirects=False)

    assert out.status_code == 303 and out.headers["location"] == "/console/login?signed_out=true"
    assert after.status_code == 303 and after.headers["location"] == "/console/login"
    assert "You have signed out." in signed_in.get(out.headers["location"]).text


def _catalog(container: Plansmith, organization_id: str) -> None:
    """Contact center packages per agent (1 and 2), a support plan with a trial, a mailbox plan."""
    uow, clock = container.uow, container.clock
    families = (("cc", "Contact center packages"), ("support", "Support plans"))
    for code, name in (*families, ("mailbox", "Mailbox plans")):
        create_family(uow(), clock, organization_id, FamilyInput(code, name))
    per_seat, flat = {"pricing": "per_seat"}, {"pricing": "flat"}
    support = {**flat, "base_prices": {"USD": 4900}, "trial_days": 14}
    plans: list[tuple[str, str, str, dict[str, Any]]] = [
        ("cc-1", "Contact Center 1", "cc", {**per_seat, "base_prices": {"USD": 1500}}),
        ("cc-2", "Contact Center 2", "cc", {**per_seat, "base_prices": {"USD": 2500}}),
        ("standard", "Standard Support", "support", support),
        ("bronze", "Bronze", "mailbox", {**flat, "base_prices": {"USD": 999}}),
    ]
    for rank, (code, name, family, terms) in enumerate(plans, 1):
        data = PlanInput(code, name, family, rank, terms, publish=True)
        create_plan(uow(), clock, organization_id, data)


def _row(page: Response, subscription_id: str) -> str:
    """The row's text, tags dropped, every run of white space one space."""
    row = re.search(rf'<tr id="subscription-{subscription_id}">(.*?)</tr>', page.text, re.S)
    assert row, f"no row for {subscription_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()


def test_the_customer_page_lists_the_subscriptions_per_family(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org, uow = tenant.organization_id, container.uow
    _catalog(container, org)
    account = _account(container, org, "Acme Chat")  # New York; the clock says Jan 31, 10:00
    agents = subscribe(uow(), clock, org, SubscribeInput(account.id, "cc-1", quantity=100))
    agents_id = agents.view.subscription.id
    clock.advance(timedelta(days=10))  # Feb 10, 10:00 in New York
    change_subscription(uow(), clock, org, agents_id, ChangeInput(plan="cc-2"))  # upgrade: now
    support = subscribe(uow(), clock, org, SubscribeInput(account.id, "standard"))
    mailbox = subscribe(uow(), clock, org, SubscribeInput(account.id, "bronze"))
    mailbox_id = mailbox.view.subscription.id
    cancel_subscription(uow(), clock, org, mailbox_id, "now")
    _sign_in(client, _operator(container, tenant))  # now: a session lasts 8 hours

    page = client.get(f"/console/customers/{account.id}")

    assert page.status_code == 200
    # Period [Jan 31, Feb 28): its last day is Feb 27. $25.00 x 100 agents = $2,500.00.
    assert _row(page, agents_id) == (
        f"Contact Center 2 Contact center packages {agents_id} Active Monthly 100 $2,500.00 "
        "Contact Center 2 $25.00 × 100 Jan 31, 2026 \u2013 Feb 27, 2026 Feb 28, 2026 "
        "Jan 31, 2026 Change plan… Cancel now… Cancel at the end of the term… Pause…"
    )
    # A 14-day trial from Feb 10: [Feb 10, Feb 24); the first payment falls due on Feb 24.
    support_id = support.view.subscription.id
    assert _row(page, support_id) == (
        f"Standard Support Support plans {support_id} Try trial until Feb 23, 2026 Monthly 1 "
        "$49.00 Standard Support $49.00 × 1 Feb 10, 2026 \u2013 Feb 23, 2026 Feb 24, 2026 "
        "Feb 10, 2026 Change plan… Cancel now… Cancel at the end of the term…"
    )
    # Canceled now: inactive, and nothing more falls due.
    assert _row(page, mailbox_id) == (
        f"Bronze Mailbox plans {mailbox_id} Inactive Canceled Monthly 1 $9.99 Bronze $9.99 × 1 "
        "ended Feb 10, 2026 — Feb 10, 2026 Reactivate…"
    )
    history = re.search(r'<details class="history".*?</details>', page.text, re.S)
    assert history and "Contact center packages: plan history" in history.group(0)
    rows = re.findall(r"<tr><td.*?</tr>", history.group(0))
    entries = [
        tuple(re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row))
        for row in rows
    ]
    assert entries == [
        ("Contact Center 2", "Active", "Feb 10, 2026", "now"),
        ("Contact Center 1", "Replaced", "Jan 31, 2026", "Feb 9, 2026"),  # held through Feb 9
    ]
    assert page.text.count('<details class="history"') == 1  # the others have one entry


def test_a_customer_without_subscriptions_says_so(
    signed_in: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _account(container, tenant.organization_id, "Acme Chat")

    page = signed_in.get(f"/console/customers/{account.id}")

    assert page.status_code == 200 and "No subscriptions yet." in page.text
