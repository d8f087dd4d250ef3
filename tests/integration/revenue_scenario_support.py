"""A 14-month test-clock scenario for the MRR figures (test_revenue_*.py), and the figures it
must give, computed here from the scenario's own prices by plain arithmetic.

Jan 2026 to Feb 2027, five customers of one operator, four billed in JPY (Tokyo) and one in
USD (New York), two plan families: upgrades, a downgrade at the end of the term, more seats,
an immediate cancel, a cancel at the end of the term, a pause and a resume, a trial that
converts, a trial that lapses and an annual cycle with its discount. The renewal step runs
before each action and at the end, as a deployment's billing run would."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import create_operator
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

D = date
TODAY = D(2027, 2, 20)

# The catalog's prices, per seat (basic, pro) or per subscription (care), for one month.
BASIC = {"JPY": 1000, "USD": 1200}
PRO = {"JPY": 3000, "USD": 2500}
CARE = {"JPY": 5000, "USD": 4000}
BASIC_YEAR_OFF, PRO_YEAR_OFF = 10, 15  # percent off the annual cycle


PASSWORD = "correct horse battery"


def _amount(cell: str) -> int:
    """A money cell's minor units: the digits of "¥15,000" or "$50.00"."""
    text = re.sub(r"<[^>]+>", "", cell)
    digits = re.sub(r"[^0-9]", "", text)
    return -int(digits) if re.search("[-\u2212]", text) else int(digits)


def dashboard_cells(html: str, table_id: str) -> dict[str, dict[str, int]]:
    """{row key: {figure: value}} of one of the dashboard's figures tables: months by
    YYYY-MM, else by label."""
    table = re.search(rf'<table class="stack figures" id="{table_id}">(.*?)</table>', html, re.S)
    assert table, f"no table {table_id}"
    rows = {}
    for row in re.findall(r"<tr(.*?)</tr>", table.group(1), re.S):
        head = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
        if head is None:
            continue
        month = re.search(r'data-month="([0-9-]+)"', row)
        key = month.group(1) if month else re.sub(r"<[^>]+>", "", head.group(1)).strip()
        rows[key] = {
            name: _amount(value)
            for name, value in re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S)
        }
    return rows


def sign_in_console(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    """The organization's operator signed in (once the scenario has moved the clock: a
    session opened before it would have ended)."""
    create_operator(
        container.uow(), container.clock, tenant.organization_id, _email(tenant), PASSWORD
    )
    return console_login(client, tenant)


def _email(tenant: Tenant) -> str:
    return f"ops-{tenant.organization_id.replace('_', '-')}@example.com"


def console_login(client: TestClient, tenant: Tenant) -> TestClient:
    """A new session for the operator (after the clock moved past the last one's end)."""
    data = {"email": _email(tenant), "password": PASSWORD}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303
    return client


def catalog(app: Plansmith, org: str) -> dict[str, str]:
    """Plan ids by code, and family ids by code."""
    uow, clock = app.uow, app.clock
    ids = {}
    for code, name in (("service", "Service plans"), ("support", "Support plans")):
        ids[code] = create_family(uow(), clock, org, FamilyInput(code, name)).id
    plans: tuple[tuple[str, str, str, int, dict[str, int], dict[str, str], str], ...] = (
        ("basic", "Basic", "service", 1, BASIC, {"year": str(BASIC_YEAR_OFF)}, "per_seat"),
        ("pro", "Pro", "service", 2, PRO, {"year": str(PRO_YEAR_OFF)}, "per_seat"),
        ("care", "Care", "support", 1, CARE, {}, "flat"),
    )
    for code, name, family, rank, prices, discounts, pricing in plans:
        terms = {
            "pricing": pricing,
            "base_prices": prices,
            "cycle_discounts": discounts,
            "trial_days": 14,
        }
        data = PlanInput(code, name, family, rank, terms, ["portal"], True)
        ids[code] = create_plan(uow(), clock, org, data).plan.id
    return ids


@dataclass(frozen=True)
class Scenario:
    org: str
    ids: dict[str, str]  # plans and families by code


def run_scenario(app: Plansmith, org: str) -> Scenario:
    clock = app.clock
    assert isinstance(clock, TestClock)
    clock.set(datetime(2026, 1, 1, 12, tzinfo=UTC))
    ids = catalog(app, org)

    def account(name: str, currency: str, zone: str) -> str:
        data = AccountInput(name, f"{name.lower()}@example.com", currency, zone)
        return open_account(app.uow(), clock, org, data).id

    a = account("Aoki", "JPY", "Asia/Tokyo")
    b = account("Baba", "JPY", "Asia/Tokyo")
    c = account("Carter", "USD", "America/New_York")
    d = account("Doi", "JPY", "Asia/Tokyo")
    e = account("Endo", "JPY", "Asia/Tokyo")
    subs: dict[str, str] = {}

    def on(day: date) -> None:
        clock.set(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        actions.advance_due(app.uow(), clock, org)

    def sub(key: str, acct: str, plan: str, quantity: int, cycle: str, trial: bool) -> None:
        data = SubscribeInput(acct, plan, cycle=cycle, quantity=quantity, trial=trial)
        subs[key] = subscribe(app.uow(), clock, org, data).view.subscription.id

    def change(key: str, **changes: object) -> None:
        data = actions.ChangeInput(**changes)  # type: ignore[arg-type]
        actions.change_subscription(app.uow(), clock, org, subs[key], data)

    def cancel(key: str, when: str) -> None:
        actions.cancel_subscription(app.uow(), clock, org, subs[key], when)

    on(D(2026, 1, 5))
    sub("a", a, "basic", 3, "month", trial=False)
    on(D(2026, 2, 20))
    sub("b", b, "pro", 2, "year", trial=True)  # in a trial until Mar 6
    on(D(2026, 3, 1))
    sub("c", c, "basic", 2, "month", trial=False)
    on(D(2026, 3, 10))
    change("a", plan="pro")  # an upgrade: now
    on(D(2026, 4, 1))
    sub("b-care", b, "care", 1, "month", trial=False)
    on(D(2026, 4, 25))
    sub("d", d, "basic", 1, "month", trial=True)  # in a trial until May 9
    on(D(2026, 4, 28))
    cancel("d", "term_end")  # the trial lapses on May 9
    on(D(2026, 6, 1))
    sub("e", e, "basic", 4, "year", trial=False)
    on(D(2026, 6, 10))
    change("a", quantity=5)  # more seats: now
    on(D(2026, 7, 15))
    actions.pause_subscription(app.uow(), clock, org, subs["b-care"])
    on(D(2026, 8, 1))
    change("c", plan="pro")
    on(D(2026, 9, 10))
    change("a", plan="basic")  # a downgrade: at the end of the term, Oct 5
    on(D(2026, 9, 15))
    actions.resume_subscription(app.uow(), clock, org, subs["b-care"])
    on(D(2026, 11, 15))
    cancel("c", "term_end")  # ends Dec 1
    on(D(2026, 12, 20))
    cancel("a", "now")
    on(D(2027, 2, 10))
    change("e", quantity=6)  # more seats: now, in the annual term
    on(TODAY)
    return Scenario(org, ids)


# -- what the figures must be, from the prices above --------------------------------------


@dataclass(frozen=True)
class Held:
    """A subscription's value from ``start`` (included) to ``end`` (excluded)."""

    sub: str
    customer: str
    currency: str
    family: str
    plan: str
    start: date
    end: date | None
    value: int  # per month, rounded half up; None-like 0 for a trial
    trial: bool = False


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


PRO_YEAR_SEAT = _half_up(PRO["JPY"] * 12 * (100 - PRO_YEAR_OFF), 100)  # 30,600
BASIC_YEAR_SEAT = _half_up(BASIC["JPY"] * 12 * (100 - BASIC_YEAR_OFF), 100)  # 10,800

HELD = (
    Held("a", "A", "JPY", "service", "basic", D(2026, 1, 5), D(2026, 3, 10), 3 * BASIC["JPY"]),
    Held("a", "A", "JPY", "service", "pro", D(2026, 3, 10), D(2026, 6, 10), 3 * PRO["JPY"]),
    Held("a", "A", "JPY", "service", "pro", D(2026, 6, 10), D(2026, 10, 5), 5 * PRO["JPY"]),
    Held("a", "A", "JPY", "service", "basic", D(2026, 10, 5), D(2026, 12, 20), 5 * BASIC["JPY"]),
    Held("b", "B", "JPY", "service", "pro", D(2026, 2, 20), D(2026, 3, 6), 0, trial=True),
    Held("b", "B", "JPY", "service", "pro", D(2026, 3, 6), None, _half_up(2 * PRO_YEAR_SEAT, 12)),
    Held("b-care", "B", "JPY", "support", "care", D(2026, 4, 1), D(2026, 7, 15), CARE["JPY"]),
    Held("b-care", "B", "JPY", "support", "care", D(2026, 9, 15), None, CARE["JPY"]),
    Held("c", "C", "USD", "service", "basic", D(2026, 3, 1), D(2026, 8, 1), 2 * BASIC["USD"]),
    Held("c", "C", "USD", "service", "pro", D(2026, 8, 1), D(2026, 12, 1), 2 * PRO["USD"]),
    Held("d", "D", "JPY", "service", "basic", D(2026, 4, 25), D(2026, 5, 9), 0, trial=True),
    Held(
        "e",
        "E",
        "JPY",
        "service",
        "basic",
        D(2026, 6, 1),
        D(2027, 2, 10),
        4 * BASIC_YEAR_SEAT // 12,
    ),
    Held("e", "E", "JPY", "service", "basic", D(2027, 2, 10), None, 6 * BASIC_YEAR_SEAT // 12),
)


def months(first: date, count: int) -> list[date]:
    return [
        D(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, 1)
        for m in range(count)
    ]


def _snapshot(month: date) -> date:
    return min(D(month.year, month.month, calendar.monthrange(month.year, month.month)[1]), TODAY)


def _on(day: date) -> list[Held]:
    return [h for h in HELD if h.start <= day and (h.end is None or day < h.end)]


@dataclass(frozen=True)
class Expected:
    mrr: int
    subscriptions: int
    customers: int
    new: int
    expansion: int
    contraction: int
    churned: int
    trialing: int


def expected(month: date, currency: str, group: str = "", key: str = "") -> Expected:
    """The figures of ``month`` in ``currency``; ``group`` "family" or "plan" with its code
    narrows them to one family or plan."""

    def mine(h: Held) -> bool:
        return h.currency == currency and (not group or getattr(h, group) == key)

    before_day = D(month.year, month.month, 1).toordinal() - 1
    now = {h.sub: h for h in _on(_snapshot(month)) if mine(h)}
    before = {h.sub: h for h in _on(D.fromordinal(before_day)) if mine(h)}
    paying = [h for h in now.values() if not h.trial]
    moves = {"new": 0, "expansion": 0, "contraction": 0, "churned": 0}
    for sub in now.keys() | before.keys():
        old = before[sub].value if sub in before else 0
        new = now[sub].value if sub in now else 0
        if old == 0 and new > 0:
            moves["new"] += new
        elif old > 0 and new == 0:
            moves["churned"] += old
        elif new > old:
            moves["expansion"] += new - old
        elif new < old:
            moves["contraction"] += old - new
    return Expected(
        mrr=sum(h.value for h in paying),
        subscriptions=len(paying),
        customers=len({h.customer for h in paying}),
        trialing=len(now) - len(paying),
        **moves,
    )
