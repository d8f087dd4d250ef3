"""`plansmith sub ...`, run in-process against a SQLite file as an operator types it.

The commands build the app with a TestClock shared with the test (main.bootstrap is wrapped),
so every date and prorated amount below is exact. The clock starts on 2026-01-31 15:00 UTC:
Feb 1 00:00 in Tokyo, Jan 31 10:00 in New York, Jan 31 18:00 in Kuwait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.subscriptions_cli_support import (
    ORG,
    Demo,
    counts,
    created,
    demo,
    rows,
    sub,
)

__all__ = ["demo"]  # the shared fixture


def test_create_seed_002s_contact_center_2_with_100_accounts(demo: Demo) -> None:
    code, stdout, _ = sub(
        "create", "--org", ORG, "--account", demo.sakura, "--plan", "cc-2",
        "--quantity", "100", "--add-on", "call-recording=2", "--no-trial",
    )  # fmt: skip

    assert code == 0, stdout
    # ¥3,500 x 100 + ¥700 x 2 = ¥350,000 + ¥1,400 = ¥351,400 a month, billed in advance.
    assert (
        "Price           ¥351,400 = Contact Center 2 ¥3,500 × 100 + Call recording ¥700 × 2"
    ) in stdout
    assert "Status          Active (active)" in stdout
    assert "Period          2026-02-01 to 2026-02-28" in stdout  # Tokyo's Feb 1: [Feb 1, Mar 1)
    assert "Next payment    2026-03-01" in stdout
    assert "Registered from 2026-02-01T00:00:00+09:00 (Asia/Tokyo)" in stdout
    assert "Billed now: ¥351,400" in stdout
    assert "¥350,000" in stdout and "¥1,400" in stdout
    # The next invoice holds this first month and, made on Mar 1, the next one: 2 x ¥351,400.
    assert "Next invoice on 2026-03-01: ¥702,800" in stdout
    assert counts(demo.url)["subscriptions"] == 1


def test_money_is_shown_with_the_currencys_decimals(demo: Demo) -> None:
    gold = created("--account", demo.gulf, "--plan", "gold")

    code, stdout, _ = sub("show", gold, "--org", ORG)

    assert code == 0
    assert "Price           KWD\xa09.000 = Gold KWD\xa09.000 × 1" in stdout  # 3 decimals
    assert "Pending items (for the next invoice): KWD\xa09.000" in stdout
    assert "Registered from 2026-01-31T18:00:00+03:00 (Asia/Kuwait)" in stdout


def test_a_trial_is_the_default_and_list_filters_by_status_and_account(demo: Demo) -> None:
    agents = created("--account", demo.sakura, "--plan", "cc-2", "--no-trial")
    trial = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3")

    everything = sub("list", "--org", ORG)
    trialing = sub("list", "--org", ORG, "--status", "trialing")
    sakuras = sub("list", "--org", ORG, "--account", demo.sakura)
    nobody = sub("list", "--org", ORG, "--status", "paused")

    assert everything[0] == 0 and agents in everything[1] and trial in everything[1]
    [row] = [r for r in everything[1].splitlines() if trial in r]
    # A 7-day trial from Jan 31 (New York): [Jan 31, Feb 7); the first payment on Feb 7.
    for cell in ("Contact Center 1", "Try (trialing)", "month", "3", "$45.00", "2026-02-07"):
        assert f" {cell} " in row, row
    [row] = [r for r in everything[1].splitlines() if agents in r]
    assert " ¥17,500 " in row  # the minimum of 5 seats x ¥3,500
    assert trial in trialing[1] and agents not in trialing[1]
    assert agents in sakuras[1] and trial not in sakuras[1]
    assert nobody == (0, "No subscriptions.\n", "")


def test_change_preview_saves_nothing_and_equals_the_change(demo: Demo) -> None:
    agents = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3", "--no-trial")
    demo.clock.advance(timedelta(days=10))  # Feb 10 in New York, in [Jan 31, Feb 28)
    before = counts(demo.url)

    preview = sub("change", agents, "--org", ORG, "--quantity", "5", "--when", "now", "--preview")
    unchanged = counts(demo.url)
    shown = sub("show", agents, "--org", ORG)
    done = sub("change", agents, "--org", ORG, "--quantity", "5", "--when", "now")

    assert preview[0] == 0 and preview[1].startswith(f"Preview of {agents}: nothing saved.")
    assert unchanged == before and "Quantity        3\n" in shown[1]
    # 18 of the period's 28 days are left: credit 3 x $15 x 18/28 = -$28.928... -> -$28.93,
    # charge 5 x $15 x 18/28 = $48.214... -> $48.21; together $19.28.
    assert "Would bill now: $19.28" in preview[1]
    assert "-$28.93" in preview[1] and "$48.21" in preview[1]
    # Next invoice on Feb 28: the first month $45.00 - $28.93 + $48.21 + the next month at
    # 5 seats, $75.00 = $139.28.
    assert "Next invoice on 2026-02-28: $139.28" in preview[1]
    assert done[0] == 0 and done[1].startswith(f"Changed {agents}.")
    assert "Billed now: $19.28" in done[1] and "Next invoice on 2026-02-28: $139.28" in done[1]
    after = counts(demo.url)
    assert after["subscription_items"] == before["subscription_items"] + 2  # credit + charge
    assert after["subscription_events"] == before["subscription_events"] + 1


def test_fewer_seats_wait_for_the_end_of_the_term(demo: Demo) -> None:
    agents = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3", "--no-trial")

    code, stdout, _ = sub("change", agents, "--org", ORG, "--quantity", "2")

    assert code == 0 and stdout.startswith(f"Scheduled a change of {agents}.")
    assert "Scheduled       to Contact Center 1 on 2026-02-28:" in stdout
    assert "Quantity        3\n" in stdout and "Billed now: nothing." in stdout
    # Made on Feb 28: the first month, $45.00, and the next one at 2 seats, $30.00.
    assert "Next invoice on 2026-02-28: $75.00" in stdout


def test_cancel_at_term_end_then_reactivate_withdraws_it(demo: Demo) -> None:
    agents = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3", "--no-trial")

    canceled = sub("cancel", agents, "--org", ORG)
    back = sub("reactivate", agents, "--org", ORG)

    assert canceled[0] == 0
    assert canceled[1].startswith(f"Set to cancel at the end of the term: {agents}.")
    assert "cancels at the end of the term (last day 2026-02-27)" in canceled[1]
    assert "Next payment    none" in canceled[1] and "Billed now: nothing." in canceled[1]
    assert "Next invoice on 2026-02-28: $45.00" in canceled[1]  # only the month already held
    assert back[0] == 0 and back[1].startswith(f"Withdrew the cancellation of {agents}.")
    assert "Next payment    2026-02-28" in back[1]


def test_cancel_now_credits_the_rest_and_reactivate_charges_it_again(demo: Demo) -> None:
    agents = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3", "--no-trial")
    demo.clock.advance(timedelta(days=10))  # Feb 10 in New York

    canceled = sub("cancel", agents, "--org", ORG, "--now")
    back = sub("reactivate", agents, "--org", ORG)

    # 18 of 28 days left: 3 x $15 x 18/28 = $28.928... -> $28.93 each way.
    assert canceled[0] == 0 and canceled[1].startswith(f"Canceled {agents}.")
    assert "Status          Inactive (canceled)" in canceled[1]
    assert "Billed now: -$28.93" in canceled[1]
    assert "Not invoiced yet: $16.07" in canceled[1]  # $45.00 - $28.93
    assert back[0] == 0 and back[1].startswith(f"Reactivated {agents}.")
    assert "Billed now: $28.93" in back[1] and "Status          Active (active)" in back[1]


def test_show_lists_the_pending_items_and_the_history(demo: Demo) -> None:
    agents = created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3", "--no-trial")
    demo.clock.advance(timedelta(days=10))
    sub("change", agents, "--org", ORG, "--plan", "cc-2", "--quantity", "5")  # upgrade: now

    code, stdout, _ = sub("show", agents, "--org", ORG)

    assert code == 0
    assert "Plan            Contact Center 2 (cc-2), Contact center packages" in stdout
    # $45.00 - 3 x $15 x 18/28 ($28.93) + 5 x $25 x 18/28 ($80.357... -> $80.36) = $96.43
    assert "Pending items (for the next invoice): $96.43" in stdout
    assert "-$28.93" in stdout and "$80.36" in stdout
    history, events = stdout.split("Plan history")[1].split("Events")
    assert rows(history) == [
        ["Contact Center 2", "active", "2026-02-10", "now"],
        ["Contact Center 1", "replaced", "2026-01-31", "2026-02-09"],  # held through Feb 9
    ]
    assert [(r[2], r[4], r[5]) for r in rows(events)] == [
        ("subscribed", "- -> active", "operator"),
        ("changed", "active -> active", "operator"),
    ]


def test_advance_renews_what_is_due_once(demo: Demo) -> None:
    created("--account", demo.sakura, "--plan", "cc-2", "--quantity", "100", "--no-trial")
    created("--account", demo.northwind, "--plan", "cc-1", "--quantity", "3")  # 7-day trial
    demo.clock.set(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # Mar 2 in Tokyo, Mar 1 in New York
    before = counts(demo.url)["subscription_items"]

    first = sub("advance", "--org", ORG)
    again = sub("advance", "--org", ORG)

    # Sakura renews on Mar 1 (one item, ¥350,000); Northwind's trial converted on Feb 7 (one
    # item, its first month); Northwind's next period end, Mar 7, has not come.
    assert first == (0, "Renewed 2 subscription(s); 2 billable item(s) created; 0 skipped "
                        "(changed by another worker meanwhile).\n", "")  # fmt: skip
    assert again[1].startswith("Renewed 0 subscription(s); 0 billable item(s) created")
    assert counts(demo.url)["subscription_items"] == before + 2
