"""The customers and the request mix of bench/load.py: who is subscribed to what, and what a
minute of traffic to a billing engine looks like.

The catalog is the demo's (``plansmith demo``) plus an ``api`` family whose two plans charge a
metered ``api_calls`` allowance (a usage charge with ``included`` units and a soft limit), so
the accounts hold, in turn: a per-seat chat plan with a hard chatbot-session allowance, a
metered API plan (EUR), a mailbox plan with hard scan allowances (JPY), and the larger
metered API plan (USD).
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from api import Fixture, MixEntry
from mixed_client import Call

from plansmith.bootstrap import Plansmith

# currency, plan, seats, the plan a change preview asks for; the meter an entitlement check
# names and the code of the usage events the account sends (by the same index).
MIX: list[MixEntry] = [
    ("USD", "chat-team", 3, "chat-business"),  # upgrade: applies now
    ("EUR", "api-starter", None, "api-growth"),
    ("JPY", "mailbox-bronze", None, "mailbox-silver"),
    ("USD", "api-growth", None, "api-starter"),  # downgrade: waits for the term end
]
METERED = [("chatbot_sessions", "chatbot_session"), ("api_calls", "api_call")]
METERED += [("scans", "scan"), ("api_calls", "api_call")]
# The mix entries whose accounts get real changes (one more seat, now): the chat plan's items
# wait for the next invoice, the API plans' are invoiced at once (and collected).
SEATED = (0, 1)
CHAT = 0
# Of every 100 requests (the background billing runs are outside the mix). The entitlement
# check is asked before each use of a metered feature, so it is the most frequent; usage is
# sent in batches (a client flushing its buffer); customers in the portal look at their plans,
# invoices and packages, preview a change now and then, and seldom make one.
WEIGHTS = {
    "GET /v1/entitlements": 55,
    "POST /v1/events/batch": 12,
    "portal Plans": 10,
    "portal Invoices": 7,
    "portal Packages": 4,
    "POST change preview": 9,
    "POST change (one more seat)": 3,
}
BILLING_RUN = "POST /v1/billing_runs (every N s)"


def prepare_catalog(app: Plansmith, org: str) -> None:
    """The ``api_calls`` meter and the metered ``api`` family (see the module)."""
    from plansmith.application.catalog.plan_families import FamilyInput, create_family
    from plansmith.application.catalog.plans import PlanInput, create_plan
    from plansmith.application.usage.meters import create_meter

    meter = {"code": "api_calls", "name": "API calls", "event_code": "api_call"}
    create_meter(app.uow(), app.clock, org, {**meter, "aggregation": "count"})
    policy = {"upgrade": "now", "downgrade": "term_end", "change_invoicing": "immediately"}
    create_family(app.uow(), app.clock, org, FamilyInput("api", "API plans", policy))
    starter = {"included": 10_000, "limit": "soft", "model": "per_unit", "unit_price": "0.002"}
    growth = {
        "included": 100_000,
        "limit": "soft",
        "model": "graduated",
        "tiers": [
            {"up_to": "1000000", "unit_price": "0.0015"},
            {"up_to": None, "unit_price": "0.001"},
        ],
    }
    for code, name, rank, base, charge in (
        ("api-starter", "API Starter", 1, {"USD": 2900, "EUR": 2700}, starter),
        ("api-growth", "API Growth", 2, {"USD": 9900, "EUR": 9200}, growth),
    ):
        charges = [{"meter": "api_calls", "currency": currency, **charge} for currency in base]
        terms = {"pricing": "per_seat", "base_prices": base, "charges": charges}
        data = PlanInput(code, name, "api", rank, terms, ["portal"], publish=True)
        create_plan(app.uow(), app.clock, org, data)


@dataclass
class Mix:
    """Builds each request of the mix from the seeded data; one instance per phase (its event
    ids are new in each)."""

    fixture: Fixture
    events_per_batch: int
    prefix: str
    lanes: int  # the connections: each changes only its own share of the subscriptions

    def __post_init__(self) -> None:
        f = self.fixture
        self.bearer = {"Authorization": f"Bearer {f.api_key}"}
        self.posted = {**self.bearer, "Content-Type": "application/json"}
        self.indices = range(len(f.accounts))
        self.signed_in = [i for i, a in enumerate(f.accounts) if a in f.cookies]
        seated = [i for i in self.indices if i % len(MIX) in SEATED]
        if len(seated) < self.lanes:
            raise SystemExit(
                f"more connections than the {len(seated)} accounts changed: add accounts"
            )
        self.seated = [seated[w :: self.lanes] for w in range(self.lanes)]
        self.chat = [i for i in self.signed_in if i % len(MIX) == CHAT]
        self.seats = {i: MIX[i % len(MIX)][2] or 1 for i in seated}
        self.event_numbers = itertools.count()
        self.kinds, self.weights = list(WEIGHTS), list(WEIGHTS.values())

    def pick(self, rng: random.Random, lane: int) -> Call:
        return self.call(rng.choices(self.kinds, self.weights)[0], rng, lane)

    def call(self, kind: str, rng: random.Random, lane: int = 0) -> Call:
        f = self.fixture
        i = rng.choice(self.indices)
        if kind == "GET /v1/entitlements":
            meter = METERED[i % len(MIX)][0]
            path = f"/v1/entitlements?account_id={f.accounts[i]}&meter={meter}&units=1"
            return Call(kind, "GET", path, self.bearer)
        if kind == "POST /v1/events/batch":
            return Call(kind, "POST", "/v1/events/batch", self.posted, self._batch(rng))
        if kind == "POST change preview":
            body = json.dumps({"plan": f.next_plans[i]}).encode()
            path = f"/v1/subscriptions/{f.subscriptions[i]}/changes/preview"
            return Call(kind, "POST", path, self.posted, body)
        if kind == "POST change (one more seat)":
            i = rng.choice(self.seated[lane])
            self.seats[i] += 1  # each change asks for one seat more than the last one sent
            body = json.dumps({"quantity": self.seats[i], "when": "now"}).encode()
            path = f"/v1/subscriptions/{f.subscriptions[i]}/changes"
            return Call(kind, "POST", path, self.posted, body)
        pages = {"portal Plans": "/portal/plans", "portal Invoices": "/portal/invoices"}
        i = rng.choice(self.chat if kind == "portal Packages" else self.signed_in)
        path = pages.get(kind, "/portal/plans/chat/packages")
        return Call(kind, "GET", path, {"Cookie": f"plansmith_portal={f.cookies[f.accounts[i]]}"})

    def _batch(self, rng: random.Random) -> bytes:
        """events_per_batch events of 10 accounts (a client's buffer of a second), stamped now
        with fresh ids."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        who = [rng.choice(self.indices) for _ in range(10)]
        events = []
        for k in range(self.events_per_batch):
            i = who[k % len(who)]
            n = next(self.event_numbers)
            code = METERED[i % len(MIX)][1]
            account = self.fixture.accounts[i]
            events.append(
                {
                    "id": f"{self.prefix}-{n}",
                    "account_id": account,
                    "code": code,
                    "timestamp": at,
                    "properties": {},
                }
            )
        return json.dumps({"events": events}).encode()

    def billing_run(self) -> Call:
        return Call(BILLING_RUN, "POST", "/v1/billing_runs", self.posted, b"{}")
