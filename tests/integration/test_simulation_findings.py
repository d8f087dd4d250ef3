"""Regression tests for what the simulator (tests/simulation) found, on SQLite and PostgreSQL:
the test clock stops when a period's late usage can no longer come, and an event sent again
after its window closed answers `duplicate`."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant

PLAN = {
    "code": "basic",
    "name": "Basic",
    "family": "service",
    "publish": True,
    "terms": {
        "base_prices": {"JPY": 2990},
        "charges": [
            {
                "meter": "calls",
                "currency": "JPY",
                "included": 2,
                "limit": "soft",
                "model": "per_unit",
                "unit_price": "3",
            }
        ],
    },
}


def _sandbox(client: TestClient, tenant: Tenant, start: str) -> dict[str, str]:
    made = client.post("/v1/sandboxes", json={"test_clock_start": start}, headers=tenant.headers)
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['api_key']['secret']}"}
    for path, body in (
        ("/v1/plan_families", {"code": "service", "name": "Service plans"}),
        (
            "/v1/meters",
            {"code": "calls", "name": "Calls", "event_code": "call", "aggregation": "count"},
        ),
        ("/v1/plans", PLAN),
    ):
        assert client.post(path, json=body, headers=headers).status_code == 201
    return headers


def _subscribed(client: TestClient, headers: dict[str, str]) -> str:
    account = {"name": "Sim", "email": "sim@example.com", "currency": "JPY", "time_zone": "UTC"}
    account_id: str = client.post("/v1/accounts", json=account, headers=headers).json()["id"]
    body = {"account_id": account_id, "plan": "basic"}
    assert client.post("/v1/subscriptions", json=body, headers=headers).status_code == 201
    return account_id


def _subscription_id(client: TestClient, headers: dict[str, str], account_id: str) -> str:
    found = client.get(f"/v1/subscriptions?account_id={account_id}", headers=headers).json()
    return str(found["data"][0]["id"])


def _send(client: TestClient, headers: dict[str, str], account_id: str, at: str) -> Any:
    event = {"id": "e-1", "account_id": account_id, "code": "call", "timestamp": at}
    answers = client.post("/v1/events/batch", json={"events": [event, event]}, headers=headers)
    return [(a["status"], a.get("code")) for a in answers.json()["data"]]


def test_the_clock_stops_at_a_charged_periods_end_plus_the_grace_window(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _sandbox(client, tenant, "2024-01-31T10:00:00Z")
    account_id = _subscribed(client, headers)
    advanced = client.post(
        "/v1/test_clock/advance", json={"to": "2024-03-05T00:00:00Z"}, headers=headers
    )
    assert advanced.status_code == 200, advanced.text
    invoices = client.get(f"/v1/invoices?account_id={account_id}", headers=headers).json()
    # February ends on the 29th (from a Jan 31 anchor); its usage closes an hour later, when
    # the renewal invoice is made: not at the next stop days later.
    assert [i["created_at"] for i in invoices["data"]] == [
        "2024-01-31T10:00:00Z",
        "2024-02-29T01:00:00Z",
    ]


def test_an_event_sent_again_after_its_window_closed_answers_duplicate(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _sandbox(client, tenant, "2024-01-31T10:00:00Z")
    account_id = _subscribed(client, headers)
    assert _send(client, headers, account_id, "2024-02-01T00:00:00Z") == [
        ("accepted", None),
        ("rejected", "duplicate"),
    ]
    client.post("/v1/test_clock/advance", json={"to": "2024-03-05T00:00:00Z"}, headers=headers)
    # Both copies counted once already: the resend says so, not that it came too late.
    assert _send(client, headers, account_id, "2024-02-01T00:00:00Z") == [
        ("rejected", "duplicate"),
        ("rejected", "duplicate"),
    ]
    other = {
        "id": "e-2",
        "account_id": account_id,
        "code": "call",
        "timestamp": "2024-02-01T00:00:00Z",
    }
    late = client.post("/v1/events/batch", json={"events": [other]}, headers=headers).json()
    assert late["data"][0]["code"] == "period_closed"  # a new id in a closed period is late


def test_usage_after_a_subscription_ended_at_its_term_end_is_refused(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _sandbox(client, tenant, "2024-01-31T10:00:00Z")
    account_id = _subscribed(client, headers)
    sub_id = _subscription_id(client, headers, account_id)
    cancel = {"when": "term_end"}
    assert client.post(
        f"/v1/subscriptions/{sub_id}/cancel", json=cancel, headers=headers
    ).is_success
    client.post("/v1/test_clock/advance", json={"to": "2024-03-10T00:00:00Z"}, headers=headers)
    # It ended on Feb 29: a date after that is billed by no period, so it is not "accepted".
    assert _send(client, headers, account_id, "2024-03-09T00:00:00Z")[0] == (
        "rejected",
        "period_closed",
    )
    last_day = {
        "id": "e-9",
        "account_id": account_id,
        "code": "call",
        "timestamp": "2024-02-28T12:00:00Z",
    }
    late = client.post("/v1/events/batch", json={"events": [last_day]}, headers=headers).json()
    assert late["data"][0]["code"] == "period_closed"  # its last period closed long ago


def test_a_credit_note_that_pays_off_a_failing_invoice_ends_its_dunning(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _sandbox(client, tenant, "2024-02-29T12:00:00Z")
    account_id = _subscribed(client, headers)
    card = {"source": "tok_sandbox_insufficient_funds", "make_default": True}
    assert client.post(
        f"/v1/accounts/{account_id}/payment_methods", json=card, headers=headers
    ).is_success
    client.post("/v1/test_clock/advance", json={"to": "2024-03-04T00:00:00Z"}, headers=headers)
    invoice = client.get(f"/v1/invoices?account_id={account_id}", headers=headers).json()["data"][0]
    sub_url = f"/v1/subscriptions?account_id={account_id}"
    assert client.get(sub_url, headers=headers).json()["data"][0]["status"] == "past_due"
    note = {"amount": invoice["totals"]["total"], "reason": "goodwill"}
    made = client.post(f"/v1/invoices/{invoice['id']}/credit_notes", json=note, headers=headers)
    assert made.status_code == 201, made.text
    # Nothing is owed: the subscription is active again, and no later retry cancels it.
    assert client.get(sub_url, headers=headers).json()["data"][0]["status"] == "active"
    client.post("/v1/test_clock/advance", json={"to": "2024-03-12T00:00:00Z"}, headers=headers)
    assert client.get(sub_url, headers=headers).json()["data"][0]["status"] == "active"


def test_a_resume_on_the_day_after_a_pause_dated_in_the_grace_window_counts_that_day(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _sandbox(client, tenant, "2024-01-31T10:00:00Z")
    account_id = _subscribed(client, headers)
    sub_url = f"/v1/subscriptions?account_id={account_id}"
    sub_id = client.get(sub_url, headers=headers).json()["data"][0]["id"]
    # 30 minutes into 29 February, while January's period still waits for its late usage:
    # the pause is dated 28 February (ADR 0029), the resume 29 February.
    client.post("/v1/test_clock/advance", json={"to": "2024-02-29T00:30:00Z"}, headers=headers)
    for action in ("pause", "resume"):
        done = client.post(f"/v1/subscriptions/{sub_id}/{action}", headers=headers)
        assert done.status_code == 200, done.text
    assert _send(client, headers, account_id, "2024-02-29T00:30:00Z")[0] == ("accepted", None)
    client.post("/v1/test_clock/advance", json={"to": "2024-04-01T02:00:00Z"}, headers=headers)
    invoices = client.get(f"/v1/invoices?account_id={account_id}", headers=headers).json()
    usage = [
        (line["period_start"], line["usage"]["quantity"])
        for invoice in invoices["data"]
        for line in invoice["lines"]
        if line["kind"] == "usage"
    ]
    # 29 February is in the resumed window's line, once: no date billed nowhere.
    assert ("2024-02-29", "1") in usage


def test_a_resume_after_the_pauses_window_was_billed_still_counts_its_own_date(
    client: TestClient, tenant: Tenant
) -> None:
    headers = _sandbox(client, tenant, "2024-01-31T10:00:00Z")
    account_id = _subscribed(client, headers)
    sub_id = _subscription_id(client, headers, account_id)
    client.post("/v1/test_clock/advance", json={"to": "2024-02-29T00:30:00Z"}, headers=headers)
    assert client.post(f"/v1/subscriptions/{sub_id}/pause", headers=headers).is_success
    # The pause (dated 28 February) is billed at its instant + the grace window; the resume
    # comes later on 29 February, whose usage must still count somewhere.
    client.post("/v1/test_clock/advance", json={"to": "2024-02-29T05:00:00Z"}, headers=headers)
    assert client.post(f"/v1/subscriptions/{sub_id}/resume", headers=headers).is_success
    assert _send(client, headers, account_id, "2024-02-29T05:00:00Z")[0] == ("accepted", None)
