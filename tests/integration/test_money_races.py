"""Money limits under real concurrency: the app under uvicorn on PostgreSQL, many clients
released together by a barrier, each request its own connection and transaction.

An invoice of 3,000 (JPY, no tax: 1,000 per seat x 3 seats), finalized at once (no grace).
Whatever the interleaving, the credit notes of an invoice never sum to more than its total,
each refused request says why (the room left, or the status), and the ledger agrees with the
invoices afterwards (the `ledger_invariants` fixture of tests/conftest.py checks every test
here: each transaction balances, and each account's receivable is what its open invoices owe).

SQLite runs one writer at a time (BEGIN IMMEDIATE), so only PostgreSQL can interleave.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant, make_tenant
from tests.live_server import serving

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

PROBLEM = "application/problem+json"
TOTAL = 3000
CLIENTS = 20
Send = Callable[[httpx.Client], httpx.Response]


@pytest.fixture
def grace_minutes() -> int:
    return 0  # finalized by the run that makes them


class Api:
    """The live server, called with one tenant's key (a new connection per client)."""

    def __init__(self, base_url: str, tenant: Tenant) -> None:
        self.base_url, self.headers = base_url, tenant.headers
        self.http = httpx.Client(base_url=base_url, headers=self.headers, timeout=60)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code == status, response.text
        return response.json()

    def invoice(self, name: str, *, paid: bool = False) -> dict[str, Any]:
        """A finalized invoice of 3,000 for a new account; paid by transfer if asked."""
        account = {"name": name, "email": "billing@example.com", "currency": "JPY"}
        account_id = self.ok("POST", "/v1/accounts", account, 201)["id"]
        sub = {"account_id": account_id, "plan": "pro", "quantity": 3}
        self.ok("POST", "/v1/subscriptions", sub, 201)
        self.ok("POST", "/v1/billing_runs", None, 201)
        [invoice] = self.ok("GET", f"/v1/invoices?account_id={account_id}")["data"]
        assert (invoice["status"], invoice["totals"]["total"]) == ("open", TOTAL)
        if paid:
            invoice = self.ok("POST", f"/v1/invoices/{invoice['id']}/mark_paid")
        return dict(invoice)

    def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"/v1/invoices/{invoice_id}"))

    def notes(self, invoice_id: str) -> list[dict[str, Any]]:
        return list(self.ok("GET", f"/v1/invoices/{invoice_id}/credit_notes")["data"])

    def balances(self, account_id: str) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for txn in self.ok("GET", f"/v1/accounts/{account_id}/ledger")["data"]:
            for entry in txn["entries"]:
                found[entry["account"]] += entry["amount"]
        return {k: v for k, v in found.items() if v}

    def together(self, sends: list[Send]) -> list[httpx.Response]:
        """Each call from its own client and thread, all released at once by a barrier."""
        barrier = threading.Barrier(len(sends))

        def one(send: Send) -> httpx.Response:
            with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60) as http:
                barrier.wait()
                response = send(http)
                response.read()
                return response

        with ThreadPoolExecutor(len(sends)) as pool:
            return list(pool.map(one, sends))


@pytest.fixture
def api(container: Plansmith) -> Iterator[Api]:
    tenant = make_tenant(container, "Acme Operator")
    with serving(lambda _url: create_app(container)) as base_url:
        api = Api(base_url, tenant)
        api.ok("POST", "/v1/plan_families", {"code": "service", "name": "Service plans"}, 201)
        plan = {
            "code": "pro",
            "name": "Pro",
            "family": "service",
            "terms": {"base_prices": {"JPY": 1000}},
            "publish": True,
        }
        api.ok("POST", "/v1/plans", plan, 201)
        yield api
        api.http.close()


def credit_body(amount: int) -> dict[str, Any]:
    return {"amount": amount, "reason": "Outage"}


def credit(invoice_id: str, amount: int) -> Send:
    body = credit_body(amount)
    return lambda http: http.post(f"/v1/invoices/{invoice_id}/credit_notes", json=body)


def act(invoice_id: str, action: str) -> Send:
    return lambda http: http.post(f"/v1/invoices/{invoice_id}/{action}")


def problem(response: httpx.Response) -> tuple[int, str, str | None]:
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    assert body["detail"], body
    return body["status"], body["code"], body.get("field")


def answers(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """How many got each (status, code); a success counts under its status and ''."""
    return Counter((r.status_code, "" if r.status_code < 300 else problem(r)[1]) for r in responses)


# -- twenty credit notes at once ---------------------------------------------------------------


@pytest.mark.parametrize("paid", [False, True], ids=["open", "paid"])
@pytest.mark.parametrize(
    ("amount", "credited_before"),
    [(450, 0), (1000, 0), (1800, 0), (TOTAL, 0), (1, TOTAL - 10)],
    ids=["450", "1000", "60pct", "whole", "1-unit-of-10-left"],
)
def test_twenty_concurrent_credit_notes_never_credit_more_than_the_invoice(
    api: Api, amount: int, credited_before: int, paid: bool
) -> None:
    invoice = api.invoice("Race Ltd", paid=paid)
    invoice_id, account_id = invoice["id"], invoice["account_id"]
    if credited_before:
        api.ok("POST", f"/v1/invoices/{invoice_id}/credit_notes", credit_body(credited_before), 201)
    room = TOTAL - credited_before

    responses = api.together([credit(invoice_id, amount)] * CLIENTS)

    fits = min(CLIENTS, room // amount)
    accepted = [r for r in responses if r.status_code == 201]
    credited = credited_before + len(accepted) * amount
    left = TOTAL - credited
    notes = api.notes(invoice_id)
    figures = f"{len(accepted)} of {CLIENTS} notes of {amount} accepted: {credited} credited"
    assert sum(n["amount"] for n in notes) == credited <= TOTAL, figures
    assert len(accepted) == fits, figures
    # Every refusal names the limit: the room left when it was checked, which is what is left.
    for refused in (r for r in responses if r.status_code != 201):
        assert problem(refused) == (422, "credit_too_large", "amount"), refused.text
        assert refused.json()["detail"] == (
            f"at most {left} minor units of this invoice are left to credit"
        )
    # Numbered without gaps or repeats, in the order they were written.
    assert sorted(n["number"] for n in notes) == [f"CN-{k:06d}" for k in range(1, len(notes) + 1)]
    after = api.get_invoice(invoice_id)
    owed = 0 if paid else left
    assert (after["status"], after["totals"]["amount_due"]) == (
        "paid" if paid or left == 0 else "open",
        owed,
    )
    # What an open invoice no longer owes came off its receivable; a paid one's became credit.
    balances = api.balances(account_id)
    assert balances.get("receivable", 0) == owed
    assert balances.get("customer_credit", 0) == (-credited if paid else 0)
    assert balances.get("revenue", 0) == -(TOTAL - credited)


# -- a status change racing credit notes --------------------------------------------------------


def _race_with(api: Api, action: str, rounds: int = 3) -> list[tuple[dict[str, Any], Any, Any]]:
    """Per round, one open invoice; 19 credit notes of 100 and the action, released together
    (the action in the middle). Returns (invoice, the notes' answers, the action's answer)."""
    found = []
    for n in range(rounds):
        invoice = api.invoice(f"Race {n}")
        sends = [credit(invoice["id"], 100)] * (CLIENTS - 1)
        sends.insert(CLIENTS // 2, act(invoice["id"], action))
        responses = api.together(sends)
        action_response = responses.pop(CLIENTS // 2)
        found.append((invoice, responses, action_response))
    return found


def test_a_payment_racing_credit_notes_records_only_what_was_still_due(api: Api) -> None:
    for invoice, notes, paid in _race_with(api, "mark_paid"):
        # Credit notes on an open or a paid invoice are both fine: all twenty succeed.
        assert answers(notes) == {(201, ""): CLIENTS - 1}, [r.text for r in notes]
        assert paid.status_code == 200, paid.text
        after = api.get_invoice(invoice["id"])
        assert (after["status"], after["totals"]["amount_due"]) == ("paid", 0)
        balances = api.balances(invoice["account_id"])
        credited = 100 * (CLIENTS - 1)
        assert balances.get("receivable", 0) == 0
        # The transfer recorded what was due then (3,000 less the notes before it); the notes
        # after it became customer credit.
        assert balances["cash"] + balances.get("customer_credit", 0) == TOTAL - credited
        assert balances["revenue"] == -(TOTAL - credited)


def test_voiding_racing_credit_notes_either_voids_an_uncredited_invoice_or_refuses(
    api: Api,
) -> None:
    for invoice, notes, voided in _race_with(api, "void"):
        stored = api.notes(invoice["id"])
        after = api.get_invoice(invoice["id"])
        if voided.status_code == 200:
            # The void came first: nothing was credited, and every note says why not.
            assert stored == []
            assert answers(notes) == {(409, "not_creditable"): CLIENTS - 1}
            assert after["status"] == "void"
        else:
            assert problem(voided) == (409, "has_credit_notes", "invoice_id")
            assert answers(notes) == {(201, ""): CLIENTS - 1}, [r.text for r in notes]
            assert (after["status"], after["totals"]["amount_due"]) == ("open", TOTAL - 1900)


def test_writing_off_racing_credit_notes_keeps_what_is_owed(api: Api) -> None:
    for invoice, notes, written_off in _race_with(api, "mark_uncollectible"):
        assert written_off.status_code == 200, written_off.text
        counts = answers(notes)
        # Notes before the write-off are taken; after it, an uncollectible invoice is refused.
        assert set(counts) <= {(201, ""), (409, "not_creditable")}, [r.text for r in notes]
        credited = 100 * counts[(201, "")]
        assert sum(n["amount"] for n in api.notes(invoice["id"])) == credited
        after = api.get_invoice(invoice["id"])
        assert (after["status"], after["totals"]["amount_due"]) == (
            "uncollectible",
            TOTAL - credited,
        )


# -- drafts finalized at once, sharing the account's customer credit ----------------------------


@pytest.mark.parametrize("grace_minutes", [60])
def test_drafts_finalized_at_once_are_each_finalized_once_and_share_the_credit_once(
    api: Api, clock: TestClock
) -> None:
    account = {"name": "Many Plans Ltd", "email": "billing@example.com", "currency": "JPY"}
    account_id = api.ok("POST", "/v1/accounts", account, 201)["id"]
    for n in range(4):  # one plan per family, so the account holds four subscriptions
        family = {"code": f"family{n}", "name": f"Family {n}"}
        api.ok("POST", "/v1/plan_families", family, 201)
        terms = {"base_prices": {"JPY": 1000}}
        plan = {"code": f"plan{n}", "name": f"Plan {n}", "family": f"family{n}", "terms": terms}
        api.ok("POST", "/v1/plans", {**plan, "publish": True}, 201)
    # A first invoice, paid, then credited 2,500: customer credit the next invoices use first.
    api.ok(
        "POST", "/v1/subscriptions", {"account_id": account_id, "plan": "plan0", "quantity": 3}, 201
    )
    api.ok("POST", "/v1/billing_runs", None, 201)
    [first] = api.ok("GET", "/v1/invoices")["data"]
    api.ok("POST", f"/v1/invoices/{first['id']}/finalize")
    api.ok("POST", f"/v1/invoices/{first['id']}/mark_paid")
    api.ok("POST", f"/v1/invoices/{first['id']}/credit_notes", credit_body(2500), 201)
    for n in (1, 2, 3):
        sub = {"account_id": account_id, "plan": f"plan{n}", "quantity": 3}
        api.ok("POST", "/v1/subscriptions", sub, 201)
    api.ok("POST", "/v1/billing_runs", None, 201)
    drafts = [i["id"] for i in api.ok("GET", "/v1/invoices?status=draft")["data"]]
    assert len(drafts) == 3
    clock.advance(timedelta(hours=2))  # past the grace: a run finalizes them too

    # Six finalize requests per draft and two billing runs, all at once.
    sends = [act(d, "finalize") for d in drafts for _ in range(6)]
    sends += [lambda http: http.post("/v1/billing_runs")] * 2
    responses = api.together(sends)

    finalizes, runs = responses[:18], responses[18:]
    for draft in range(3):
        own = answers(finalizes[draft * 6 : draft * 6 + 6])
        # At most one finalize per draft wins (a run may have finalized it first); every other
        # one is told the invoice is no longer a draft.
        assert set(own) <= {(200, ""), (409, "invalid_invoice_transition")}, own
        assert own[(200, "")] <= 1, own
    for run in runs:
        assert run.status_code == 201, run.text
        assert run.json()["errors"] == []
    won = sum(r.status_code == 200 for r in finalizes)
    assert won + sum(r.json()["finalized"] for r in runs) == 3
    invoices = [api.get_invoice(d) for d in drafts]
    assert sorted(i["number"] for i in invoices) == ["INV-000002", "INV-000003", "INV-000004"]
    # The 2,500 of credit went to exactly one use, whichever invoice was finalized first.
    applied = [i["totals"]["credit_applied"] for i in invoices]
    assert sorted(applied) == [0, 0, 2500], applied
    balances = api.balances(account_id)
    assert balances.get("customer_credit", 0) == 0
    assert balances["receivable"] == 3 * TOTAL - 2500
