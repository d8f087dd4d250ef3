"""`plansmith sub ...`: refused commands, other organizations, and `advance` for all of them.

The commands build the app with a TestClock shared with the test (main.bootstrap is wrapped),
so every date and prorated amount below is exact. The clock starts on 2026-01-31 15:00 UTC:
Feb 1 00:00 in Tokyo, Jan 31 10:00 in New York, Jan 31 18:00 in Kuwait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plansmith.entrypoints.cli.main import app
from tests.e2e.subscriptions_cli_support import (
    ORG,
    Demo,
    counts,
    created,
    demo,
    runner,
    sub,
)

__all__ = ["demo"]  # the shared fixture


ERRORS = [
    (
        ["create", "--account", "{northwind}", "--plan", "cc-1", "--quantity", "abc"],
        "error (quantity): quantity is a whole number of at least 1",
    ),
    (
        ["create", "--account", "{northwind}", "--plan", "cc-1", "--quantity", "0"],
        "error (quantity): quantity is a whole number of at least 1",
    ),
    (
        ["create", "--account", "{sakura}", "--plan", "cc-2", "--quantity", "2"],
        "error (quantity): this plan takes at least 5 seats, not 2",
    ),
    (
        ["create", "--account", "{sakura}", "--plan", "cc-1", "--cycle", "fortnight"],
        "error (cycle): 'fortnight' is not a billing cycle",
    ),
    (
        ["create", "--account", "{sakura}", "--plan", "nope"],
        "error (plan): no plan with code 'nope'",
    ),
    (
        ["create", "--account", "{sakura}", "--plan", "cc-1", "--add-on", "call-recording"],
        "error (add_on): 'call-recording': write an add-on as code=quantity",
    ),
    (
        ["create", "--account", "{sakura}", "--plan", "cc-1", "--add-on", "call-recording=two"],
        "error (add_ons.call-recording): an add-on quantity is a whole number of 0 or more",
    ),
    (
        ["create", "--account", "acct_nope", "--plan", "cc-1"],
        "error (account_id): no account 'acct_nope'",
    ),
    (
        ["create", "--account", "{northwind}", "--plan", "cc-2"],
        "error (plan): the account holds a Contact center packages plan already",
    ),
    (["change", "{sub}", "--quantity", "5", "--when", "later"], "error (when): when is now or"),
    (["change", "{sub}", "--plan", "gold"], "error (plan): that plan belongs to another family"),
    (["change", "{sub}", "--quantity", "3"], "error (no_change): that is what the subscription"),
    (["reactivate", "{sub}"], "error (not_canceled): the subscription is active; there is"),
    (["show", "sub_nope"], "error (subscription_id): no subscription 'sub_nope'"),
    (["cancel", "sub_nope"], "error (subscription_id): no subscription 'sub_nope'"),
    (["list", "--status", "sleeping"], "error (status): status is one of trialing, active"),
    (["list", "--limit", "500"], "error (limit): limit must be between 1 and 100"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_a_refused_command_is_one_line_exits_1_and_writes_nothing(
    demo: Demo, args: list[str], message: str
) -> None:
    held = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3", "--no-trial")
    ids = {"sub": held, "sakura": demo.sakura, "northwind": demo.northwind}
    before = counts(demo.url)

    code, stdout, stderr = sub(*[a.format(**ids) for a in args], "--org", ORG)

    assert code == 1 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), stderr
    assert counts(demo.url) == before


def test_another_organizations_subscription_is_not_found(demo: Demo) -> None:
    held = created("--account", demo.northwind, "--plan", "cc-1", "--no-trial")
    assert runner.invoke(app, ["org", "create", "Other"]).exit_code == 0
    before = counts(demo.url)

    shown = sub("show", held, "--org", "Other")
    canceled = sub("cancel", held, "--org", "Other", "--now")
    no_org = sub("list", "--org", "Nobody")

    assert shown[0] == canceled[0] == no_org[0] == 1
    assert shown[2].startswith(f"error (subscription_id): no subscription '{held}'")
    assert canceled[2].startswith(f"error (subscription_id): no subscription '{held}'")
    assert no_org[2].startswith("error (organization): no organization with id or name")
    assert counts(demo.url) == before


def test_advance_all_renews_every_organization(demo: Demo) -> None:
    created("--account", demo.sakura, "--plan", "cc-2", "--quantity", "100", "--no-trial")
    demo.clock.set(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # past Sakura's Mar 1 renewal
    before = counts(demo.url)["subscription_items"]

    done = sub("advance", "--all")

    assert done[0] == 0, done
    assert done[1].startswith("Renewed 1 subscription(s); 1 billable item(s) created")
    assert counts(demo.url)["subscription_items"] == before + 1


def test_advance_needs_an_organization_or_all(demo: Demo) -> None:
    before = counts(demo.url)

    refused = sub("advance")

    assert refused == (1, "", "error (--org): give --org ORG or --all\n")
    assert counts(demo.url) == before
