"""The Stripe payment gateway, on the official ``stripe`` library.

Cards are saved the way Stripe wants them: the customer types the number into Stripe's own
form (Stripe.js confirming a SetupIntent), which gives a PaymentMethod id (``pm_...``);
plansmith attaches it to the account's Stripe customer and keeps only that id, the brand, the
last four digits and the expiry. Invoices are charged off session by PaymentIntents confirmed at
once, each sent with the payment's idempotency key: sending the same payment again answers what
happened the first time, and captures nothing more.

What Stripe answers, as a :class:`GatewayAnswer`:

- ``succeeded`` → SUCCEEDED (the reference is the PaymentIntent's or the Refund's id);
- a card error (HTTP 402) → FAILED with the decline code (``decline_code``, else ``code``) and
  Stripe's message, which is written for the customer;
- ``processing`` or ``requires_action`` (the bank has not said yet) → UNKNOWN, settled later by
  the webhook or by charging again with the same key (the intent is then read afresh, since
  Stripe replays the first answer as it was);
- no answer (timeout, connection refused), HTTP 409 (the key is in use by a request still
  running, or a lock timeout) or 429 → UNKNOWN: sending the same request again tells;
- HTTP 5xx → the intent itself, found among the customer's by the key kept in its metadata
  (Stripe replays a 500 to every retry with the same key, so only the intent can tell), else
  UNKNOWN;
- the key reused with other parameters (400 ``idempotency_error``) → the first request's
  intent if it had the same amount and currency, else UNKNOWN: a defect for a person to see;
- any other invalid request → FAILED with Stripe's message;
- a wrong API key or a forbidden call (401, 403) raises: it is configuration, not an outcome,
  and the payment, still pending, is sent again with its key once the key is fixed.

Refunds map the same way: ``succeeded`` → SUCCEEDED, ``failed`` or ``canceled`` → FAILED
(``failure_reason`` as the decline code), ``pending`` → UNKNOWN until Stripe says.

A batch (``charge_many``) sends its requests as ``charge`` does, a few at once on a bounded
thread pool, each with its own key; a request that raises (a wrong API key included) answers
UNKNOWN for itself alone, so the others' answers are kept and it is sent again with its key.

Amounts as Stripe takes them: ``stripe_amounts``; webhooks: ``stripe_webhooks``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import stripe

from plansmith.adapters.payments.stripe_amounts import to_stripe_amount
from plansmith.adapters.payments.stripe_webhooks import StripeEvent, parse_event
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    RefundRequest,
    SavedCard,
    distinct_keys,
)
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.payments.payments import GatewayAnswer, Outcome

__all__ = ["StripeGateway"]

DEFAULT_API_BASE = stripe.DEFAULT_API_BASE
KEY_METADATA = "plansmith_idempotency_key"  # where a PaymentIntent or Refund keeps our key

_PENDING_INTENT = frozenset(
    {"processing", "requires_action", "requires_confirmation", "requires_capture"}
)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class StripeGateway:
    """The :class:`~plansmith.application.payments.ports.PaymentGateway` of Stripe."""

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 30.0,
        webhook_tolerance: int = 300,
        concurrency: int = 8,
    ) -> None:
        """``concurrency``: how many requests of one ``charge_many`` are sent at once."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self._concurrency = concurrency
        self._webhook_secret = webhook_secret
        self._webhook_tolerance = webhook_tolerance
        # One client per gateway: its own key and base address (nothing global is set), no
        # retries by the library (a payment is retried by plansmith, with its own key), and
        # the timeout on the HTTP client, which is where the library takes it.
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    @property
    def name(self) -> str:
        return "stripe"

    # Cards

    def tokenize(self, card: CardDetails, today: date) -> str:
        raise InvalidValue(
            "With Stripe, card numbers are typed into Stripe's own form (Stripe.js confirming "
            "a SetupIntent), never into plansmith's: save the card with the PaymentMethod id "
            "(pm_...) that form gives",
            field="number",
        )

    def setup_intent(self, customer_ref: str) -> tuple[str, str]:
        """A SetupIntent for a card to be charged off session later: its id and the client
        secret Stripe.js confirms it with in the customer's browser."""
        params: stripe.params.SetupIntentCreateParams = {
            "customer": customer_ref,
            "usage": "off_session",
            "allowed_payment_method_types": ["card"],
        }
        intent = self._client.v1.setup_intents.create(params=params)
        if intent.client_secret is None:
            raise ValueError(f"Stripe gave SetupIntent {intent.id} no client secret")
        return intent.id, intent.client_secret

    def save_card(self, card: CardToSave) -> SavedCard:
        customer = card.customer_ref or self.ensure_customer(card.account_id, card.email, card.name)
        try:
            method = self._client.v1.payment_methods.attach(
                card.source, params={"customer": customer}
            )
        except stripe.CardError as exc:
            raise InvalidValue(_message(exc, "The card was declined"), field="card") from exc
        except stripe.InvalidRequestError as exc:
            raise InvalidValue(
                _message(exc, "Stripe refused this payment method")
                + " (give the PaymentMethod id, pm_..., from Stripe's card form)",
                field="card",
            ) from exc
        details = method.card
        if method.type != "card" or details is None:
            raise InvalidValue(
                f"{card.source} is a {method.type} payment method, not a card", field="card"
            )
        return SavedCard(
            token=method.id,
            customer_ref=customer,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
        )

    def ensure_customer(self, account_id: str, email: str, name: str) -> str:
        """The account's Stripe customer (``cus_...``), made on first use: what a SetupIntent
        for an account without a saved card needs first.

        One customer per account, however often this runs within Stripe's 24 hours of keeping
        a key: the key comes from the account and the parameters never change (Stripe refuses
        a key reused with others), so a second call gets the first's customer back. Email and
        name follow in an update. After 24 hours the caller must pass the ``customer_ref`` it
        keeps (``PaymentMethodRepository.customer_ref``)."""
        created = self._client.v1.customers.create(
            params={"metadata": {"account_id": account_id}},
            options={"idempotency_key": f"customer-{account_id}"},
        )
        self._client.v1.customers.update(created.id, params={"email": email, "name": name})
        return created.id

    def forget_card(self, token: str, customer_ref: str | None) -> None:
        # No such payment method, or not attached: forgotten already.
        with contextlib.suppress(stripe.InvalidRequestError):
            self._client.v1.payment_methods.detach(token)

    # Money

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        try:
            amount = to_stripe_amount(request.amount, request.currency)
        except DomainError as exc:
            return GatewayAnswer(Outcome.FAILED, message=exc.message)
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": amount,
            "currency": request.currency.lower(),
            "payment_method": request.token,
            "off_session": True,
            "confirm": True,
            "description": request.description,
            "metadata": {KEY_METADATA: request.idempotency_key},
        }
        if request.customer_ref is not None:
            params["customer"] = request.customer_ref
        try:
            intent = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.CardError as exc:
            return _declined(exc)
        except (stripe.APIError, stripe.IdempotencyError) as exc:
            found = self._find_intent(request, amount) if _replays_no_outcome(exc) else None
            return _intent_answer(found) if found is not None else _unknown(exc)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            return _unknown(exc)
        except stripe.InvalidRequestError as exc:
            return GatewayAnswer(Outcome.FAILED, message=_message(exc, "Stripe refused it"))
        if intent.status in _PENDING_INTENT:
            # Stripe replays the first answer as it was: read the intent as it is now.
            with contextlib.suppress(stripe.StripeError):
                intent = self._client.v1.payment_intents.retrieve(intent.id)
        return _intent_answer(intent)

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        """Each request sent as ``charge`` sends it, at most ``concurrency`` at once; the
        answers in the requests' order. A request that raises answers UNKNOWN for itself."""
        distinct_keys(requests)
        if len(requests) <= 1:
            return [self._charge_alone(request) for request in requests]
        workers = min(self._concurrency, len(requests))
        with ThreadPoolExecutor(workers, thread_name_prefix="stripe-charge") as pool:
            return list(pool.map(self._charge_alone, requests))

    def _charge_alone(self, request: ChargeRequest) -> GatewayAnswer:
        try:
            return self.charge(request)
        except Exception as exc:  # one request's trouble must not lose the batch's answers
            return _raised(exc)

    def _find_intent(self, request: ChargeRequest, amount: int) -> stripe.PaymentIntent | None:
        """The customer's intent made with this request's key, amount and currency."""
        if request.customer_ref is None:
            return None
        try:
            page = self._client.v1.payment_intents.list(
                params={"customer": request.customer_ref, "limit": 100}
            )
        except stripe.StripeError:
            return None
        for intent in page.data:
            if _key_in(intent.metadata) == request.idempotency_key:
                same = (intent.amount, intent.currency) == (amount, request.currency.lower())
                return intent if same else None
        return None

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        try:
            amount = to_stripe_amount(request.amount, request.currency)
        except DomainError as exc:
            return GatewayAnswer(Outcome.FAILED, message=exc.message)
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": request.charge_reference,
                    "amount": amount,
                    "metadata": {KEY_METADATA: request.idempotency_key},
                },
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.CardError as exc:
            return _declined(exc)
        except (stripe.APIError, stripe.IdempotencyError) as exc:
            found = self._find_refund(request, amount) if _replays_no_outcome(exc) else None
            return _refund_answer(found) if found is not None else _unknown(exc)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            return _unknown(exc)
        except stripe.InvalidRequestError as exc:
            return GatewayAnswer(Outcome.FAILED, message=_message(exc, "Stripe refused it"))
        if refund.status in ("pending", "requires_action"):
            with contextlib.suppress(stripe.StripeError):
                refund = self._client.v1.refunds.retrieve(refund.id)
        return _refund_answer(refund)

    def _find_refund(self, request: RefundRequest, amount: int) -> stripe.Refund | None:
        try:
            page = self._client.v1.refunds.list(
                params={"payment_intent": request.charge_reference, "limit": 100}
            )
        except stripe.StripeError:
            return None
        for refund in page.data:
            if _key_in(refund.metadata) == request.idempotency_key:
                return refund if refund.amount == amount else None
        return None

    # Webhooks

    def parse_webhook(self, payload: bytes, signature_header: str) -> StripeEvent:
        """The event Stripe posted, its signature checked (see ``stripe_webhooks``)."""
        return parse_event(payload, signature_header, self._webhook_secret, self._webhook_tolerance)


def _key_in(metadata: stripe.StripeObject | None) -> str | None:
    # A StripeObject is not a dict (it has no .get): its data comes out with to_dict().
    return _str(metadata.to_dict().get(KEY_METADATA)) if metadata is not None else None


def _message(exc: stripe.StripeError, default: str) -> str:
    return exc.user_message or default


def _declined(exc: stripe.CardError) -> GatewayAnswer:
    error = exc.error
    intent = error.payment_intent if error is not None else None
    return GatewayAnswer(
        Outcome.FAILED,
        reference=intent.id if intent is not None else None,
        decline_code=(error.decline_code or error.code) if error is not None else exc.code,
        message=_message(exc, "The card was declined"),
    )


def _replays_no_outcome(exc: stripe.StripeError) -> bool:
    """A 5xx, which Stripe replays to every retry with the key, or a key reused with other
    parameters: only the object itself can say what happened."""
    return isinstance(exc, stripe.IdempotencyError) or (exc.http_status or 0) >= 500


def _unknown(exc: stripe.StripeError) -> GatewayAnswer:
    if isinstance(exc, stripe.IdempotencyError):
        # One key per payment makes this a defect: the first request's money stays where it
        # is, and nothing new is tried until a person has looked.
        return GatewayAnswer(
            Outcome.UNKNOWN,
            message="Stripe refused the idempotency key: it was used before with other "
            "parameters (amount, currency or card). This request charged nothing; look up the "
            "first one at Stripe before trying again",
        )
    return GatewayAnswer(
        Outcome.UNKNOWN,
        message=f"Stripe gave no outcome ({type(exc).__name__}, HTTP {exc.http_status}): "
        "send the same payment again with the same key to learn it",
    )


def _raised(exc: Exception) -> GatewayAnswer:
    """A request of a batch that raised (``charge`` raises for configuration: a wrong API key,
    a forbidden call): UNKNOWN, so the payment is sent again with its key, once it is fixed."""
    status = exc.http_status if isinstance(exc, stripe.StripeError) else None
    return GatewayAnswer(
        Outcome.UNKNOWN,
        message=f"The request to Stripe raised {type(exc).__name__}"
        + (f" (HTTP {status})" if status else "")
        + ": no outcome; send the same payment again with the same key once it is resolved",
    )


def _intent_answer(intent: stripe.PaymentIntent) -> GatewayAnswer:
    if intent.status == "succeeded":
        return GatewayAnswer(Outcome.SUCCEEDED, reference=intent.id)
    if intent.status in _PENDING_INTENT:
        return GatewayAnswer(
            Outcome.UNKNOWN,
            reference=intent.id,
            message=f"The payment is {intent.status.replace('_', ' ')} at Stripe",
        )
    error = intent.last_payment_error
    return GatewayAnswer(
        Outcome.FAILED,
        reference=intent.id,
        decline_code=(error.decline_code or error.code) if error is not None else None,
        message=(error.message if error is not None else None)
        or f"The payment is {intent.status.replace('_', ' ')} at Stripe",
    )


def _refund_answer(refund: stripe.Refund) -> GatewayAnswer:
    if refund.status == "succeeded":
        return GatewayAnswer(Outcome.SUCCEEDED, reference=refund.id)
    if refund.status in ("failed", "canceled"):
        return GatewayAnswer(
            Outcome.FAILED,
            reference=refund.id,
            decline_code=refund.failure_reason,
            message=f"Stripe could not give the money back ({refund.failure_reason})",
        )
    return GatewayAnswer(
        Outcome.UNKNOWN, reference=refund.id, message=f"The refund is {refund.status} at Stripe"
    )
