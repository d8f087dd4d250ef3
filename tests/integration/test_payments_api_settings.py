"""The payment settings through /v1 on SQLite and PostgreSQL: the dunning policy (default,
changed field by field, refusals naming the field), an account's collection method, and the
invoices being dunned with their next attempt."""

from __future__ import annotations

from plansmith.bootstrap import Plansmith
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.payments_api_support import (
    INSUFFICIENT,
    NO_GRACE,
    PaymentsApi,
    api,
    other_api,
)
from tests.integration.route_calls import _dump

__all__ = ["api", "other_api"]  # the shared fixtures

POLICY = "/v1/organization/dunning_policy"
DEFAULT = {
    "object": "dunning_policy",
    "retry_days": [1, 3, 5, 7],
    "spacing": "offsets",
    "stages": [],
    "after_last": "canceled",
    "invoice_after_last": "uncollectible",
}


def test_the_default_policy_until_one_is_set_then_the_fields_named_change(
    api: PaymentsApi,
) -> None:
    default = _ok(api.get(POLICY))

    changed = _ok(
        api.post(
            POLICY,
            {"retry_days": [2, 4], "stages": [{"after_days": 3, "action": "restrict"}]},
        )
    )
    again = _ok(api.post(POLICY, {"after_last": "past_due"}))

    assert default == DEFAULT
    expected = {
        **DEFAULT,
        "retry_days": [2, 4],
        "stages": [{"after_days": 3, "action": "restrict"}],
    }
    assert changed == expected
    assert again == {**expected, "after_last": "past_due"}
    assert _ok(api.get(POLICY)) == again


def test_a_wrong_policy_names_each_field_and_changes_nothing(
    api: PaymentsApi, container: Plansmith
) -> None:
    _ok(api.post(POLICY, {"retry_days": [2, 4]}))
    before = _dump(container)

    not_increasing = api.post(POLICY, {"retry_days": [3, 3]})
    bad_action = api.post(POLICY, {"stages": [{"after_days": 1, "action": "explode"}]})
    bad_spacing = api.post(POLICY, {"spacing": "sometimes"})
    too_late = api.post(POLICY, {"retry_days": [1, 61]})
    null = api.post(POLICY, {"retry_days": None})
    unknown = api.post(POLICY, {"retries": [1]})

    _assert_problem(not_increasing, 422, "invalid_value", "retry_days[1]")
    _assert_problem(bad_action, 422, "invalid_value", "stages[0].action")
    _assert_problem(bad_spacing, 422, "invalid_value", "spacing")
    _assert_problem(too_late, 422, "too_large", "retry_days[1]")
    _assert_problem(null, 422, "required", "retry_days")
    _assert_problem(unknown, 422, "unknown_field", "retries")
    assert _dump(container) == before
    assert _ok(api.get(POLICY))["retry_days"] == [2, 4]


def test_an_accounts_collection_method_is_read_and_set(api: PaymentsApi) -> None:
    account_id = api.account()
    path = f"/v1/accounts/{account_id}/collection"

    default = _ok(api.get(path))
    changed = _ok(api.post(path, {"method": "send_invoice", "net_days": 30}))

    assert default == {
        "object": "collection_method",
        "account_id": account_id,
        "method": "charge_automatically",
        "net_days": 0,
    }
    assert changed == {**default, "method": "send_invoice", "net_days": 30}
    assert _ok(api.get(path)) == changed


def test_a_wrong_collection_method_names_its_field_and_changes_nothing(
    api: PaymentsApi, other_api: PaymentsApi, container: Plansmith
) -> None:
    account_id = api.account()
    theirs = other_api.account()
    path = f"/v1/accounts/{account_id}/collection"
    before = _dump(container)

    wrong_method = api.post(path, {"method": "cash"})
    too_long = api.post(path, {"method": "send_invoice", "net_days": 366})
    negative = api.post(path, {"method": "send_invoice", "net_days": -1})
    not_mine = api.post(f"/v1/accounts/{theirs}/collection", {"method": "send_invoice"})
    not_mine_read = api.get(f"/v1/accounts/{theirs}/collection")

    _assert_problem(wrong_method, 422, "invalid_value", "method")
    _assert_problem(too_long, 422, "invalid_value", "net_days")
    _assert_problem(negative, 422, "invalid_value", "net_days")
    _assert_problem(not_mine, 404, "not_found", "account_id")
    _assert_problem(not_mine_read, 404, "not_found", "account_id")
    assert _dump(container) == before


@NO_GRACE
def test_a_failed_retry_puts_the_invoice_in_collections_with_its_next_attempt(
    api: PaymentsApi, other_api: PaymentsApi
) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id, INSUFFICIENT)
    theirs, their_invoice = other_api.open_invoice()
    other_api.card(theirs, INSUFFICIENT)
    _ok(other_api.post(f"/v1/invoices/{their_invoice['id']}/retry"))

    _ok(api.post(f"/v1/invoices/{invoice['id']}/retry"))
    listed = _ok(api.get("/v1/collections"))["data"]

    # The first failure at 2026-01-31 15:00 UTC (Feb 1 00:00 in Tokyo): the first retry one
    # day later at the same local wall time.
    assert listed == [
        {
            "object": "collection",
            "invoice_id": invoice["id"],
            "account_id": account_id,
            "state": "scheduled",
            "failures": 1,
            "first_failure_at": "2026-01-31T15:00:00Z",
            "next_attempt_at": "2026-02-01T15:00:00Z",
            "stages_done": 0,
        }
    ]
