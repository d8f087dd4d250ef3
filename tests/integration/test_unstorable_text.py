"""Strings that cannot be stored (a NUL, a lone surrogate) are refused on SQLite and PostgreSQL:
422 `invalid_text` naming the field, in any JSON string, query parameter and path parameter of
the API (walked from the app's route table), and beside the field in the portal's and the
console's forms; nothing is written. Before, a lone surrogate answered 500 on both databases, a
NUL 500 on PostgreSQL (also `GET /v1/accounts?search=%00`), and SQLite stored a NUL silently.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.request_text import _query_names
from plansmith.entrypoints.web import create_app
from plansmith.entrypoints.webui import i18n
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _edit_form,
    _error_beside,
    _versions,
    bronze,
    operator_client,
)
from tests.integration.route_calls import PARAM, api_routes
from tests.integration.table_rows import every_row
from tests.integration.test_portal import GOOD_FORM, _account, _csrf, _enter, _error_of

__all__ = ["bronze", "operator_client"]  # fixtures
PROBLEM = "application/problem+json"
SURROGATE = "\ud800"
NUL = "\x00"
ACCOUNT = {"name": "Acme", "email": "billing@acme.example", "currency": "USD"}


def _rows(container: Plansmith) -> list[list[tuple[Any, ...]]]:
    return every_row(container.engine)


def _json(body: Any) -> dict[str, Any]:
    """A request carrying ``body`` as JSON text: "\\ud800" stays an escape, as clients send it."""
    return {"content": json.dumps(body), "headers": {"content-type": "application/json"}}


def _send(client: TestClient, tenant: Tenant, method: str, url: str, **extra: Any) -> Any:
    headers = {**tenant.headers, **extra.pop("headers", {})}
    return client.request(method, url, headers=headers, **extra)


def _refused(answer: Any, fields: set[str], area: str) -> tuple[int, str | None, set[str]]:
    if area != "/v1":  # the portal and the console answer with their 422 page
        return answer.status_code, None, fields
    assert answer.headers["content-type"] == PROBLEM, answer.text
    body = answer.json()
    return answer.status_code, body["code"], {e["field"] for e in body["errors"]}


def _routes(container: Plansmith) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, path, route)
        for path, methods, route in api_routes(create_app(container))
        for method in sorted(methods - {"HEAD", "OPTIONS"})
    ]


def test_every_path_query_and_json_string_is_checked_on_every_route(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    before = _rows(container)
    answers, expected = [], []
    for method, path, route in _routes(container):
        area = "/v1" if path.startswith("/v1/") else "web"
        names = PARAM.findall(path)
        if names:  # a NUL in every path parameter
            url = PARAM.sub("%00", path)
            answers.append(_refused(_send(client, tenant, method, url), set(names), area))
            expected.append((422, "invalid_text" if area == "/v1" else None, set(names)))
        plain = PARAM.sub("x", path)
        queries = sorted(_query_names(route.dependant))
        if queries:  # a NUL in every query parameter the route reads
            params = {name: NUL for name in queries}
            answer = _send(client, tenant, method, plain, params=params)
            answers.append(_refused(answer, set(queries), area))
            expected.append((422, "invalid_text" if area == "/v1" else None, set(queries)))
        if route.body_field is not None and area == "/v1":  # a lone surrogate in the body
            model = route.body_field.field_info.annotation
            assert model is not None, path
            first = next(iter(model.model_fields))
            answer = _send(client, tenant, method, plain, **_json({first: SURROGATE}))
            answers.append(_refused(answer, {first}, area))
            expected.append((422, "invalid_text", {first}))

    assert answers == expected
    assert len(answers) > 80
    assert _rows(container) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/accounts", {**ACCOUNT, "name": SURROGATE}, "name"),
        ("POST", "/v1/accounts", {**ACCOUNT, "name": f"Acme{NUL}"}, "name"),
        ("POST", "/v1/accounts", {**ACCOUNT, "tax_id": NUL}, "tax_id"),
        (
            "POST",
            "/v1/plans",
            {
                "code": "pro",
                "name": "Pro",
                "family": "chat",
                "terms": {"base_prices": {"USD": 100}, "features": ["a", f"b{NUL}"]},
            },
            "terms.features[1]",
        ),
        (
            "POST",
            "/v1/plans",
            {"code": "pro", "name": "Pro", "family": "chat", "terms": {"description": SURROGATE}},
            "terms.description",
        ),
        (
            "POST",
            "/v1/add_ons",
            {"code": "x", "name": "X", "prices": [], "allowances": {SURROGATE: 1}},
            "allowances",
        ),
        ("POST", "/v1/invoices/inv_x/credit_notes", {"amount": 1, "reason": NUL}, "reason"),
    ],
)
def test_a_nul_or_lone_surrogate_anywhere_in_a_body_is_422_naming_its_path(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = _rows(container)

    answer = _send(client, tenant, method, path, **_json(body))

    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["field"]) == ("invalid_text", field)
    assert "\\u" not in answer.json()["detail"] and "U+" in answer.json()["detail"]
    assert _rows(container) == before


def test_searching_accounts_for_a_nul_is_422_naming_search(
    client: TestClient, tenant: Tenant
) -> None:
    created = client.post("/v1/accounts", json=ACCOUNT, headers=tenant.headers)
    assert created.status_code == 201

    answer = client.get("/v1/accounts?search=%00", headers=tenant.headers)
    found = client.get("/v1/accounts", params={"search": "acme"}, headers=tenant.headers)

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "invalid_text",
        "search",
    )
    assert answer.json()["detail"] == (
        "search contains a NUL character (U+0000), which cannot be stored"
    )
    assert [a["id"] for a in found.json()["data"]] == [created.json()["id"]]


# -- forms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "line1", "line2", "city", "postal_code"])
def test_a_nul_in_the_portals_address_form_is_shown_beside_its_field(
    client: TestClient, container: Plansmith, tenant: Tenant, field: str
) -> None:
    account = _account(container, tenant.organization_id)
    client.cookies.set(i18n.COOKIE, "en")  # the rule's own English sentence (ja_JP account)
    page = _enter(client, container, account)
    before = _rows(container)
    form = {**GOOD_FORM, field: f"Berlin{NUL}Mitte", "csrf_token": _csrf(page)}

    rejected = client.post("/portal/addresses", data=form)

    assert rejected.status_code == 422
    assert "NUL character (U+0000)" in _error_of(rejected, f"new-{field}")
    assert _rows(container) == before


@pytest.mark.parametrize("field", ["description", "name"])
def test_a_nul_in_the_plan_editor_is_shown_beside_its_field_and_saves_nothing(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: Any, field: str
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    form = _edit_form(page, **{field: f"For{NUL}teams"})

    answer = operator_client.post(f"/console/plans/{bronze.plan.id}/draft", data=form)

    assert answer.status_code == 422 and "Nothing was saved" in answer.text
    assert "NUL character (U+0000)" in _error_beside(answer, field)
    assert len(_versions(container, tenant, bronze)) == 1


def test_a_nul_in_the_consoles_customer_search_is_a_422_page(
    operator_client: TestClient, container: Plansmith
) -> None:
    answer = operator_client.get("/console/customers?search=%00")

    assert answer.status_code == 422
    assert "search contains a NUL character (U+0000)" in answer.text
    with container.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.accounts)).scalar_one() == 0
