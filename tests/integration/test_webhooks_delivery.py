"""Webhooks end to end on both databases: endpoints made through the API, events fanned out
by the outbox relay, sent by the delivery worker to a real local receiver that checks every
signature with the ``standardwebhooks`` library; retries on the test clock, the attempt log,
secret rotation, and the endpoint disabled after a run of failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.webhooks.fan_out import WebhookFanOut
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.webhook_receiver import Receiver, receiving
from tests.integration.webhook_support import (
    count,
    deliveries,
    publish_payments,
    relay_all,
    webhook_app,
)


@pytest.fixture
def container(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    with webhook_app(db_url, clock) as app:
        yield app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def _endpoint(client: TestClient, tenant: Tenant, url: str, **more: object) -> dict[str, object]:
    answer = client.post("/v1/webhook_endpoints", json={"url": url, **more}, headers=tenant.headers)
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    found: dict[str, object] = answer.json()
    return found


def _deliver(container: Plansmith) -> int:
    relay_all(container)
    worker = container.delivery_worker()
    try:
        return worker.run_until_idle()
    finally:
        worker.sender.close()


def test_each_event_reaches_the_endpoint_signed_in_the_standard_webhooks_shape(
    container: Plansmith, client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    made = _endpoint(client, tenant, receiver.url, description="books")
    secret = str(made["secret"])
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    receiver.secrets.append(secret)
    publish_payments(container, tenant.organization_id, 3)

    assert _deliver(container) == 3
    assert len(receiver.got) == 3 and all(r.verified_by == (0,) for r in receiver.got)
    # No order across objects (these are three payments): each carries its sequence.
    got = sorted(receiver.got, key=lambda r: r.payload["data"]["sequence"])
    first = got[0]
    assert first.payload["type"] == "payment.succeeded"
    assert first.payload["data"]["payment_id"] == "pay_000000"
    assert first.payload["data"]["amount"] == 1000
    assert first.payload["timestamp"].endswith("Z")
    assert [r.payload["data"]["payment_id"] for r in got] == [f"pay_00000{n}" for n in range(3)]
    # webhook-id is the outbox event's id
    events = client.get("/v1/events", headers=tenant.headers).json()["data"]
    assert {r.webhook_id for r in receiver.got} == {e["id"] for e in events}
    assert all(d["state"] == "succeeded" for d in deliveries(container))
    # Nothing more to do: the relay and the worker are idle.
    assert _deliver(container) == 0 and len(receiver.got) == 3


def test_a_forged_or_stale_signature_is_refused_by_the_receiver(
    container: Plansmith, client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.secrets.append(str(_endpoint(client, tenant, receiver.url)["secret"]))
    body = b'{"type":"payment.succeeded","timestamp":"2026-01-31T15:00:00Z","data":{}}'
    now = int(time.time())
    forged = base64.b64encode(hmac.new(b"not-the-key", b"x", hashlib.sha256).digest()).decode()
    headers = {"webhook-id": "evt_forged", "webhook-timestamp": str(now)}
    answer = httpx.post(
        receiver.url, content=body, headers={**headers, "webhook-signature": f"v1,{forged}"}
    )
    assert answer.status_code == 401
    key = base64.b64decode(receiver.secrets[0][6:])
    stale_at = str(now - 600)
    signed = hmac.new(key, f"evt_stale.{stale_at}.".encode() + body, hashlib.sha256).digest()
    stale = {
        "webhook-id": "evt_stale",
        "webhook-timestamp": stale_at,
        "webhook-signature": "v1," + base64.b64encode(signed).decode(),
    }
    assert httpx.post(receiver.url, content=body, headers=stale).status_code == 401
    # The same signature made now is accepted: the refusals were for forgery and age alone.
    fresh_at = str(now)
    signed = hmac.new(key, f"evt_fresh.{fresh_at}.".encode() + body, hashlib.sha256).digest()
    fresh = {**stale, "webhook-id": "evt_fresh", "webhook-timestamp": fresh_at}
    fresh["webhook-signature"] = "v1," + base64.b64encode(signed).decode()
    assert httpx.post(receiver.url, content=body, headers=fresh).status_code == 200


def test_retries_after_500_twice_then_200_with_the_same_webhook_id_and_an_attempt_log(
    container: Plansmith, client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    with receiving(script=[500, 500]) as receiver:
        made = _endpoint(client, tenant, receiver.url)
        receiver.secrets.append(str(made["secret"]))
        publish_payments(container, tenant.organization_id, 1)
        assert _deliver(container) == 1  # the first attempt: 500
        assert _deliver(container) == 0  # the retry is not due yet
        clock.advance(timedelta(seconds=6))  # 5 s, +-10 %
        assert _deliver(container) == 1  # 500 again
        clock.advance(timedelta(minutes=4))
        assert _deliver(container) == 0
        clock.advance(timedelta(minutes=2))  # 5 min, +-10 %
        assert _deliver(container) == 1  # 200
        assert [r.answered for r in receiver.got] == [500, 500, 200]
        assert len({r.webhook_id for r in receiver.got}) == 1
        assert all(r.verified_by == (0,) for r in receiver.got)
        assert len({r.body for r in receiver.got}) == 1  # the same bytes every time

    url = f"/v1/webhook_endpoints/{made['id']}/deliveries"
    (delivery,) = client.get(url, headers=tenant.headers).json()["data"]
    assert delivery["state"] == "succeeded" and delivery["attempts"] == 3
    assert delivery["event_id"] == receiver.got[0].webhook_id
    log = delivery["attempt_log"]
    assert [a["status"] for a in log] == [500, 500, 200]
    assert [a["number"] for a in log] == [1, 2, 3]
    assert log[0]["error"] == "answered 500" and log[0]["response_head"] == "answer 500"
    assert log[2]["error"] is None and log[2]["response_head"] == "ok"
    assert all(a["duration_ms"] >= 0 for a in log)


def test_rotation_signs_with_both_secrets_through_the_overlap_then_the_new_one(
    container: Plansmith,
    client: TestClient,
    tenant: Tenant,
    clock: TestClock,
    receiver: Receiver,
) -> None:
    made = _endpoint(client, tenant, receiver.url)
    old = str(made["secret"])
    rotate = f"/v1/webhook_endpoints/{made['id']}/rotate_secret"
    answer = client.post(rotate, json={"overlap_seconds": 3600}, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    new = answer.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert answer.json()["secret_rotating_until"] is not None
    receiver.secrets.extend([old, new])
    publish_payments(container, tenant.organization_id, 1)
    _deliver(container)
    (during,) = receiver.got
    assert during.verified_by == (0, 1)  # each secret alone verifies it
    assert len(during.headers["webhook-signature"].split(" ")) == 2

    clock.advance(timedelta(hours=1, seconds=1))
    publish_payments(container, tenant.organization_id, 1, start=1)
    _deliver(container)
    after = receiver.got[1]
    assert after.verified_by == (1,)  # the old secret no longer signs
    assert len(after.headers["webhook-signature"].split(" ")) == 1


def test_only_enabled_endpoints_wanting_the_type_get_it_and_fan_out_is_once(
    container: Plansmith,
    client: TestClient,
    tenant: Tenant,
    other_tenant: Tenant,
    receiver: Receiver,
) -> None:
    wants = _endpoint(client, tenant, receiver.url, event_types=["payment.succeeded"])
    _endpoint(client, tenant, receiver.url + "/other", event_types=["invoice.finalized"])
    _endpoint(client, tenant, receiver.url + "/off", enabled=False)
    _endpoint(client, other_tenant, receiver.url + "/theirs")
    publish_payments(container, tenant.organization_id, 2)
    relay_all(container)
    assert [d["endpoint_id"] for d in deliveries(container)] == [wants["id"]] * 2

    # A relay that hands an event twice (died before recording it) makes nothing twice.
    fan_out = WebhookFanOut(container.uow, container.clock)
    with container.uow() as uow:
        events = uow.outbox.list(
            tenant.organization_id, type=None, object_id=None, before=None, limit=10
        )
    for event in events:
        fan_out.handle(event)
    assert count(container, t.webhook_deliveries) == 2


def test_replay_one_and_replay_since(
    container: Plansmith,
    client: TestClient,
    tenant: Tenant,
    clock: TestClock,
    receiver: Receiver,
) -> None:
    made = _endpoint(client, tenant, receiver.url)
    receiver.secrets.append(str(made["secret"]))
    publish_payments(container, tenant.organization_id, 2)
    _deliver(container)
    first = receiver.got[0].webhook_id
    base = f"/v1/webhook_endpoints/{made['id']}"
    answer = client.post(f"{base}/deliveries/{first}/replay", headers=tenant.headers)
    assert answer.status_code == 200 and answer.json()["scheduled"] == 1
    _deliver(container)
    assert len(receiver.got) == 3 and receiver.got[2].webhook_id == first

    since = (clock.now() - timedelta(minutes=1)).isoformat()
    answer = client.post(f"{base}/replay", json={"since": since}, headers=tenant.headers)
    assert answer.json()["scheduled"] == 2
    _deliver(container)
    assert len(receiver.got) == 5
    assert all(r.verified_by == (0,) for r in receiver.got)
    later = (clock.now() + timedelta(minutes=1)).isoformat()
    answer = client.post(f"{base}/replay", json={"since": later}, headers=tenant.headers)
    assert answer.json()["scheduled"] == 0
    missing = client.post(f"{base}/deliveries/evt_nope/replay", headers=tenant.headers)
    assert missing.status_code == 404 and missing.json()["field"] == "event_id"


def test_an_endpoint_failing_for_days_is_disabled_and_the_operator_told(
    container: Plansmith, client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    with receiving(script=[500] * 100) as receiver:
        made = _endpoint(client, tenant, receiver.url)
        receiver.secrets.append(str(made["secret"]))
        publish_payments(container, tenant.organization_id, 5)
        for _ in range(14):
            _deliver(container)
            clock.advance(timedelta(hours=13))
        sent = len(receiver.got)
    found = client.get(f"/v1/webhook_endpoints/{made['id']}", headers=tenant.headers).json()
    assert found["enabled"] is False and found["disabled_reason"]
    assert 5 <= sent <= 5 * 12
    events = client.get("/v1/events?type=webhook_endpoint.disabled", headers=tenant.headers).json()[
        "data"
    ]
    assert len(events) == 1 and events[0]["data"]["endpoint_id"] == made["id"]
    # Disabled: nothing more is sent; enabled again: a fresh start.
    assert _deliver(container) == 0
    answer = client.patch(
        f"/v1/webhook_endpoints/{made['id']}", json={"enabled": True}, headers=tenant.headers
    )
    assert answer.json()["enabled"] is True and answer.json()["failing_since"] is None
