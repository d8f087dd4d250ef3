"""The sender guard, on both databases: endpoint URLs into the deployment's own network are
refused when made (422 naming `url`, nothing written) and again at every delivery (resolved,
every address checked, connected to the checked one); redirects are never followed. Also the
API's other refusals, which leave nothing written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.db import tables as t
from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.webhooks import endpoints as uc
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.webhook_receiver import receiving
from tests.integration.webhook_support import (
    attempts,
    count,
    deliveries,
    publish_payments,
    relay_all,
)

ROOT = "/v1/webhook_endpoints"
PUBLIC = "https://93.184.215.14/hooks"  # an address on the Internet; never contacted here


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",  # a name resolving to a private address
        "https://[fd00:ec2::254]/",
        "https://[::ffff:192.168.1.1]/",
        "https://172.16.5.4:8443/",
        "https://0.0.0.0/",
        "https://[fe80::1]/",
    ],
)
def test_urls_into_private_networks_are_refused_and_nothing_is_written(
    client: TestClient, tenant: Tenant, container: Plansmith, url: str
) -> None:
    answer = client.post(ROOT, json={"url": url}, headers=tenant.headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "url_refused" and problem["field"] == "url"
    assert count(container, t.webhook_endpoints) == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hooks", "https"),
        ("ftp://93.184.215.14/hooks", "http or https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@93.184.215.14/", "no user"),
        ("https://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_malformed_urls_are_refused(
    client: TestClient, tenant: Tenant, container: Plansmith, url: str, reason: str
) -> None:
    answer = client.post(ROOT, json={"url": url}, headers=tenant.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_url" and answer.json()["field"] == "url"
    assert reason in answer.json()["detail"]
    assert count(container, t.webhook_endpoints) == 0


def test_api_refusals_name_every_field_and_change_nothing(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, container: Plansmith
) -> None:
    bad = {"url": "https://10.0.0.1/", "event_types": ["payment.succeeded", "no.such"]}
    answer = client.post(ROOT, json=bad, headers=tenant.headers)
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"url", "event_types[1]"}
    assert count(container, t.webhook_endpoints) == 0

    made = client.post(ROOT, json={"url": PUBLIC}, headers=tenant.headers).json()
    before = client.get(f"{ROOT}/{made['id']}", headers=tenant.headers).json()
    change = {"url": "https://127.0.0.1/", "event_types": [], "description": "x" * 501}
    answer = client.patch(f"{ROOT}/{made['id']}", json=change, headers=tenant.headers)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"url", "event_types", "description"}
    nulls = client.patch(f"{ROOT}/{made['id']}", json={"url": None}, headers=tenant.headers)
    assert nulls.status_code == 422 and nulls.json()["field"] == "url"
    assert client.get(f"{ROOT}/{made['id']}", headers=tenant.headers).json() == before

    # Another organization's endpoint is not found, for every route.
    theirs = f"{ROOT}/{made['id']}"
    assert client.get(theirs, headers=other_tenant.headers).status_code == 404
    assert client.delete(theirs, headers=other_tenant.headers).status_code == 404
    rotated = client.post(f"{theirs}/rotate_secret", json={}, headers=other_tenant.headers)
    assert rotated.status_code == 404 and rotated.json()["field"] == "endpoint_id"
    long = client.post(
        f"{ROOT}/{made['id']}/rotate_secret",
        json={"overlap_seconds": 10**7},
        headers=tenant.headers,
    )
    assert long.status_code == 422 and long.json()["field"] == "overlap_seconds"
    assert client.get(f"{ROOT}/{made['id']}", headers=tenant.headers).json() == before
    assert client.get(ROOT, headers=other_tenant.headers).json()["data"] == []


def test_a_create_retried_with_its_idempotency_key_makes_one_endpoint(
    client: TestClient, tenant: Tenant, container: Plansmith
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "wh-1"}
    first = client.post(ROOT, json={"url": PUBLIC}, headers=headers)
    again = client.post(ROOT, json={"url": PUBLIC}, headers=headers)
    assert first.status_code == 201
    # Done once; the answer held the secret, which is never stored, so it is not replayed.
    assert again.status_code == 409
    assert again.json()["code"] == "idempotency_response_withheld"
    assert count(container, t.webhook_endpoints) == 1
    assert client.delete(f"{ROOT}/{first.json()['id']}", headers=tenant.headers).status_code == 200
    assert count(container, t.webhook_endpoints) == 0


def _allowed(container: Plansmith, tenant: Tenant, url: str) -> str:
    """An endpoint made while private addresses were allowed (a changed setting)."""
    policy = uc.UrlPolicy(True, lambda host, port: ["127.0.0.1"])
    return uc.create_endpoint(
        container.uow(), container.clock, policy, tenant.organization_id, url=url
    ).id


def test_delivery_time_checks_refuse_private_addresses_and_rebinding_names(
    container: Plansmith, tenant: Tenant
) -> None:
    with receiving() as receiver:
        _allowed(container, tenant, receiver.url.replace("http:", "https:"))
        # Rebinding: a name that resolves to a public and a private address is refused.
        _allowed(container, tenant, "https://rebinding.example/hooks")
        publish_payments(container, tenant.organization_id, 1)
        relay_all(container)

        def rebinding(host: str, port: int) -> list[str]:
            return ["93.184.215.14", "10.0.0.1"] if host == "rebinding.example" else ["127.0.0.1"]

        sender = HttpSender(allow_private=False, resolver=rebinding)
        try:
            assert container.delivery_worker(sender).run_once() == 2
        finally:
            sender.close()
        assert receiver.got == []  # never contacted
    logged = attempts(container)
    assert len(logged) == 2 and all(a["status"] is None for a in logged)
    errors = sorted(a["error"] for a in logged)
    assert errors[0].startswith("refused: url points into a private network: 10.0.0.1")
    assert (
        errors[1] == "refused: url points into a private network: 127.0.0.1 is a loopback address"
    )
    assert all(d["state"] == "pending" for d in deliveries(container))  # retried later


def test_a_redirect_to_a_private_address_is_not_followed(
    container: Plansmith, tenant: Tenant
) -> None:
    with receiving(redirect_to="http://169.254.169.254/latest/meta-data") as receiver:
        _allowed(container, tenant, receiver.url)
        publish_payments(container, tenant.organization_id, 1)
        relay_all(container)
        sender = HttpSender(allow_private=True)
        try:
            assert container.delivery_worker(sender).run_once() == 1
        finally:
            sender.close()
        assert len(receiver.got) == 1
    (attempt,) = attempts(container)
    assert attempt["status"] == 302
    assert attempt["error"] == (
        "redirect (302 to http://169.254.169.254/latest/meta-data) not followed"
    )
    (delivery,) = deliveries(container)
    assert delivery["state"] == "pending" and delivery["attempts"] == 1
