"""Plays a history against the product's HTTP API and the model side by side, and says where
they differ. It talks to the product with an httpx client only (in-process or over a socket)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.simulation import actions as a
from tests.simulation.calendar import iso
from tests.simulation.catalog import EVENT_CODE, FAMILY, METER_BODY, PLANS
from tests.simulation.invoice_comparison import Difference, compare_account_invoices
from tests.simulation.model import Account, Invoice, Model, Refusal, Sub

CARD = "tok_sandbox_success"
DECLINING = "tok_sandbox_insufficient_funds"


class Driver:
    def __init__(
        self, http: httpx.Client, headers: dict[str, str], start: datetime, seed: int = 0
    ) -> None:
        self.http, self.headers = http, headers
        self.retries = random.Random(seed)  # which writes a client sends twice
        self.model = Model(start)
        self.account_ids: list[str] = []
        self.sub_ids: dict[int, str] = {}  # id(model Sub) -> product id
        self.step = 0

    # -- HTTP ----------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One request; a write is sometimes sent again with its Idempotency-Key, as a client
        does after a timeout: the second answer must be the first, and nothing happen twice."""
        headers = dict(self.headers)
        if method not in ("POST", "PATCH", "DELETE"):
            return self.http.request(method, path, json=body, headers=headers)
        headers["Idempotency-Key"] = str(uuid.uuid4())
        first = self.http.request(method, path, json=body, headers=headers)
        if path != "/v1/test_clock/advance" and self.retries.random() < 0.15:
            again = self.http.request(method, path, json=body, headers=headers)
            if (again.status_code, again.content) != (first.status_code, first.content):
                raise Difference(
                    f"{method} {path} sent again with its Idempotency-Key: "
                    f"{first.status_code} then {again.status_code} "
                    f"{again.text[:200]}"
                )
        return first

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.call(method, path, body)
        if response.status_code >= 300:
            raise Difference(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response.json()

    def expect(self, response: httpx.Response, refusal: Refusal | None, what: str) -> None:
        got = response.status_code
        if refusal is None:
            if got >= 300:
                raise Difference(
                    f"{what}: the model accepts it, the product answers {got} {response.text[:300]}"
                )
            return
        code = response.json().get("code") if got >= 400 else None
        if (got, code) != (refusal.status, refusal.code):
            raise Difference(
                f"{what}: the model refuses it ({refusal.status} {refusal.code}), "
                f"the product answers {got} {code or response.text[:200]}"
            )

    def listed(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        query = dict(params or {})
        while True:
            page = self.http.get(path, params=query, headers=self.headers).json()
            found += page["data"]
            if not page.get("has_more"):
                return found
            query["cursor"] = page["next_cursor"]

    # -- set-up --------------------------------------------------------------------------

    def set_up_catalog(self) -> None:
        self.ok("POST", "/v1/plan_families", FAMILY)
        self.ok("POST", "/v1/meters", METER_BODY)
        for plan in PLANS.values():
            self.ok("POST", "/v1/plans", plan.body())

    # -- actions -------------------------------------------------------------------------

    def play(self, action: a.Action) -> None:
        self.step += 1
        touched = self._apply(action)
        self.compare(touched)

    def _sub(self, index: int) -> tuple[Account, Sub | None]:
        account = self.model.accounts[index]
        return account, account.latest

    def _apply(self, action: a.Action) -> list[Account]:
        m = self.model
        if isinstance(action, a.NewAccount):
            account = m.new_account(action.currency, action.zone, action.tax, action.declines)
            body: dict[str, object] = {
                "name": f"Account {account.index}",
                "email": f"a{account.index}@sim.example",
                "currency": action.currency,
                "time_zone": action.zone,
            }
            self.account_ids.append(self.ok("POST", "/v1/accounts", body)["id"])
            source = DECLINING if action.declines else CARD
            self.ok(
                "POST", f"/v1/accounts/{self.account_ids[-1]}/payment_methods", {"source": source}
            )
            if action.tax is not None:
                rate = {"name": f"Tax {action.tax} %", "percent": action.tax}
                rate_id = self.ok("POST", "/v1/tax_rates", rate)["id"]
                self.ok(
                    "POST",
                    f"/v1/accounts/{self.account_ids[-1]}/tax_rate",
                    {"tax_rate_id": rate_id},
                )
            return [account]
        if isinstance(action, a.Advance):
            to = m.now + timedelta(seconds=action.seconds)
            m.advance(to)
            self.ok("POST", "/v1/test_clock/advance", {"to": iso(to)})
            return m.accounts
        account, sub = self._sub(action.account)
        aid = self.account_ids[action.account]
        if isinstance(action, a.Subscribe):
            made = m.subscribe(account, action.plan, action.cycle, action.quantity)
            body = {
                "account_id": aid,
                "plan": action.plan,
                "cycle": action.cycle,
                "quantity": action.quantity,
            }
            response = self.call("POST", "/v1/subscriptions", body)
            self.expect(response, made if isinstance(made, Refusal) else None, "subscribe")
            if not isinstance(made, Refusal):
                self.sub_ids[id(made)] = response.json()["id"]
            return [account]
        if isinstance(action, a.Usage):
            self._usage(account, aid, action)
            return [account]
        if isinstance(action, a.TopUp):
            body = {"amount": action.amount, "currency": account.currency}
            self.expect(
                self.call("POST", f"/v1/accounts/{aid}/top_ups", body),
                m.top_up(account, action.amount),
                f"top-up of {action.amount}",
            )
            return [account]
        if isinstance(action, a.ReplaceCard):
            m.replace_card(account, action.declines)
            source = DECLINING if action.declines else CARD
            body = {"source": source, "make_default": True}
            self.ok("POST", f"/v1/accounts/{aid}/payment_methods", body)
            return [account]
        if isinstance(action, a.CreditNote):
            self._credit_note(account, action)
            return [account]
        if sub is None:
            return []  # nothing to act on: the generator made no such action on purpose
        sid = self.sub_ids[id(sub)]
        if isinstance(action, a.Change):
            refusal = m.change(sub, action.plan, action.quantity, action.cycle)
            change: dict[str, object] = {
                k: v
                for k, v in (
                    ("plan", action.plan),
                    ("quantity", action.quantity),
                    ("cycle", action.cycle),
                )
                if v is not None
            }
            self.expect(
                self.call("POST", f"/v1/subscriptions/{sid}/changes", {**change, "when": "now"}),
                refusal,
                f"change {change}",
            )
        elif isinstance(action, a.ChangeAtTermEnd):
            refusal = m.schedule_change(sub, action.quantity)
            self.expect(
                self.call(
                    "POST",
                    f"/v1/subscriptions/{sid}/changes",
                    {"quantity": action.quantity, "when": "term_end"},
                ),
                refusal,
                "change at term end",
            )
        elif isinstance(action, a.CancelAtTermEnd):
            self.expect(
                self.call("POST", f"/v1/subscriptions/{sid}/cancel", {"when": "term_end"}),
                m.cancel_at_end(sub),
                "cancel at term end",
            )
        elif isinstance(action, a.CancelNow):
            self.expect(
                self.call("POST", f"/v1/subscriptions/{sid}/cancel", {"when": "now"}),
                m.stop_now(sub, "canceled"),
                "cancel now",
            )
        elif isinstance(action, a.Pause):
            self.expect(
                self.call("POST", f"/v1/subscriptions/{sid}/pause"),
                m.stop_now(sub, "paused"),
                "pause",
            )
        elif isinstance(action, a.Resume):
            self.expect(
                self.call("POST", f"/v1/subscriptions/{sid}/resume"),
                m.restart(sub, "paused"),
                "resume",
            )
        elif isinstance(action, a.Reactivate):
            self.expect(
                self.call("POST", f"/v1/subscriptions/{sid}/reactivate"),
                m.restart(sub, "canceled"),
                "reactivate",
            )
        return [account]

    def _usage(self, account: Account, aid: str, action: a.Usage) -> None:
        events, expected = [], []
        for event_id, back in action.events:
            at = self.model.now - timedelta(seconds=back)
            expected.append(self.model.usage_event(account, event_id, at))
            events.append(
                {"id": event_id, "account_id": aid, "code": EVENT_CODE, "timestamp": iso(at)}
            )
        answers = self.ok("POST", "/v1/events/batch", {"events": events})["data"]
        for event, answer, refusal in zip(events, answers, expected, strict=True):
            got = None if answer["status"] == "accepted" else answer["code"]
            want = None if refusal is None else refusal.code
            if got != want:
                raise Difference(
                    f"usage event {event['id']} at {event['timestamp']}: the model "
                    f"says {want or 'accepted'}, the product {got or 'accepted'}"
                )

    def _credit_note(self, account: Account, action: a.CreditNote) -> None:
        mine = [
            i
            for i in self.model.invoices
            if i.sub.account is account and i.total > 0 and i.status != "draft"
        ]
        if len(mine) < action.back:
            return
        invoice = mine[-action.back]
        room = invoice.total - invoice.credited
        amount = max(1, room * action.share // 1000)
        product_id = self._invoice_id(invoice)
        refusal = self.model.credit_note(invoice, amount)
        response = self.call(
            "POST",
            f"/v1/invoices/{product_id}/credit_notes",
            {"amount": amount, "reason": f"simulated credit {self.step}"},
        )
        self.expect(response, refusal, f"credit note of {amount}")

    def _invoice_id(self, invoice: Invoice) -> str:
        """The product's invoice for the model's: same subscription, made at the same instant."""
        sid = self.sub_ids[id(invoice.sub)]
        aid = self.account_ids[invoice.sub.account.index]
        found = [
            i
            for i in self.listed("/v1/invoices", {"account_id": aid})
            if i["subscription_id"] == sid and i["created_at"] == iso(invoice.created)
        ]
        found = [i for i in found if i["totals"]["total"] == invoice.total] or found
        if len(found) != 1:
            raise Difference(f"{len(found)} invoices of {sid} made at {iso(invoice.created)}")
        return str(found[0]["id"])

    # -- comparing -----------------------------------------------------------------------

    def compare(self, accounts: list[Account]) -> None:
        for account in accounts:
            aid = self.account_ids[account.index]
            balance = self.ok("GET", f"/v1/accounts/{aid}/balance")["balance"]
            if balance != account.balance:
                raise Difference(
                    f"account {account.index}: balance {balance}, the model {account.balance}"
                )
            for sub in account.subs:
                self._compare_sub(sub)
            self._compare_usage(account, aid)

    def _compare_usage(self, account: Account, aid: str) -> None:
        """The meter's total over the period the account's subscription is in."""
        sub = account.current
        if sub is None or not sub.in_service or sub.usage_start != sub.start:
            return  # a window that starts after its period does: its first date is another's
        got = self.ok("GET", f"/v1/accounts/{aid}/usage?at={sub.start.isoformat()}")
        value = next(
            (int(m["value"]) for m in got["meters"] if m["meter"] == METER_BODY["code"]), 0
        )
        want = self.model.period_usage(account, sub.start, sub.end)
        if (got["period_start"], value) != (sub.start.isoformat(), want):
            raise Difference(
                f"account {account.index}: usage {value} from "
                f"{got['period_start']}, the model {want} from {sub.start}"
            )

    def _compare_sub(self, sub: Sub) -> None:
        sid = self.sub_ids[id(sub)]
        got = self.ok("GET", f"/v1/subscriptions/{sid}")
        held = sub.status in (
            "active",
            "past_due",
            "paused",
        )  # an ended one's period is not compared
        seen = (
            got["status"],
            got["plan"]["code"],
            got["quantity"],
            got["cycle"],
            got["current_period"]["start"] if held else got["ended_on"],
            got["current_period"]["end"] if held else None,
            got["cancel_at_period_end"],
        )
        want = (
            sub.status,
            sub.plan,
            sub.quantity,
            sub.cycle,
            sub.start.isoformat() if held else str(sub.ended_on),
            sub.end.isoformat() if held else None,
            sub.cancel_at_end,
        )
        if seen != want:
            raise Difference(
                f"subscription of account {sub.account.index}: product {seen}, model {want}"
            )
        items = self.listed(f"/v1/subscriptions/{sid}/items")
        product = Counter(
            (i["kind"], i["amount"], i["period_start"], i["period_end"]) for i in items
        )
        model = Counter(i.key() for i in sub.items)
        if product != model:
            raise Difference(
                f"items of account {sub.account.index}'s {sub.plan}: only in the "
                f"product {sorted((product - model).elements())}, only in the model "
                f"{sorted((model - product).elements())}"
            )

    def compare_invoices(self) -> None:
        """Every invoice: when it was made, its status, lines and total; and what each card paid."""
        for account in self.model.accounts:
            compare_account_invoices(self, account)
