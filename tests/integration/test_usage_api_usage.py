"""An account's usage through the /v1 API, on both databases: each meter's value over the
period equals the one worked out by hand from the events sent (count and sum add up, max is
the largest, unique_count counts values once across days), other periods and accounts apart;
a batch costs the same few statements whatever its size."""

from __future__ import annotations

import random
from decimal import Decimal

from plansmith.bootstrap import Plansmith
from tests.integration.billing_api_support import _ok
from tests.integration.statement_budgets_support import counted
from tests.integration.usage_api_support import UsageApi, call, usage

__all__ = ["usage"]


def test_usage_equals_the_values_worked_out_by_hand(usage: UsageApi) -> None:
    account, other = usage.subscriber(), usage.subscriber("Other KK")
    rng = random.Random(15)
    events, users = [], []
    total, peak, calls, eu = Decimal(0), Decimal(0), 0, 0
    for n in range(300):
        day = 1 + n % 28
        amount = Decimal(rng.randrange(0, 10**7)) / 1000  # three decimals, as JSON numbers
        region = rng.choice(["eu", "us", "jp"])
        at = f"2026-02-{day:02d}T{n % 24:02d}:30:00+09:00"
        events.append(call(account, f"c-{n}", at, bytes=float(amount), region=region))
        total, peak, calls, eu = total + amount, max(peak, amount), calls + 1, eu + (region == "eu")
        user = f"u-{rng.randrange(40)}"
        users.append(user)
        login = {"id": f"l-{n}", "account_id": account, "code": "login", "timestamp": at}
        events.append({**login, "properties": {"user": user}})
    # Noise that must not count: another account's events, and the next period's.
    events.append(call(other, "c-0", "2026-02-01T09:00:00+09:00", bytes=10**6))
    events.append(call(account, "march", "2026-03-01T00:00:00+09:00", bytes=10**6))
    for start in range(0, len(events), 250):
        assert _ok(usage.batch(events[start : start + 250]))["rejected"] == 0

    assert usage.values(account) == {
        "bytes": format(total.normalize(), "f"),
        "calls": calls,
        "eu_calls": eu,
        "peak": format(peak.normalize(), "f"),
        "users": len(set(users)),
    }


def test_sums_of_decimal_fractions_are_exact(usage: UsageApi) -> None:
    account = usage.subscriber()
    events = [call(account, f"e-{n}", "2026-02-02T10:00:00+09:00", bytes=0.1) for n in range(3)]
    _ok(usage.batch(events))
    assert usage.values(account)["bytes"] == "0.3"  # 0.1 + 0.1 + 0.1 as floats: 0.30000000000000004


def test_a_unique_value_on_several_days_counts_once(usage: UsageApi) -> None:
    account = usage.subscriber()
    logins = [
        {
            "id": f"l-{day}-{user}",
            "account_id": account,
            "code": "login",
            "timestamp": f"2026-02-{day:02d}T12:00:00+09:00",
            "properties": {"user": user},
        }
        for day in (1, 2, 3)
        for user in ("ann", "bob", 7)
    ]
    _ok(usage.batch(logins))
    assert usage.values(account)["users"] == 3
    assert usage.values(account, at="2026-03-05")["users"] == 0


def test_usage_needs_a_subscription_and_a_known_account(usage: UsageApi) -> None:
    lone = usage.account("Lone KK")
    refused = usage.get(f"/v1/accounts/{lone}/usage")
    assert (refused.status_code, refused.json()["code"]) == (422, "no_subscription")
    missing = usage.get("/v1/accounts/acct_nobody/usage")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    subscribed = usage.subscriber()
    early = usage.get(f"/v1/accounts/{subscribed}/usage", at="2026-01-01")
    assert (early.status_code, early.json()["code"], early.json()["field"]) == (
        422,
        "before_subscription",
        "at",
    )


def test_a_batch_costs_the_same_statements_whatever_its_size(
    usage: UsageApi, container: Plansmith
) -> None:
    accounts = [usage.subscriber(f"Customer {n}") for n in range(5)]
    counts = []
    for size in (10, 1000):
        events = []
        for n in range(size):
            account = accounts[n % len(accounts)]
            day = 1 + n % 28
            at = f"2026-02-{day:02d}T12:00:00+09:00"
            events.append(call(account, f"{size}-{n}", at, bytes=n, region="eu"))
            login = {"id": f"l-{size}-{n}", "account_id": account, "code": "login"}
            events.append({**login, "timestamp": at, "properties": {"user": f"u{n}"}})
        with counted(container) as seen:
            assert _ok(usage.batch(events[:size]))["accepted"] == size
        counts.append(len(seen.statements))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12, counts
