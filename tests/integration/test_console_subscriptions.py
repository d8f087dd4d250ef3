"""The console's list of every subscription, on SQLite and PostgreSQL, over the revenue
scenario's six subscriptions: filters by status, family, plan and customer, pages, refusals
beside the filters, and the statements a page costs however many subscriptions there are."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.screens.subscription_list import subscription_list
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.revenue_scenario_support import (
    BASIC_YEAR_SEAT,
    Scenario,
    catalog,
    run_scenario,
    sign_in_console,
)
from tests.integration.statement_budgets_support import PAGE, counted


def _rows(html: str) -> list[tuple[str, str]]:
    """(customer, status code) of each row, in order."""
    table = re.search(r'<table class="stack" id="subscriptions">(.*?)</table>', html, re.S)
    if table is None:
        return []
    return [
        (customer, status)
        for status, customer in re.findall(
            r'<tr id="sub_[^"]+" data-status="(\w+)">\s*<td[^>]*><div><a [^>]*>([^<]+)</a>',
            table.group(1),
        )
    ]


def _world(client: TestClient, container: Plansmith, tenant: Tenant) -> tuple[Scenario, TestClient]:
    s = run_scenario(container, tenant.organization_id)
    return s, sign_in_console(client, container, tenant)


def test_every_subscription_is_listed_with_its_status_price_and_monthly_value(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _, console = _world(client, container, tenant)

    page = console.get("/console/subscriptions")

    assert page.status_code == 200, page.text
    assert _rows(page.text) == [
        ("Aoki", "canceled"),
        ("Baba", "active"),
        ("Carter", "canceled"),
        ("Baba", "active"),
        ("Doi", "expired"),
        ("Endo", "active"),
    ]
    endo = page.text[page.text.index(">Endo<") :]
    endo = endo[: endo.index("</tr>")]
    # 6 seats of annual Basic at 10 % off: 6 x 10,800 a year, 5,400 a month.
    assert f"¥{6 * BASIC_YEAR_SEAT:,}" in endo and f"¥{6 * BASIC_YEAR_SEAT // 12:,}" in endo
    assert 'data-label="MRR"' in endo and "Annual" in endo


def test_the_filters_narrow_the_list(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    s, console = _world(client, container, tenant)

    def shown(query: str) -> list[tuple[str, str]]:
        page = console.get(f"/console/subscriptions?{query}")
        assert page.status_code == 200, (query, page.text)
        return _rows(page.text)

    assert shown("status=canceled") == [("Aoki", "canceled"), ("Carter", "canceled")]
    assert shown("status=expired") == [("Doi", "expired")]
    assert shown(f"family={s.ids['support']}") == [("Baba", "active")]
    assert shown(f"plan={s.ids['pro']}") == [("Baba", "active"), ("Carter", "canceled")]
    assert shown("search=baba") == [("Baba", "active"), ("Baba", "active")]
    assert shown(f"search=carter%40example.com&family={s.ids['service']}&status=canceled") == [
        ("Carter", "canceled")
    ]
    empty = console.get("/console/subscriptions?search=nobody")
    assert "No subscription matches these filters." in empty.text


def test_a_filter_naming_nothing_known_is_answered_beside_the_filters(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _, console = _world(client, container, tenant)

    for query, field in (("status=sleeping", "status"), ("family=fam_nope", "plan family")):
        page = console.get(f"/console/subscriptions?{query}")
        assert page.status_code == 422, query
        assert 'role="alert"' in page.text and field in page.text
        assert _rows(page.text) == []


def test_the_list_comes_a_page_at_a_time(container: Plansmith, tenant: Tenant) -> None:
    s = run_scenario(container, tenant.organization_id)

    seen, cursor, pages = [], None, 0
    while True:
        found = subscription_list(container.uow(), s.org, cursor=cursor, limit=4)
        seen += [line.account_name for line in found.page.items]
        pages += 1
        cursor = found.page.next_cursor
        if cursor is None:
            break

    assert pages == 2
    assert seen == ["Aoki", "Baba", "Carter", "Baba", "Doi", "Endo"]


def test_the_dashboard_and_the_list_cost_the_same_statements_for_1_or_6_subscriptions(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    """No statement per subscription, per plan or per month."""
    run_scenario(container, tenant.organization_id)
    console = sign_in_console(client, container, tenant)
    counts = {}
    for path in (
        "/console/dashboard",
        "/console/subscriptions",
        "/console/subscriptions?search=baba",
    ):
        console.get(path)  # the process reads the catalog once, at its first use
        with counted(container) as seen:
            assert console.get(path).status_code == 200
        counts[path] = len(seen.statements)
    assert all(n <= PAGE for n in counts.values()), counts
    # An organization with one subscription costs the same.
    org = other_tenant.organization_id
    catalog(container, org)
    data = AccountInput("Baba", "baba@example.com", "JPY")
    acct = open_account(container.uow(), container.clock, org, data)
    subscribe(container.uow(), container.clock, org, SubscribeInput(acct.id, "basic", trial=False))
    other = sign_in_console(TestClient(client.app), container, other_tenant)
    for path, n in counts.items():
        other.get(path)
        with counted(container) as seen:
            assert other.get(path).status_code == 200
        assert len(seen.statements) == n, (path, seen.statements)
