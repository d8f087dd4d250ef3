"""Stripe's webhooks: an event posted by Stripe, read once its signature is checked.

Stripe signs each event with the endpoint's secret (``whsec_...``) in the ``Stripe-Signature``
header; an event whose signature does not match, or is older than the tolerance, is refused
before anything in it is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe

from plansmith.adapters.payments.stripe_amounts import from_stripe_amount
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue

__all__ = ["StripeEvent", "parse_event"]


@dataclass(frozen=True)
class StripeEvent:
    """What plansmith reads of a verified Stripe event."""

    id: str  # evt_...
    type: str  # e.g. payment_intent.succeeded, payment_intent.payment_failed, refund.updated
    object_id: str | None  # the id of data.object (pi_..., re_..., ch_...)
    payment_intent_id: str | None
    refund_id: str | None
    status: str | None  # the object's status as Stripe says it
    decline_code: str | None
    message: str | None
    amount: int | None  # ISO 4217 minor units
    currency: str | None  # upper case


def parse_event(payload: bytes, signature_header: str, secret: str, tolerance: int) -> StripeEvent:
    """The event Stripe posted, once its ``Stripe-Signature`` is checked against the
    endpoint's secret and its timestamp is within the tolerance (seconds); DomainError
    ``webhook_signature_invalid`` otherwise."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise DomainError(
            "The Stripe-Signature header does not match this payload and the endpoint's "
            "signing secret, or is older than the tolerance: the event was not acted on "
            "(check the webhook secret, whsec_..., and the server's clock)",
            field="Stripe-Signature",
            code=ec.WEBHOOK_SIGNATURE_INVALID,
        ) from exc
    try:
        event = json.loads(payload)
        obj = event["data"]["object"]
        event_id, event_type = event["id"], event["type"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidValue(
            "The payload is signed but is not a Stripe event (id, type, data.object)",
            field="payload",
        ) from exc
    return _event(str(event_id), str(event_type), obj if isinstance(obj, dict) else {})


def _event(event_id: str, event_type: str, obj: dict[str, Any]) -> StripeEvent:
    kind = obj.get("object")
    error = obj.get("last_payment_error") or {}
    amount, currency = obj.get("amount"), _str(obj.get("currency"))
    return StripeEvent(
        id=event_id,
        type=event_type,
        object_id=_str(obj.get("id")),
        payment_intent_id=_str(obj.get("id") if kind == "payment_intent" else None)
        or _str(obj.get("payment_intent")),
        refund_id=_str(obj.get("id")) if kind == "refund" else None,
        status=_str(obj.get("status")),
        decline_code=_str(error.get("decline_code") or error.get("code"))
        or _str(obj.get("failure_reason") or obj.get("failure_code")),
        message=_str(error.get("message")) or _str(obj.get("failure_message")),
        amount=from_stripe_amount(amount, currency)
        if isinstance(amount, int) and currency
        else None,
        currency=currency.upper() if currency else None,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
