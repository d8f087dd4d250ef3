"""Extra packs, hard limits and the allowance standing under the test clock, on SQLite and
PostgreSQL, for a Tokyo account billed in JPY: every usage and pack line asserted, figures by
hand.

Usage line rows: (kind, description, quantity, unit amount, amount, period start, period end,
meter, measured quantity, allowance, billable quantity). Standing: (included, extra, used,
remaining, excess, limit)."""

from __future__ import annotations

from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.usage.packs import PackStatus
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _change,
    _invoices,
    _made,
    _monthly_plan,
    _rerun_creates_nothing,
    _subscribe,
)
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send, usage_lines
from tests.integration.usage_packs_support import (
    TZ,
    buy,
    card,
    charge,
    pack,
    pack_lines,
    standing,
)
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

F = Fraction
MARCH = (D(2026, 3, 1), D(2026, 4, 1))
APRIL = (D(2026, 4, 1), D(2026, 5, 1))


def _setup(
    app: Plansmith, org: str, clock: TestClock, plans: dict[str, dict[str, object]]
) -> tuple[str, str]:
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    seed_catalog(app, org, plans=plans, add_ons=False)
    pack(app, org, "sessions_5", "chatbot_sessions", 5, 500)
    acct = new_account(app, org, "JPY", TZ)
    card(app, org, acct)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    assert _made(_bill(app, org)) == (0, 1, 1, 0, 0)
    return acct, sub_id


def test_a_hard_limit_denies_the_use_past_it_and_a_pack_bought_reopens_it(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "hard")])}
    acct, sub_id = _setup(container, org, clock, plans)
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    at = "2026-03-10T12:00:00+09:00"
    assert send(container, org, acct, "chatbot_sessions", at, 3) == ["accepted"] * 3
    # The fourth does not fit in what is left (0): refused whole, counted nowhere. (Sent an
    # hour later: ``send`` names events by the clock, and at the same instant it would resend
    # the first event's id, a duplicate.)
    clock.set(local_at(D(2026, 3, 10), TZ, 13))
    assert send(container, org, acct, "chatbot_sessions", at) == ["limit_exceeded"]
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 3, 0, 0, "hard")}
    # A batch asking for more than is left: the events that fit count, the rest are refused.
    clock.set(local_at(D(2026, 3, 12), TZ, 9))
    bought = buy(container, org, sub_id, "sessions_5")
    assert bought.purchase.status is PackStatus.PAID
    assert bought.invoice is not None and bought.invoice.status is InvoiceStatus.PAID
    assert pack_lines(bought.invoice) == [
        ("pack", "Sessions 5: 5 chatbot_sessions", 1, 500, 500, D(2026, 3, 12), D(2026, 4, 1))
    ]
    assert bought.invoice.totals.total == 500
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 5, 3, 5, 0, "hard")}
    answers = send(container, org, acct, "chatbot_sessions", "2026-03-12T09:00:00+09:00", 6)
    assert sorted(answers) == ["accepted"] * 5 + ["limit_exceeded"]
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 5, 8, 0, 0, "hard")}
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    renewal = next(i for i in invoices if usage_lines(i))
    # 8 used of 3 included + 5 of the pack: nothing billable.
    assert usage_lines(renewal) == [
        ("usage", "Usage: chatbot_sessions", 1, 0, 0, *MARCH, "chatbot_sessions", F(8), 8, F(0))
    ]
    assert [pack_lines(i) for i in invoices if pack_lines(i)] == [
        [("pack", "Sessions 5: 5 chatbot_sessions", 1, 500, 500, D(2026, 3, 12), D(2026, 4, 1))]
    ]
    # April starts fresh: the pack's units expired with March.
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 0, 3, 0, "hard")}


def test_a_declined_pack_adds_nothing_and_leaves_no_invoice(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 1, "hard")])}
    acct, sub_id = _setup(container, org, clock, plans)
    card(container, org, acct, "tok_sandbox_insufficient_funds")  # the new default card
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    before = len(_invoices(container, org))
    bought = buy(container, org, sub_id, "sessions_5", 2)
    assert bought.purchase.status is PackStatus.FAILED
    assert bought.invoice is None
    assert bought.payment is not None and bought.payment.status.value == "failed"
    assert bought.payment.amount == 1000
    assert len(_invoices(container, org)) == before
    assert standing(container, org, sub_id) == {"chatbot_sessions": (1, 0, 0, 1, 0, "hard")}
    at = "2026-03-10T12:00:00+09:00"
    assert send(container, org, acct, "chatbot_sessions", at, 2) == ["accepted", "limit_exceeded"]


def test_a_pack_then_usage_past_it_bills_only_past_included_and_pack_under_a_soft_limit(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "soft")])}
    acct, sub_id = _setup(container, org, clock, plans)
    clock.set(local_at(D(2026, 3, 5), TZ, 9))
    bought = buy(container, org, sub_id, "sessions_5", 2, key="req-1")
    # A retry of the same request buys nothing more.
    again = buy(container, org, sub_id, "sessions_5", 2, key="req-1")
    assert again.purchase.id == bought.purchase.id and again.invoice is None
    assert bought.invoice is not None
    assert pack_lines(bought.invoice) == [
        ("pack", "Sessions 5: 10 chatbot_sessions", 2, 500, 1000, D(2026, 3, 5), D(2026, 4, 1))
    ]
    clock.set(local_at(D(2026, 3, 20), TZ, 9))
    answers = send(container, org, acct, "chatbot_sessions", "2026-03-20T09:00:00+09:00", 17)
    assert answers == ["accepted"] * 17  # a soft limit never refuses
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 10, 17, 0, 4, "soft")}
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    renewal = next(i for i in _invoices(container, org) if usage_lines(i))
    # 17 used, 3 included + 10 of the packs: 4 billable at JPY 10.
    assert usage_lines(renewal) == [
        ("usage", "Usage: chatbot_sessions", 1, 40, 40, *MARCH, "chatbot_sessions", F(17), 13, F(4))
    ]
    assert pack_lines(renewal) == []


def test_an_upgrade_mid_period_prorates_the_allowance_and_usage_before_counts_against_it(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {
        "basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 30, "hard")]),
        "pro": _monthly_plan({"JPY": 3000}, charges=[charge("chatbot_sessions", 60, "hard")]),
    }
    acct, sub_id = _setup(container, org, clock, plans)
    clock.set(local_at(D(2026, 3, 5), TZ, 9))
    at = "2026-03-05T09:00:00+09:00"
    assert send(container, org, acct, "chatbot_sessions", at, 20) == ["accepted"] * 20
    clock.set(local_at(D(2026, 3, 16), TZ, 9))
    _change(container, org, sub_id, plan="pro")  # an upgrade: now
    # Basic 15 days, pro 16 of March's 31: 30 x 15/31 + 60 x 16/31 = 1410/31 = 45.48 -> 45;
    # the 20 used before the change count against it.
    assert standing(container, org, sub_id) == {"chatbot_sessions": (45, 0, 20, 25, 0, "hard")}
    at = "2026-03-16T09:00:00+09:00"
    answers = send(container, org, acct, "chatbot_sessions", at, 26)
    assert sorted(answers) == ["accepted"] * 25 + ["limit_exceeded"]
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    assert _made(_bill(container, org))[0] == 1
    renewal = next(i for i in _invoices(container, org) if usage_lines(i))
    assert usage_lines(renewal) == [
        ("usage", "Usage: chatbot_sessions", 1, 0, 0, *MARCH, "chatbot_sessions", F(45), 45, F(0))
    ]
    # April: pro the whole period, nothing carried over.
    assert standing(container, org, sub_id) == {"chatbot_sessions": (60, 0, 0, 60, 0, "hard")}


def test_leftovers_expire_at_the_period_end_and_the_next_period_starts_fresh(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "hard")])}
    acct, sub_id = _setup(container, org, clock, plans)
    clock.set(local_at(D(2026, 3, 30), TZ, 9))
    buy(container, org, sub_id, "sessions_5")
    at = "2026-03-30T09:00:00+09:00"
    assert send(container, org, acct, "chatbot_sessions", at) == ["accepted"]
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 5, 1, 7, 0, "hard")}
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    assert _made(_bill(container, org))[0] == 1
    # 7 left in March expire: April has its own 3, no pack.
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 0, 3, 0, "hard")}
    at = "2026-04-02T09:00:00+09:00"
    clock.set(local_at(D(2026, 4, 2), TZ, 9))
    assert send(container, org, acct, "chatbot_sessions", at, 4) == ["accepted"] * 3 + [
        "limit_exceeded"
    ]
    clock.set(local_at(D(2026, 5, 1), TZ, 1))
    assert _made(_bill(container, org))[0] == 1
    april = [i for i in _invoices(container, org) if usage_lines(i)][-1]
    assert usage_lines(april) == [
        ("usage", "Usage: chatbot_sessions", 1, 0, 0, *APRIL, "chatbot_sessions", F(3), 3, F(0))
    ]
