"""A scripted sandbox history over real HTTP, with faults between (and during) its steps:
three accounts (a card that pays, one that declines, one that times out but really paid), a
webhook endpoint at the cluster's receiver, usage, and test clock advances over three months
that invoice and collect; meanwhile seeded-random SIGKILLs of the worker, the relay and the
delivery process, the receiver answering 500 or nothing for a while, and the server killed
(and started again) at a random instant in the middle of an advance.

The client behaves as the API asks (docs/api.md, "Idempotency"): every POST carries an
Idempotency-Key, and a request cut off by a dead server is sent again with the same key.
No plansmith import: only HTTP.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from tests.simulation.api_reads import every
from tests.simulation.receiver import Mode, WebhookReceiver

START = datetime(2026, 1, 31, 15, tzinfo=UTC)  # Feb 1 00:00 in Tokyo
# Past each Tokyo month start (Feb 1, Mar 1, Apr 1), then a day on. A period with usage is
# invoiced once its end plus the usage grace (1 h) has passed; the clock does not stop there
# but at the advance's target, so each invoice is cut at the target, finalized after the
# 60-minute invoice grace (within the next advance) and collected; a timeout is asked about
# again 15 minutes later.
ADVANCES = (
    datetime(2026, 2, 1, 0, tzinfo=UTC),
    datetime(2026, 2, 28, 18, tzinfo=UTC),
    datetime(2026, 3, 31, 18, tzinfo=UTC),
    datetime(2026, 4, 1, 18, tzinfo=UTC),
)
CARDS = {
    "pays": "tok_sandbox_success",
    "declines": "tok_sandbox_insufficient_funds",
    "times_out": "tok_sandbox_timeout_succeeded",
}


class Cluster(Protocol):
    """What the script needs of the process set (tests/simulation/cluster.py's Cluster)."""

    base_url: str
    live_key: str
    receiver: WebhookReceiver

    @property
    def processes(self) -> Mapping[str, object]: ...

    def kill(self, name: str) -> None: ...

    def restart(self, name: str) -> None: ...


FAULTS = ("worker", "relay", "webhooks", "fail", "silent")
SLOTS = len(CARDS) + 2 * len(ADVANCES)  # the points between steps where a fault may come
# How long a receiver fault's failed attempts may take to be retried before the next fault:
# a bound for a busy machine, not a speed asserted (the retries are due 5 s after a failure).
RETRIES_SECONDS = 120.0


@dataclass
class Client:
    """The sandbox's API over real HTTP, retrying through server deaths with the same key."""

    cluster: Cluster
    key: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.cluster.base_url, timeout=120)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def post(self, path: str, body: Any = None, status: int = 201) -> Any:
        headers = {**self.headers, "Idempotency-Key": str(uuid.uuid4())}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                answer = self.http.post(path, json=body, headers=headers)
            except httpx.TransportError:  # the server died under the request: send it again
                time.sleep(0.3)
                continue
            code = answer.json().get("code") if answer.status_code == 409 else None
            if code == "idempotency_key_in_use":  # the dead server's claim has not expired
                time.sleep(min(float(answer.headers.get("retry-after", "1")), 1.0))
                continue
            assert answer.status_code == status, f"POST {path}: {answer.text}"
            return answer.json()
        raise AssertionError(f"POST {path} never got through")

    def get(self, path: str) -> Any:
        answer = self.http.get(path, headers=self.headers)
        assert answer.status_code == 200, f"GET {path}: {answer.text}"
        return answer.json()


@dataclass
class Script:
    cluster: Cluster
    rng: random.Random
    api: Client | None = None
    endpoint_id: str = ""
    accounts: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, str] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)  # step, seconds
    usage_events: int = 0
    plan: list[str] = field(default_factory=list)  # the fault of each slot, in order
    receiver_free_at: float = 0.0  # monotonic: when the receiver may fail again

    def timed(self, step: str, since: float) -> None:
        self.timings.append((step, round(time.monotonic() - since, 1)))

    def run(self) -> None:
        # Every kind of fault once, two more drawn, the rest of the slots quiet; shuffled.
        extra = [self.rng.choice(FAULTS) for _ in range(2)]
        self.plan = [*FAULTS, *extra, *["none"] * (SLOTS - len(FAULTS) - 2)]
        self.rng.shuffle(self.plan)
        live = Client(self.cluster, self.cluster.live_key)
        made = live.post("/v1/sandboxes", {"name": "faults", "test_clock_start": START.isoformat()})
        self.api = api = Client(self.cluster, made["api_key"]["secret"])
        receiver = self.cluster.receiver
        endpoint = api.post("/v1/webhook_endpoints", {"url": receiver.url})
        receiver.secrets.append(endpoint["secret"])
        self.endpoint_id = endpoint["id"]
        self._catalog(api)
        for role, card in CARDS.items():
            self.fault()
            body = {"name": role, "email": f"{role}@example.com", "currency": "JPY"}
            account_id = api.post("/v1/accounts", {**body, "time_zone": "Asia/Tokyo"})["id"]
            api.post(f"/v1/accounts/{account_id}/payment_methods", {"source": card})
            sub = {"account_id": account_id, "plan": "pro", "quantity": 2}
            self.subscriptions[role] = api.post("/v1/subscriptions", sub)["id"]
            self.accounts[role] = account_id
        for month, to in enumerate(ADVANCES):
            self.fault()
            if month in (1, 2):  # dated in February, then in March
                self._usage(api, month)
            self.fault()
            since = time.monotonic()
            self._advance(api, to, kill_server=month == 1)
            self.timed(f"advance {month + 1}", since)

    def _catalog(self, api: Client) -> None:
        api.post("/v1/tax_rates", {"name": "Consumption tax", "percent": "10"})
        meter = {"code": "calls", "name": "API calls", "event_code": "call", "aggregation": "count"}
        api.post("/v1/meters", meter)
        api.post("/v1/plan_families", {"code": "service", "name": "Service plans"})
        charge = {
            "meter": "calls",
            "currency": "JPY",
            "included": 10,
            "limit": "soft",
            "model": "per_unit",
            "unit_price": "3",
        }
        terms = {"base_prices": {"JPY": 4990}, "charges": [charge]}
        plan = {"code": "pro", "name": "Pro", "family": "service", "terms": terms}
        api.post("/v1/plans", {**plan, "publish": True})

    def _usage(self, api: Client, month: int) -> None:
        """A batch of usage for the paying account, dated at the clock (inside its period);
        the same batch sent twice counts once."""
        now = api.get("/v1/test_clock")["now"]
        events = [
            {
                "id": f"m{month}-call-{n}",
                "account_id": self.accounts["pays"],
                "code": "call",
                "timestamp": now,
                "properties": {},
            }
            for n in range(25)
        ]
        first = api.post("/v1/events/batch", {"events": events}, status=200)
        again = api.post("/v1/events/batch", {"events": events}, status=200)
        assert (first["accepted"], again["accepted"]) == (25, 0), (first, again)
        self.usage_events += 25

    def _advance(self, api: Client, to: datetime, *, kill_server: bool) -> None:
        """Advance the clock; with kill_server, SIGKILL the server while it advances and
        start it again (the client sends the same request with the same key)."""
        killer = None
        if kill_server:
            delay = self.rng.uniform(0.05, 0.8)
            killer = threading.Thread(target=self._kill_server_after, args=(delay,))
            killer.start()
        api.post("/v1/test_clock/advance", {"to": to.isoformat()}, status=200)
        if killer is not None:
            killer.join()
        assert api.get("/v1/test_clock")["now"].startswith(to.strftime("%Y-%m-%dT%H:%M"))

    def _kill_server_after(self, delay: float) -> None:
        time.sleep(delay)
        self.faults.append(f"server killed {delay:.2f} s into an advance")
        self.cluster.restart("server")

    def fault(self) -> None:
        """The next fault of the seeded plan (or none)."""
        kind = self.plan.pop(0)
        cluster = self.cluster
        if kind in ("worker", "relay", "webhooks") and kind in cluster.processes:
            cluster.kill(kind)
            time.sleep(self.rng.uniform(0.1, 1.0))
            cluster.restart(kind)
        elif kind in ("fail", "silent"):
            self._receiver_fault(Mode.FAIL if kind == "fail" else Mode.SILENT)
        else:
            return
        self.faults.append(kind)

    def _receiver_fault(self, mode: Mode) -> None:
        """The receiver fails (500) or goes silent from now, over the steps that follow, and
        is well again after a few seconds (a timer). A 500 is retried 5 s later and a silent
        attempt gives up after 10 s, then is retried 5 s later: a window is shorter than the
        first, and the next one starts only after those retries found it well (the retry
        after them comes 5 minutes later, beyond the test)."""
        self._wait_for_retries()
        lasts = self.rng.uniform(1.0, 2.5) if mode is Mode.FAIL else self.rng.uniform(1.0, 3.0)
        after = 6.0 if mode is Mode.FAIL else 16.0
        self.receiver_free_at = time.monotonic() + lasts + after
        receiver = self.cluster.receiver
        receiver.switch(mode)
        well_again = threading.Timer(lasts, receiver.switch, args=(Mode.OK,))
        well_again.daemon = True
        well_again.start()

    def _wait_for_retries(self) -> None:
        """Wait until the last window is over for its deliveries too: no attempt is held at
        the receiver and every delivery that failed an attempt has succeeded since. The
        window's own length is not enough: on a busy machine a retry due 5 s after a failure
        is made a second late, and a window started at the planned instant failed it again
        (its next attempt then 5 minutes away, as the retry schedule says)."""
        wait = self.receiver_free_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        assert self.api is not None
        since = time.monotonic()
        deadline = since + RETRIES_SECONDS
        while True:
            retrying = [
                (d["event_id"], d["attempts"], d["next_attempt_at"])
                for d in every(
                    self.api.http,
                    self.api.headers,
                    f"/v1/webhook_endpoints/{self.endpoint_id}/deliveries",
                )
                if d["state"] == "pending" and d["attempts"] > 0
            ]
            if not retrying and not self.cluster.receiver.holding:
                if time.monotonic() - since > 0.5:  # the window's length was not enough
                    self.timed("retries waited for", since)
                return
            assert time.monotonic() < deadline, f"not retried in {RETRIES_SECONDS} s: {retrying}"
            time.sleep(0.2)
