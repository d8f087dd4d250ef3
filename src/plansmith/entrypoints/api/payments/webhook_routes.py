"""Stripe's webhook: `POST /v1/payments/stripe/webhook`, called by Stripe, not with an API key.

The payload is acted on only once its `Stripe-Signature` is verified with the endpoint's
signing secret (`PLANSMITH_STRIPE_WEBHOOK_SECRET`); anything else is 400
`webhook_signature_invalid` and changes nothing. `payment_intent.succeeded` and
`payment_intent.payment_failed` settle the payment with that PaymentIntent as its reference if
it is still pending or unknown (a charge whose answer was lost on the way), exactly as asking
Stripe again would: once, whoever records it first. Every other event, an intent plansmith did
not make, and an event delivered again are answered 200 and change nothing, so Stripe stops
sending them.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Header, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.payments.collection import in_flight_was_automatic, record_answer
from plansmith.application.payments.top_ups import record_top_up
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.payments.payments import (
    IN_FLIGHT,
    GatewayAnswer,
    Outcome,
    Payment,
    PaymentKind,
)
from plansmith.entrypoints.api.deps import Container
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["payments"]
GATEWAY = "stripe"
OUTCOMES = {
    "payment_intent.succeeded": Outcome.SUCCEEDED,
    "payment_intent.payment_failed": Outcome.FAILED,
}


class WebhookOut(BaseModel):
    object: str = "webhook_event"
    event_id: str
    type: str
    payment_id: str | None = Field(description="The payment it settled; null: none")
    acted: bool = Field(
        description="True: the payment was in flight and now stands as the event says; "
        "false: ignored (another type, an intent plansmith did not make, settled already)"
    )


def _settle(app: Plansmith, payment: Payment, answer: GatewayAnswer) -> Payment:
    uow = app.uow()
    with uow:
        organization = uow.organizations.get(payment.organization_id)
    clock = clock_for(organization, app.clock) if organization is not None else app.clock
    if payment.kind is PaymentKind.TOP_UP:
        return record_top_up(uow, payment, answer, clock.now())
    return record_answer(
        uow, payment, answer, clock.now(), automatic=in_flight_was_automatic(payment)
    )


def _handle(app: Plansmith, payload: bytes, signature: str | None) -> WebhookOut:
    gateway = app.stripe_webhooks()
    if gateway is None or not signature:
        raise DomainError(
            "no valid Stripe-Signature: send the header Stripe signs its webhooks with, to a "
            "deployment configured with the endpoint's signing secret (whsec_...)",
            field="Stripe-Signature",
            code=ec.WEBHOOK_SIGNATURE_INVALID,
        )
    event = gateway.parse_webhook(payload, signature)
    ignored = WebhookOut(event_id=event.id, type=event.type, payment_id=None, acted=False)
    outcome = OUTCOMES.get(event.type)
    if outcome is None or event.payment_intent_id is None:
        return ignored
    uow = app.uow()
    with uow:
        payment = uow.payments.by_reference(GATEWAY, event.payment_intent_id)
    if payment is None or payment.kind is PaymentKind.REFUND or payment.status not in IN_FLIGHT:
        return ignored
    failed = outcome is Outcome.FAILED
    answer = GatewayAnswer(
        outcome,
        reference=event.payment_intent_id,
        decline_code=event.decline_code if failed else None,
        message=(event.message or "The card was declined") if failed else None,
    )
    settled = _settle(app, payment, answer)
    acted = settled.status.value == outcome.value
    return WebhookOut(event_id=event.id, type=event.type, payment_id=payment.id, acted=acted)


@router.post(
    "/payments/stripe/webhook",
    operation_id="receive_stripe_webhook",
    responses=problems(ec.WEBHOOK_SIGNATURE_INVALID),
    response_model=WebhookOut,
    tags=TAGS,
)
async def receive_stripe_webhook(
    request: Request,
    app: Container,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookOut:
    """For Stripe to call (Dashboard > Developers > Webhooks), not with an API key: events
    `payment_intent.succeeded` and `payment_intent.payment_failed` settle a payment whose
    answer was lost. 200 for every event with a valid signature, acted on or not."""
    payload = await request.body()
    return await run_in_threadpool(_handle, app, payload, stripe_signature)
