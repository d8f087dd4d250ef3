"""A process of its own for test_payment_scenarios_crash.py (``python -m tests.integration.
payment_crash_process DATABASE_URL ORG AT HOLD_AT``), killed with SIGKILL by the test.

It runs the collection of organization ORG as of the instant AT (ISO 8601) with the sandbox
gateway. HOLD_AT >= 1: its HOLD_AT-th charge is sent and answered (captured at the gateway),
then the process says "held" and waits to be killed: the payments of its batch stay pending
(written before the gateway was called), their answers never recorded, those after it in the
batch never sent, the invoices after the batch never tried. HOLD_AT 0: it runs to the end and says
"done" with the run's counts (attempted, succeeded, failed, unknown, refused)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime

from plansmith.adapters.clock import TestClock
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    PaymentGateway,
    RefundRequest,
    SavedCard,
)
from plansmith.bootstrap import Settings, bootstrap
from plansmith.domain.payments.payments import GatewayAnswer


class Holding:
    """The real gateway, stopped for good right after its ``hold_at``-th charge answered."""

    def __init__(self, real: PaymentGateway, hold_at: int) -> None:
        self.real, self.hold_at, self.charged = real, hold_at, 0

    @property
    def name(self) -> str:
        return self.real.name

    def tokenize(self, card: CardDetails, today: object) -> str:
        raise AssertionError("not used by a collection")

    def save_card(self, card: CardToSave) -> SavedCard:
        raise AssertionError("not used by a collection")

    def forget_card(self, token: str, customer_ref: str | None) -> None:
        raise AssertionError("not used by a collection")

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        # One by one, so the run stops in the middle of a batch: some of its pending
        # payments captured at the gateway, the rest never sent.
        return [self.charge(r) for r in requests]

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        answer = self.real.charge(request)
        self.charged += 1
        if self.charged == self.hold_at:
            print("held", flush=True)
            time.sleep(600)  # killed here: captured, not recorded
        return answer

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        raise AssertionError("not used by a collection")


def main(argv: list[str]) -> None:
    db_url, org, at, hold_at = argv[0], argv[1], datetime.fromisoformat(argv[2]), int(argv[3])
    app = bootstrap(Settings(database_url=db_url, secret_key="crash"), clock=TestClock(at))
    holding = Holding(app.gateway_for(org), hold_at)
    run = run_collection(app.uow(), lambda _org: holding, app.clock, org)
    counts = (run.attempted, run.succeeded, run.failed, run.unknown, len(run.errors))
    print("done", *counts, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
