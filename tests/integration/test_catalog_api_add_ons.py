"""The /v1 catalog API on SQLite and PostgreSQL: add-ons and extra packs (seed 004)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    NOW,
    _assert_problem,
    _counts,
    _ok,
    _problems,
)

# The eight add-on packages of seed 004.
SEED_ADD_ONS = [
    ("ai-assistant", "Artificial Intelligence Assistant"),
    ("mail-integration", "Mail Integration"),
    ("team-chat", "Team Chat Integration"),
    ("ticket-system", "Ticket System"),
    ("telegram", "Telegram Integration"),
    ("visitor-chat-start", "Visitor Chat Start"),
    ("webhooks", "Webhook Integration"),
    ("task-management", "Task Management"),
]


ADD_ON = {
    "code": "ai-assistant",
    "name": "Artificial Intelligence Assistant",
    "prices": [
        {"currency": "USD", "cycle": "month", "amount": 900},
        {"currency": "USD", "cycle": "year", "amount": 9000},
    ],
    "features": ["ai_assistant"],
}


PACK = {
    "code": "chatbot-1000",
    "name": "1,000 chatbot extra sessions",
    "prices": {"USD": 4900, "JPY": 7000},
    "allowance": "chatbot_sessions",
    "amount": 1000,
}


# -- add-ons (seed 004) -------------------------------------------------------------------------


def test_the_eight_add_ons_of_seed_004_are_listed_by_code(
    client: TestClient, tenant: Tenant
) -> None:
    created = {}
    for code, name in SEED_ADD_ONS:
        body = {
            "code": code,
            "name": name,
            "prices": [{"currency": "USD", "cycle": "month", "amount": 500}],
        }
        created[code] = _ok(client.post("/v1/add_ons", json=body, headers=tenant.headers), 201)

    listed = _ok(client.get("/v1/add_ons", headers=tenant.headers))

    assert [a["code"] for a in listed["data"]] == sorted(code for code, _ in SEED_ADD_ONS)
    assert listed["data"] == [created[code] for code in sorted(created)]


def test_create_and_get_an_add_on(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/v1/add_ons",
        json={
            **ADD_ON,
            "quantity_allowed": True,
            "fits_families": ["service"],
            "fits_plans": ["gold", "silver"],
            "allowances": {"ai_answers": 500},
            "description": "Answers visitors on its own",
        },
        headers=tenant.headers,
    )

    body = _ok(response, 201)
    assert body == {
        "object": "add_on",
        "id": body["id"],
        "code": "ai-assistant",
        "name": "Artificial Intelligence Assistant",
        "prices": [
            {"currency": "USD", "cycle": "month", "amount": 900},
            {"currency": "USD", "cycle": "year", "amount": 9000},
        ],
        "quantity_allowed": True,
        "fits_families": ["service"],
        "fits_plans": ["gold", "silver"],
        "features": ["ai_assistant"],
        "allowances": {"ai_answers": 500},
        "description": "Answers visitors on its own",
        "archived_at": None,
        "created_at": NOW,
    }
    assert client.get(f"/v1/add_ons/{body['id']}", headers=tenant.headers).json() == body


def test_patch_and_archive_an_add_on(client: TestClient, tenant: Tenant) -> None:
    add_on = _ok(client.post("/v1/add_ons", json=ADD_ON, headers=tenant.headers), 201)
    url = f"/v1/add_ons/{add_on['id']}"
    prices = [{"currency": "JPY", "cycle": "month", "amount": 1500}]

    patched = client.patch(
        url, json={"name": "AI Assistant", "prices": prices}, headers=tenant.headers
    )
    archived = client.post(f"{url}/archive", headers=tenant.headers)

    assert _ok(patched) == {**add_on, "name": "AI Assistant", "prices": prices}
    assert _ok(archived) == {**patched.json(), "archived_at": NOW}
    assert client.get(url, headers=tenant.headers).json() == archived.json()


def test_invalid_add_on_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    existing = _ok(
        client.post("/v1/add_ons", json={**ADD_ON, "code": "telegram"}, headers=tenant.headers),
        201,
    )
    before = _counts(container)
    month = {"currency": "USD", "cycle": "month"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"prices": [{**month, "amount": -900}]}, "prices[0].amount", "negative"),
        (
            {"prices": [{**month, "currency": "XYZ", "amount": 1}]},
            "prices[0].currency",
            "unknown_currency",
        ),
        ({"prices": [{**month, "amount": 9.5}]}, "prices[0].amount", "invalid_value"),
        ({"prices": [month]}, "prices[0].amount", "required"),
        ({"prices": []}, "prices", "required"),
        ({"prices": [{**month, "amount": 1}] * 2}, "prices[1]", "duplicate_price"),
        ({"name": ""}, "name", "required"),
        ({"fits_families": ["service", "Support Plans"]}, "fits_families[1]", "invalid_code"),
        ({"features": ["AI"]}, "features[0]", "invalid_code"),
        ({"allowances": {"ai_answers": -1}}, "allowances.ai_answers", "negative"),
        ({"allowances": {"ai_answers": 5.0}}, "allowances.ai_answers", "invalid_value"),
        ({"colour": "blue"}, "colour", "unknown_field"),
    ]

    created = [
        client.post("/v1/add_ons", json={**ADD_ON, **change}, headers=tenant.headers)
        for change, _, _ in cases
    ]
    patched = [
        client.patch(f"/v1/add_ons/{existing['id']}", json=change, headers=tenant.headers)
        for change, _, _ in cases
    ]
    bad_code = client.post("/v1/add_ons", json={**ADD_ON, "code": "AI"}, headers=tenant.headers)

    expected = [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _problems(created) == expected
    assert _problems(patched) == expected
    assert _problems([bad_code]) == [(422, "invalid_code", "code", [("code", "invalid_code")])]
    assert _counts(container) == before
    assert client.get(f"/v1/add_ons/{existing['id']}", headers=tenant.headers).json() == existing


def test_duplicate_add_on_code_is_409(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    client.post("/v1/add_ons", json=ADD_ON, headers=tenant.headers)

    response = client.post("/v1/add_ons", json={**ADD_ON, "name": "Again"}, headers=tenant.headers)

    _assert_problem(response, 409, "duplicate_code", "code")
    assert _counts(container)["add_ons"] == 1


# -- extra packs (seed 004: chatbot extra sessions) ---------------------------------------------


def test_create_list_patch_and_archive_an_extra_pack(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/extra_packs", json=PACK, headers=tenant.headers)
    pack = _ok(created, 201)
    url = f"/v1/extra_packs/{pack['id']}"

    patched = client.patch(
        url, json={"prices": {"USD": 3900}, "amount": 500}, headers=tenant.headers
    )
    archived = client.post(f"{url}/archive", headers=tenant.headers)

    assert pack == {
        "object": "extra_pack",
        "id": pack["id"],
        "code": "chatbot-1000",
        "name": "1,000 chatbot extra sessions",
        "prices": {"USD": 4900, "JPY": 7000},
        "allowance": "chatbot_sessions",
        "amount": 1000,
        "description": "",
        "archived_at": None,
        "created_at": NOW,
    }
    assert _ok(patched) == {**pack, "prices": {"USD": 3900}, "amount": 500}
    assert _ok(archived) == {**patched.json(), "archived_at": NOW}
    assert client.get(url, headers=tenant.headers).json() == archived.json()
    assert _ok(client.get("/v1/extra_packs", headers=tenant.headers))["data"] == [archived.json()]


def test_invalid_extra_pack_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    existing = _ok(
        client.post(
            "/v1/extra_packs", json={**PACK, "code": "chatbot-500"}, headers=tenant.headers
        ),
        201,
    )
    before = _counts(container)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"prices": {"USD": -4900}}, "prices.USD", "negative"),
        ({"prices": {"XYZ": 4900}}, "prices.XYZ", "unknown_currency"),
        ({"prices": {"JPY": 10.5}}, "prices.JPY", "invalid_value"),
        ({"prices": {"JPY": 10.0}}, "prices.JPY", "invalid_value"),
        ({"prices": {"JPY": "7000"}}, "prices.JPY", "invalid_value"),
        ({"prices": {}}, "prices", "required"),
        ({"amount": 0}, "amount", "invalid_value"),
        ({"amount": 2.5}, "amount", "invalid_value"),
        ({"amount": "1000"}, "amount", "invalid_value"),
        ({"amount": True}, "amount", "invalid_value"),
        ({"allowance": "Chatbot Sessions"}, "allowance", "invalid_code"),
        ({"sessions": 1000}, "sessions", "unknown_field"),
    ]

    created = [
        client.post("/v1/extra_packs", json={**PACK, **change}, headers=tenant.headers)
        for change, _, _ in cases
    ]
    patched = [
        client.patch(f"/v1/extra_packs/{existing['id']}", json=change, headers=tenant.headers)
        for change, _, _ in cases
    ]
    bad_code = client.post("/v1/extra_packs", json={**PACK, "code": ""}, headers=tenant.headers)

    expected = [(422, code, field, [(field, code)]) for _, field, code in cases]
    assert _problems(created) == expected
    assert _problems(patched) == expected
    assert _problems([bad_code]) == [(422, "invalid_code", "code", [("code", "invalid_code")])]
    assert _counts(container) == before
    assert client.get(f"/v1/extra_packs/{existing['id']}", headers=tenant.headers).json() == (
        existing
    )


def test_several_bad_extra_pack_fields_are_all_listed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    response = client.post(
        "/v1/extra_packs",
        json={**PACK, "prices": {"USD": -1}, "allowance": "Chatbot Sessions", "amount": 0},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 422, "invalid_input", "prices.USD")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("prices.USD", "negative"),
        ("allowance", "invalid_code"),
        ("amount", "invalid_value"),
    ]
    assert _counts(container)["extra_packs"] == 0


def test_duplicate_extra_pack_code_is_409(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    client.post("/v1/extra_packs", json=PACK, headers=tenant.headers)

    response = client.post("/v1/extra_packs", json={**PACK, "amount": 5}, headers=tenant.headers)

    _assert_problem(response, 409, "duplicate_code", "code")
    assert _counts(container)["extra_packs"] == 1
