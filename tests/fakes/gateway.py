"""A scripted payment gateway for the use-case tests: each charge takes the next answer of a
script (succeeded when the script is empty), a charge sent again with the same idempotency key
gets the answer its capture really had (what a real gateway does), and every request is kept
in order for the test to read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    PaymentGateway,
    RefundRequest,
    SavedCard,
    distinct_keys,
)
from plansmith.domain.payments.payments import GatewayAnswer, Outcome

SUCCEED = "succeed"
DECLINE = "decline"  # insufficient_funds
TIMEOUT_CAPTURED = "timeout_captured"  # answered unknown; captured at the gateway
TIMEOUT_FAILED = "timeout_failed"  # answered unknown; not captured


@dataclass
class ScriptedGateway:
    script: list[str] = field(default_factory=list)
    charges: list[ChargeRequest] = field(default_factory=list)
    refunds: list[RefundRequest] = field(default_factory=list)
    captured: dict[str, GatewayAnswer] = field(default_factory=dict)  # by idempotency key
    settled: dict[str, GatewayAnswer] = field(default_factory=dict)  # what really happened
    saved: int = 0

    @property
    def name(self) -> str:
        return "scripted"

    def tokenize(self, card: CardDetails, today: date) -> str:
        return f"tok_{card.number[-4:]}"

    def save_card(self, card: CardToSave) -> SavedCard:
        self.saved += 1
        return SavedCard(
            f"card_{self.saved}", card.customer_ref or "cus_1", "visa", "4242", 12, 2030
        )

    def forget_card(self, token: str, customer_ref: str | None) -> None:
        return None

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        self.charges.append(request)
        known = self.settled.get(request.idempotency_key)
        if known is not None:  # the same key again: what really happened the first time
            return known
        step = self.script.pop(0) if self.script else SUCCEED
        reference = f"ch_{len(self.charges)}"
        if step == DECLINE:
            answer = GatewayAnswer(Outcome.FAILED, reference, "insufficient_funds", "declined")
        elif step in (TIMEOUT_CAPTURED, TIMEOUT_FAILED):
            real = (
                GatewayAnswer(Outcome.SUCCEEDED, reference)
                if step == TIMEOUT_CAPTURED
                else GatewayAnswer(Outcome.FAILED, reference, "processing_error", "failed")
            )
            self.settled[request.idempotency_key] = real
            if real.outcome is Outcome.SUCCEEDED:
                self.captured[request.idempotency_key] = real
            return GatewayAnswer(Outcome.UNKNOWN, None, None, "timed out")
        else:
            answer = GatewayAnswer(Outcome.SUCCEEDED, reference)
            self.captured[request.idempotency_key] = answer
        self.settled[request.idempotency_key] = answer
        return answer

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        """One by one, in order: each takes the next step of the script."""
        distinct_keys(requests)
        return [self.charge(request) for request in requests]

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        self.refunds.append(request)
        return GatewayAnswer(Outcome.SUCCEEDED, f"re_{len(self.refunds)}")


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_gateway: PaymentGateway = ScriptedGateway()
