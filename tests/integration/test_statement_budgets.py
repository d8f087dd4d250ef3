"""Every read of the product answers in a few SQL statements, however big the catalog and
however long the account's history: API reads in at most 4, previews and the upcoming invoice
in at most 8, portal and console pages in at most 10, and each in one transaction. The routes
are walked from the app's own route table, so a route added tomorrow is counted the day it is
added.

Two organizations in one database: a small one (3 plans, 1 invoice) and a large one (60 plans,
each superseded once, and 120 invoices on the account). A route must stay within its budget in
both, with the same count in both: a statement per plan or per invoice shows up as a difference.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import _query, _url, api_routes
from tests.integration.statement_budgets_support import (
    NOT_BUDGETED,
    PREVIEWS,
    REDIRECTS,
    World,
    budget,
    counted,
    sign_in,
    world,
)


def _call(w: World, method: str, path: str, query: dict[str, str]) -> Response:
    url = _url(path, w.ids, method)
    response: Response
    if path.startswith("/portal"):
        response = w.portal.get(url, follow_redirects=False)
    elif path.startswith("/console"):
        response = w.console.get(url, follow_redirects=False)
    elif method == "POST":
        response = w.api.post(url, json=PREVIEWS[path], headers=w.tenant.headers)
    else:
        response = w.api.get(url, params=query, headers=w.tenant.headers)
    return response


def test_every_read_route_answers_within_its_statement_budget(
    client: TestClient, container: Plansmith
) -> None:
    app = client.app
    large = world(app, container, "Large Operator", plans=60, invoices=120)  # type: ignore[arg-type]
    small = world(app, container, "Small Operator", plans=3, invoices=1)  # type: ignore[arg-type]
    for w in (small, large):  # each key's first use of the minute is recorded: not a read
        sign_in(container, w)
        assert w.api.get("/v1/organization", headers=w.tenant.headers).status_code == 200
        with container.uow() as uow:  # a process reads each catalog once, at its first use
            uow.price_books.current(w.tenant.organization_id)

    report, walked = [], 0
    for path, methods, route in api_routes(app):  # type: ignore[arg-type]
        if path in NOT_BUDGETED or path.startswith("/static"):
            continue
        method = "GET" if "GET" in methods else "POST" if path in PREVIEWS else None
        if method is None:
            continue
        walked += 1
        query = _query(method, path, route)
        counts = []
        for w in (small, large):
            with counted(container) as seen:
                response = _call(w, method, path, query)
            expected = 303 if path in REDIRECTS else 200
            assert response.status_code == expected, f"{method} {path}: {response.status_code}"
            counts.append(seen)
        most = budget(method, path)
        n_small, n_large = (len(c.statements) for c in counts)
        # A read is one transaction: its authentication (or session) and its answer.
        assert all(c.transactions <= 1 for c in counts), (
            f"{method} {path}: {[c.transactions for c in counts]} transactions"
        )
        if max(n_small, n_large) > most or n_small != n_large:
            detail = "\n      ".join(s[:160] for s in counts[1].statements)
            report.append(
                f"{method} {path}: {n_small} statements (3 plans, 1 invoice), {n_large} "
                f"(60 plans, 120 invoices); budget {most}\n      {detail}"
            )
    assert walked > 50, "the route table walk found too few routes"
    assert not report, f"{len(report)} routes over budget:\n" + "\n".join(report)


def test_a_keyed_write_authenticates_its_api_key_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    """The idempotency middleware checks the key; the route takes the caller it found."""
    assert client.get("/v1/organization", headers=tenant.headers).status_code == 200
    body = {"name": "Bravo Mail", "email": "billing@bravo.example", "currency": "EUR"}
    with counted(container) as seen:
        created = client.post(
            "/v1/accounts", json=body, headers={**tenant.headers, "Idempotency-Key": "k-1"}
        )
    assert created.status_code == 201, created.text
    key_reads = [s for s in seen.statements if s.startswith("SELECT") and "FROM api_keys" in s]
    assert len(key_reads) == 1, key_reads
