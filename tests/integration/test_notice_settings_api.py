"""The notice settings over the API, on SQLite and PostgreSQL: read, changed field by field,
and a refused value changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant

PATH = "/v1/organization/notice_settings"


def test_the_copy_address_is_set_changed_and_cleared(client: TestClient, tenant: Tenant) -> None:
    h = tenant.headers
    assert client.get(PATH, headers=h).json() == {
        "object": "notice_settings",
        "copy_address": None,
        "copy_mode": "bcc",
        "trial_days_before": 3,
        "renewal_days_before": 7,
    }
    set_ = client.post(PATH, json={"copy_address": "Service@Operator.example"}, headers=h)
    assert set_.status_code == 200
    assert set_.json()["copy_address"] == "Service@operator.example"  # the domain normalised
    cc = client.post(PATH, json={"copy_mode": "cc"}, headers=h).json()
    assert (cc["copy_address"], cc["copy_mode"]) == ("Service@operator.example", "cc")
    cleared = client.post(PATH, json={"copy_address": "", "trial_days_before": 5}, headers=h).json()
    assert (cleared["copy_address"], cleared["copy_mode"]) == (None, "cc")
    assert (cleared["trial_days_before"], cleared["renewal_days_before"]) == (5, 7)


def test_a_refused_value_names_its_field_and_changes_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    h = tenant.headers
    client.post(
        PATH, json={"copy_address": "service@operator.example", "copy_mode": "cc"}, headers=h
    )
    bad = client.post(PATH, json={"copy_address": "not an address"}, headers=h)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "copy_address" in bad.text
    wrong_mode = client.post(PATH, json={"copy_mode": "to"}, headers=h)
    assert wrong_mode.status_code == 422 and "copy_mode" in wrong_mode.text
    too_far = client.post(PATH, json={"renewal_days_before": 61}, headers=h)
    assert too_far.status_code == 422 and "renewal_days_before" in too_far.text
    assert client.get(PATH, headers=h).json()["copy_address"] == "service@operator.example"
    assert client.get(PATH, headers=h).json()["copy_mode"] == "cc"
    assert client.get(PATH, headers=h).json()["renewal_days_before"] == 7
