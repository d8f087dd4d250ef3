"""/v1/api_keys on SQLite and PostgreSQL: list, create, revoke, roll with an overlap, the key a
request is sent with, another organization's keys, last-used times.

The wall clock is the shared TestClock: an overlap is crossed by advancing it, never by waiting.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import START, Tenant

PROBLEM = "application/problem+json"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _create(client: TestClient, tenant: Tenant, name: str = "backend", **extra: Any) -> Any:
    response = client.post("/v1/api_keys", json={"name": name, **extra}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _works(client: TestClient, secret: str) -> int:
    response: httpx.Response = client.get("/v1/organization", headers=bearer(secret))
    return response.status_code


def _key_rows(container: Plansmith) -> list[tuple[Any, ...]]:
    """Every key row but its last use (a refused request with a valid key is still a use)."""
    columns = [c for c in t.api_keys.columns if c.name != "last_used_at"]
    with container.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(select(*columns)).all())


def _problem(response: Any, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code
    if field is not None:
        assert response.json()["field"] == field


def test_create_shows_the_secret_once_and_the_list_only_its_prefix(
    client: TestClient, tenant: Tenant
) -> None:
    created = client.post(
        "/v1/api_keys", json={"name": "pricing page", "kind": "publishable"}, headers=tenant.headers
    )
    listed = client.get("/v1/api_keys", headers=tenant.headers)
    one = client.get(f"/v1/api_keys/{created.json()['id']}", headers=tenant.headers)

    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("pk_") and body["prefix"] == secret[:10]
    assert (body["name"], body["kind"], body["status"]) == ("pricing page", "publishable", "active")
    assert body["created_at"] == "2026-01-31T15:00:00Z"
    assert body["last_used_at"] is None and body["expires_at"] is None
    assert listed.status_code == 200
    rows = listed.json()["data"]
    assert {row["name"] for row in rows} == {"test", "pricing page"}  # the tenant's own + new
    assert all("secret" not in row for row in rows) and secret not in listed.text
    assert secret not in one.text and one.json()["prefix"] == secret[:10]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "  "}, "name"), ({"name": "x", "kind": "admin"}, "kind"), ({}, "name")],
)
def test_a_bad_create_is_422_naming_the_field_and_creates_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    before = _key_rows(container)

    response = client.post("/v1/api_keys", json=body, headers=tenant.headers)

    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert _key_rows(container) == before


def test_a_revoked_key_gets_401_at_once_and_cannot_be_revoked_or_rolled_again(
    client: TestClient, tenant: Tenant
) -> None:
    key = _create(client, tenant)
    assert _works(client, key["secret"]) == 200

    revoked = client.post(f"/v1/api_keys/{key['id']}/revoke", headers=tenant.headers)

    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["status"], revoked.json()["revoked_at"]) == (
        "revoked",
        "2026-01-31T15:00:00Z",
    )
    refused = client.get("/v1/organization", headers=bearer(key["secret"]))
    _problem(refused, 401, "unauthorized")
    again = client.post(f"/v1/api_keys/{key['id']}/revoke", headers=tenant.headers)
    _problem(again, 409, "api_key_revoked", "key_id")
    rolled = client.post(
        f"/v1/api_keys/{key['id']}/roll", json={"expires_in": 60}, headers=tenant.headers
    )
    _problem(rolled, 409, "api_key_revoked", "key_id")
    names = [
        row["name"] for row in client.get("/v1/api_keys", headers=tenant.headers).json()["data"]
    ]
    assert sorted(names) == ["backend", "test"]  # the refused roll made no new key


def test_a_rolled_key_works_until_its_overlap_ends_then_gets_401(
    client: TestClient, clock: TestClock, tenant: Tenant
) -> None:
    old = _create(client, tenant, "backend")

    rolled = client.post(
        f"/v1/api_keys/{old['id']}/roll", json={"expires_in": 3600}, headers=tenant.headers
    )

    assert rolled.status_code == 201, rolled.text
    assert rolled.headers["cache-control"] == "no-store"
    body = rolled.json()
    new = body["new_key"]
    assert body["old_key"]["id"] == old["id"]
    assert (body["old_key"]["status"], body["old_key"]["expires_at"]) == (
        "expiring",
        "2026-01-31T16:00:00Z",
    )
    assert (new["name"], new["kind"], new["status"]) == ("backend", "secret", "active")
    assert new["secret"].startswith("sk_") and new["id"] != old["id"]
    assert _works(client, old["secret"]) == 200
    assert _works(client, new["secret"]) == 200
    again = client.post(
        f"/v1/api_keys/{old['id']}/roll", json={"expires_in": 60}, headers=tenant.headers
    )
    _problem(again, 409, "api_key_rolled", "key_id")

    clock.set(START + timedelta(seconds=3599))
    assert _works(client, old["secret"]) == 200
    clock.set(START + timedelta(seconds=3600))  # the instant itself: refused
    _problem(client.get("/v1/organization", headers=bearer(old["secret"])), 401, "unauthorized")
    assert _works(client, new["secret"]) == 200
    shown = client.get(f"/v1/api_keys/{old['id']}", headers=tenant.headers).json()
    assert shown["status"] == "expired"
    expired = client.post(f"/v1/api_keys/{old['id']}/revoke", headers=tenant.headers)
    _problem(expired, 409, "api_key_revoked", "key_id")


def test_rolling_with_no_overlap_stops_the_old_key_at_once(
    client: TestClient, tenant: Tenant
) -> None:
    old = _create(client, tenant)

    rolled = client.post(
        f"/v1/api_keys/{old['id']}/roll", json={"expires_in": 0}, headers=tenant.headers
    )

    assert rolled.status_code == 201, rolled.text
    assert _works(client, old["secret"]) == 401
    assert _works(client, rolled.json()["new_key"]["secret"]) == 200


def test_a_rolled_key_can_still_be_revoked_during_its_overlap(
    client: TestClient, tenant: Tenant
) -> None:
    old = _create(client, tenant)
    client.post(
        f"/v1/api_keys/{old['id']}/roll", json={"expires_in": 86400}, headers=tenant.headers
    )
    assert _works(client, old["secret"]) == 200

    revoked = client.post(f"/v1/api_keys/{old['id']}/revoke", headers=tenant.headers)

    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    assert _works(client, old["secret"]) == 401


@pytest.mark.parametrize("expires_in", [-1, 604801, "soon", None])
def test_an_overlap_out_of_bounds_is_422_naming_expires_in_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, expires_in: Any
) -> None:
    key = _create(client, tenant)
    before = _key_rows(container)
    body = {} if expires_in is None else {"expires_in": expires_in}

    response = client.post(f"/v1/api_keys/{key['id']}/roll", json=body, headers=tenant.headers)

    assert response.status_code == 422, response.text
    assert response.json()["field"] == "expires_in"
    assert _key_rows(container) == before


def test_the_largest_overlap_is_seven_days(client: TestClient, tenant: Tenant) -> None:
    key = _create(client, tenant)

    response = client.post(
        f"/v1/api_keys/{key['id']}/roll", json={"expires_in": 604800}, headers=tenant.headers
    )

    assert response.status_code == 201, response.text
    assert response.json()["old_key"]["expires_at"] == "2026-02-07T15:00:00Z"


def test_a_request_cannot_revoke_its_own_key_but_may_roll_it(
    client: TestClient, clock: TestClock, tenant: Tenant
) -> None:
    [mine] = client.get("/v1/api_keys", headers=tenant.headers).json()["data"]
    clock.advance(timedelta(seconds=1))  # the new key is listed after the old one

    revoked = client.post(f"/v1/api_keys/{mine['id']}/revoke", headers=tenant.headers)
    _problem(revoked, 409, "api_key_in_use", "key_id")
    assert _works(client, tenant.api_key) == 200

    rolled = client.post(
        f"/v1/api_keys/{mine['id']}/roll", json={"expires_in": 0}, headers=tenant.headers
    )
    assert rolled.status_code == 201, rolled.text
    assert _works(client, tenant.api_key) == 401
    replacement = rolled.json()["new_key"]["secret"]
    listed = client.get("/v1/api_keys", headers=bearer(replacement))
    assert [row["status"] for row in listed.json()["data"]] == ["expired", "active"]


def test_another_organizations_keys_are_404_and_keep_working(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _create(client, other_tenant, "their backend")
    before = _key_rows(container)
    url = f"/v1/api_keys/{theirs['id']}"

    answers = [
        client.get(url, headers=tenant.headers),
        client.post(f"{url}/revoke", headers=tenant.headers),
        client.post(f"{url}/roll", json={"expires_in": 0}, headers=tenant.headers),
    ]
    listed = client.get("/v1/api_keys", headers=tenant.headers).json()["data"]

    for response in answers:
        _problem(response, 404, "not_found", "key_id")
    assert _key_rows(container) == before
    assert _works(client, theirs["secret"]) == 200
    assert theirs["id"] not in {row["id"] for row in listed}


def test_a_retried_roll_with_the_same_idempotency_key_makes_one_new_key(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    key = _create(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "roll-1"}

    first = client.post(f"/v1/api_keys/{key['id']}/roll", json={"expires_in": 60}, headers=headers)
    again = client.post(f"/v1/api_keys/{key['id']}/roll", json={"expires_in": 60}, headers=headers)

    assert first.status_code == 201
    _problem(again, 409, "idempotency_response_withheld", "Idempotency-Key")
    assert again.headers.get("idempotent-replayed") == "true"
    with container.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(t.api_keys)).scalar_one()
    assert count == 3  # the tenant's own, the one rolled, one new


def test_a_new_secret_is_never_kept_for_replays(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "create-1"}
    body = {"name": "backend"}

    first = client.post("/v1/api_keys", json=body, headers=headers)
    again = client.post("/v1/api_keys", json=body, headers=headers)

    assert first.status_code == 201
    secret = first.json()["secret"]
    _problem(again, 409, "idempotency_response_withheld", "Idempotency-Key")
    assert secret not in again.text
    with container.engine.connect() as connection:
        stored = connection.execute(select(t.idempotency_keys.c.response_body)).scalars().all()
    assert stored and all(secret.encode() not in bytes(b or b"") for b in stored)
    listed = client.get("/v1/api_keys", headers=tenant.headers).json()["data"]
    assert [k["name"] for k in listed].count("backend") == 1  # the retry made nothing


def test_last_used_is_recorded_at_most_once_a_minute(
    client: TestClient, container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    key = _create(client, tenant)

    def last_used() -> Any:
        with container.engine.connect() as connection:
            c = t.api_keys.c
            return connection.execute(select(c.last_used_at).where(c.id == key["id"])).scalar_one()

    assert last_used() is None
    _works(client, key["secret"])
    assert last_used() == START
    clock.set(START + timedelta(seconds=59))
    _works(client, key["secret"])
    assert last_used() == START  # younger than a minute: not written again
    clock.set(START + timedelta(seconds=61))
    _works(client, key["secret"])
    assert last_used() == START + timedelta(seconds=61)
    shown = client.get(f"/v1/api_keys/{key['id']}", headers=tenant.headers).json()
    assert shown["last_used_at"] == "2026-01-31T15:01:01Z"


def test_a_publishable_key_cannot_manage_keys(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    public = _create(client, tenant, "pricing", kind="publishable")
    before = _key_rows(container)

    listed = client.get("/v1/api_keys", headers=bearer(public["secret"]))
    created = client.post("/v1/api_keys", json={"name": "x"}, headers=bearer(public["secret"]))

    _problem(listed, 401, "unauthorized")
    _problem(created, 401, "unauthorized")
    assert _key_rows(container) == before
