"""A local HTTP server that answers like Stripe's API v1, for the Stripe gateway's tests.

It speaks the documented shapes: form-encoded requests (``metadata[k]=v``, ``list[0]=v``) with
``Authorization: Bearer <secret key>``, JSON objects carrying ``"object"`` and ``"id"``, error
objects ``{"error": {"type", "code", "decline_code", "message", "param", "payment_intent"}}``
with their statuses (402 for card errors, 400 invalid requests, 404 missing objects), and
idempotency as Stripe does it: a POST's status and body are kept per ``Idempotency-Key`` once
its endpoint ran (a 500 too) and replayed to any retry with ``Idempotent-Replayed: true``; the
same key with other parameters answers 400 ``idempotency_error``; a retry while the first is
still running answers 409 ``idempotency_key_in_use``; a request refused by validation keeps
nothing.

Test payment methods, by Stripe's names where Stripe has one (``pm_card_visa``,
``pm_card_mastercard``, ``pm_card_chargeDeclinedInsufficientFunds``, ...). As in Stripe's test
mode, using one makes a new PaymentMethod (``pm_<random>``) that behaves the same. A few exist
only here, for what Stripe's test mode cannot stage:

- ``pm_card_timeoutOnce``: the first charge succeeds and is kept, then its answer hangs until
  the test ends (the client times out);
- ``pm_card_slowOnce``: the first charge captures, then the request keeps running (its key in
  use: a retry answers 409) until :attr:`StripeServer.released` is set;
- ``pm_card_serverErrorOnce``: the first charge succeeds and is kept, but answers 500 (which
  the key then replays);
- ``pm_card_serverErrorNothing``: the first charge answers 500 having done nothing;
- ``pm_card_processing``: the charge stays ``processing`` until :meth:`StripeServer.settle`;
- ``pm_card_chargeDeclinedDoNotHonor``: declined with ``do_not_honor``.

Simplification: every card attaches to a customer except the generic decline
(``pm_card_chargeDeclined``), which fails at attach as Stripe's card check would; the other
declining cards decline when charged.

Every successful capture is listed in :attr:`StripeServer.captures`, every request in
:attr:`StripeServer.requests`, and the events Stripe would send in :attr:`StripeServer.events`
(sign one with :func:`make_signature`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

API_KEY = "sk_test_local"
WEBHOOK_SECRET = "whsec_local_test_secret"

_CARDS: dict[str, dict[str, Any]] = {
    "visa": {"brand": "visa", "last4": "4242"},
    "mastercard": {"brand": "mastercard", "last4": "4444"},
    "amex": {"brand": "amex", "last4": "8431"},
    "jcb": {"brand": "jcb", "last4": "0000"},
    "chargeDeclined": {"brand": "visa", "last4": "0002", "attach_decline": "generic_decline"},
    "chargeDeclinedInsufficientFunds": {
        "brand": "visa",
        "last4": "9995",
        "decline": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    },
    "chargeDeclinedExpiredCard": {
        "brand": "visa",
        "last4": "0069",
        "decline": ("expired_card", None, "Your card has expired."),
    },
    "chargeDeclinedDoNotHonor": {
        "brand": "visa",
        "last4": "0036",
        "decline": ("card_declined", "do_not_honor", "Your card was declined."),
    },
    "chargeCustomerFail": {
        "brand": "visa",
        "last4": "0341",
        "decline": ("card_declined", "generic_decline", "Your card was declined."),
    },
    "authenticationRequired": {
        "brand": "visa",
        "last4": "3184",
        "decline": (
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
    },
    "timeoutOnce": {"brand": "visa", "last4": "4242", "trip": "hang"},
    "slowOnce": {"brand": "visa", "last4": "4242", "trip": "slow"},
    "serverErrorOnce": {"brand": "visa", "last4": "4242", "trip": "500_after"},
    "serverErrorNothing": {"brand": "visa", "last4": "4242", "trip": "500_before"},
    "processing": {"brand": "visa", "last4": "4242", "processing": True},
}
_ALIASES = {"visa_chargeDeclined": "chargeDeclined"}
_THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}


def make_signature(payload: bytes, secret: str, t: int) -> str:
    """A ``Stripe-Signature`` header: HMAC-SHA256 with the endpoint's secret over
    ``"{t}.{payload}"``, as Stripe signs its webhooks."""
    signed = f"{t}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class _Refusal(Exception):
    def __init__(self, status: int, error: dict[str, Any], *, keep: bool = False) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error
        self.keep = keep  # the endpoint ran: the key keeps this answer


class _Hang(Exception):
    def __init__(self, status: int, body: dict[str, Any], *, still_running: bool) -> None:
        self.status = status
        self.body = body
        self.still_running = still_running  # the key keeps the answer only once released


def _invalid(message: str, *, param: str | None = None, code: str | None = None) -> _Refusal:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    if code:
        error["code"] = code
    return _Refusal(400, error)


def _missing(kind: str, ident: str) -> _Refusal:
    return _Refusal(
        404,
        {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "param": "id",
            "message": f"No such {kind}: '{ident}'",
        },
    )


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding: ``a[b]=1`` is ``{"a": {"b": "1"}}``, ``a[0]=x`` a list."""
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, *rest = re.findall(r"[^\[\]]+|(?<=\[)(?=\])", key) or [key]
        node = tree
        path = [head, *rest]
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value

    def lists(node: Any) -> Any:
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [lists(node[k]) for k in sorted(node, key=int)]
            return {k: lists(v) for k, v in node.items()}
        return node

    return dict(lists(tree))


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int = 0


@dataclass
class _Kept:
    signature: tuple[str, str, str]
    status: int | None = None  # None: the first request is still running
    body: bytes = b""


@dataclass
class StripeServer:
    api_key: str = API_KEY
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    setup_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    captures: list[tuple[str, int, str]] = field(default_factory=list)  # (pi, amount, cur)
    requests: list[Recorded] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)  # hung answers go
    hung_answer_kept: threading.Event = field(default_factory=threading.Event)
    _kept: dict[str, _Kept] = field(default_factory=dict)
    _tripped: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None

    # Running

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_POST(self) -> None:
                server._serve(self, "POST")

            def do_DELETE(self) -> None:
                server._serve(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self.url

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def posts(self, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]

    def settle(self, intent_id: str, status: str) -> dict[str, Any]:
        """A ``processing`` PaymentIntent's bank answers: ``succeeded`` or ``failed``."""
        with self._lock:
            intent = self.payment_intents[intent_id]
            if status == "succeeded":
                self._capture(intent)
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "Your card has insufficient funds.",
                }
                self._event("payment_intent.payment_failed", intent)
            return intent

    # Serving

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        params = decode_form(parts.query if method == "GET" else body)
        key = handler.headers.get("Idempotency-Key")
        record = Recorded(method, parts.path, params, key)
        with self._lock:
            self.requests.append(record)
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided"}
            self._send(handler, record, 401, {"error": error})
            return
        kept: _Kept | None = None
        if method == "POST" and key:
            signature = (method, parts.path, body)
            with self._lock:
                kept = self._kept.get(key)
                if kept is None:
                    kept = self._kept[key] = _Kept(signature)
                elif kept.signature != signature:
                    error = {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with. Try using a key other "
                        f"than '{key}' if you meant to execute a different request.",
                    }
                    self._send(handler, record, 400, {"error": error})
                    return
                elif kept.status is None:
                    error = {
                        "type": "invalid_request_error",
                        "code": "idempotency_key_in_use",
                        "message": "There is currently another in-progress request using "
                        "this Idempotent Key (that probably means you submitted twice, and "
                        "the other request is still going through): please retry later.",
                    }
                    self._send(handler, record, 409, {"error": error})
                    return
                else:
                    self._send_raw(handler, record, kept.status, kept.body, replayed=True)
                    return
        hang: _Hang | None = None
        try:
            status, answer = 200, self._route(method, parts.path, params)
        except _Refusal as refusal:
            status, answer = refusal.status, {"error": refusal.error}
            if kept is not None and not refusal.keep and status != 500:
                with self._lock:
                    del self._kept[key or ""]
                kept = None
        except _Hang as hung:
            status, answer, hang = hung.status, hung.body, hung
        raw = json.dumps(answer).encode()
        if hang is not None and hang.still_running:
            self.released.wait(30)
        if kept is not None:
            with self._lock:
                kept.status, kept.body = status, raw
        if hang is not None:
            self.hung_answer_kept.set()
        if hang is not None and not hang.still_running:
            self.released.wait(30)
        self._send_raw(handler, record, status, raw)

    def _send(
        self, handler: BaseHTTPRequestHandler, record: Recorded, status: int, body: Any
    ) -> None:
        self._send_raw(handler, record, status, json.dumps(body).encode())

    def _send_raw(
        self,
        handler: BaseHTTPRequestHandler,
        record: Recorded,
        status: int,
        raw: bytes,
        *,
        replayed: bool = False,
    ) -> None:
        record.status = status
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            handler.send_header("Request-Id", "req_" + secrets.token_hex(7))
            if replayed:
                handler.send_header("Idempotent-Replayed", "true")
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a hung answer)

    def _route(self, method: str, path: str, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            segments = path.strip("/").split("/")
            match (method, segments):
                case ("POST", ["v1", "customers"]):
                    return self._create_customer(p)
                case ("POST", ["v1", "customers", ident]):
                    return self._update_customer(ident, p)
                case ("GET", ["v1", "customers", ident]):
                    return self._get(self.customers, "customer", ident)
                case ("POST", ["v1", "setup_intents"]):
                    return self._create_setup_intent(p)
                case ("GET", ["v1", "payment_methods", ident]):
                    return self._get(self.payment_methods, "payment_method", ident)
                case ("POST", ["v1", "payment_methods", ident, "attach"]):
                    return self._attach(ident, p)
                case ("POST", ["v1", "payment_methods", ident, "detach"]):
                    return self._detach(ident)
                case ("POST", ["v1", "payment_intents"]):
                    return self._create_intent(p)
                case ("GET", ["v1", "payment_intents"]):
                    return self._list(self.payment_intents, "customer", p)
                case ("GET", ["v1", "payment_intents", ident]):
                    return self._get(self.payment_intents, "payment_intent", ident)
                case ("POST", ["v1", "refunds"]):
                    return self._create_refund(p)
                case ("GET", ["v1", "refunds"]):
                    return self._list(self.refunds, "payment_intent", p)
                case ("GET", ["v1", "refunds", ident]):
                    return self._get(self.refunds, "refund", ident)
        raise _Refusal(
            404,
            {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL ({method}: {path}).",
            },
        )

    # Objects

    @staticmethod
    def _new_id(prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    def _get(self, store: dict[str, dict[str, Any]], kind: str, ident: str) -> dict[str, Any]:
        if ident not in store:
            raise _missing(kind, ident)
        return store[ident]

    def _list(self, store: dict[str, dict[str, Any]], by: str, p: dict[str, Any]) -> dict[str, Any]:
        found = [o for o in reversed(store.values()) if by not in p or o.get(by) == p[by]]
        limit = int(p.get("limit", 10))
        return {
            "object": "list",
            "url": "/v1/" + ("refunds" if by == "payment_intent" else "payment_intents"),
            "has_more": len(found) > limit,
            "data": found[:limit],
        }

    def _create_customer(self, p: dict[str, Any]) -> dict[str, Any]:
        customer = {
            "id": self._new_id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "email": p.get("email"),
            "name": p.get("name"),
            "metadata": p.get("metadata", {}),
            "livemode": False,
            "invoice_settings": {"default_payment_method": None},
        }
        self.customers[customer["id"]] = customer
        return customer

    def _update_customer(self, ident: str, p: dict[str, Any]) -> dict[str, Any]:
        customer = self._get(self.customers, "customer", ident)
        for name in ("email", "name"):
            if name in p:
                customer[name] = p[name]
        customer["metadata"] = {**customer["metadata"], **p.get("metadata", {})}
        return customer

    def _create_setup_intent(self, p: dict[str, Any]) -> dict[str, Any]:
        if "customer" in p:
            self._get(self.customers, "customer", p["customer"])
        ident = self._new_id("seti")
        intent = {
            "id": ident,
            "object": "setup_intent",
            "client_secret": f"{ident}_secret_{secrets.token_hex(12)}",
            "customer": p.get("customer"),
            "usage": p.get("usage", "off_session"),
            "status": "requires_payment_method",
            "payment_method": None,
            "allowed_payment_method_types": p.get("allowed_payment_method_types", ["card"]),
            "livemode": False,
        }
        self.setup_intents[ident] = intent
        return intent

    def _method(self, ident: str, param: str = "payment_method") -> dict[str, Any]:
        """A stored PaymentMethod, or a new one made from a test name (pm_card_visa)."""
        if ident in self.payment_methods:
            return self.payment_methods[ident]
        name = ident.removeprefix("pm_card_")
        behaviour = _CARDS.get(_ALIASES.get(name, name))
        if not ident.startswith("pm_card_") or behaviour is None:
            raise _invalid(
                f"No such PaymentMethod: '{ident}'", param=param, code="resource_missing"
            )
        method: dict[str, Any] = {
            "id": self._new_id("pm"),
            "object": "payment_method",
            "type": "card",
            "created": int(time.time()),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "billing_details": {"email": None, "name": None},
            "card": {
                "brand": behaviour["brand"],
                "last4": behaviour["last4"],
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "country": "US",
            },
            "_behaviour": _ALIASES.get(name, name),
        }
        self.payment_methods[method["id"]] = method
        return method

    @staticmethod
    def _public(method: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in method.items() if not k.startswith("_")}

    def _attach(self, ident: str, p: dict[str, Any]) -> dict[str, Any]:
        if "customer" not in p:
            raise _invalid("Missing required param: customer.", param="customer")
        self._get(self.customers, "customer", p["customer"])
        method = self._method(ident, "payment_method")
        decline = _CARDS[method["_behaviour"]].get("attach_decline")
        if decline:
            raise _Refusal(
                402,
                {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": decline,
                    "message": "Your card was declined.",
                    "param": "",
                },
                keep=True,
            )
        if method["customer"] not in (None, p["customer"]):
            raise _invalid(
                "The payment method you provided has already been attached to a customer.",
                param="payment_method",
            )
        method["customer"] = p["customer"]
        return self._public(method)

    def _detach(self, ident: str) -> dict[str, Any]:
        method = self.payment_methods.get(ident)
        if method is None:
            raise _missing("payment_method", ident)
        if method["customer"] is None:
            raise _invalid(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                param="payment_method",
            )
        method["customer"] = None
        return self._public(method)

    @staticmethod
    def _amount(p: dict[str, Any], *, required: bool = True) -> int | None:
        raw = p.get("amount")
        if raw is None:
            if required:
                raise _invalid("Missing required param: amount.", param="amount")
            return None
        if not re.fullmatch(r"\d+", raw) or int(raw) < 1:
            raise _invalid("This value must be greater than or equal to 1.", param="amount")
        return int(raw)

    @staticmethod
    def _check_currency_amount(amount: int, currency: str) -> None:
        if currency in _THREE_DECIMAL and amount % 10:
            raise _invalid(
                f"Invalid amount: {currency.upper()} amounts must end in 0 (round them to the "
                "nearest ten).",
                param="amount",
            )
        if currency == "isk" and amount % 100:
            raise _invalid(
                "Invalid amount. Currency ISK has become effectively zero-decimal and charged "
                "amounts must be evenly divisible by 100.",
                param="amount",
                code="invalid_charge_amount_no_decimal_compatible",
            )

    def _create_intent(self, p: dict[str, Any]) -> dict[str, Any]:
        amount = self._amount(p)
        assert amount is not None
        currency = p.get("currency", "")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _invalid(
                f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                "usd, eur, jpy, kwd, ...",
                param="currency",
            )
        self._check_currency_amount(amount, currency)
        customer = p.get("customer")
        if customer is not None:
            self._get(self.customers, "customer", customer)
        if "payment_method" not in p:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                param="payment_method",
            )
        method = self._method(p["payment_method"])
        if method["customer"] is not None and method["customer"] != customer:
            raise _invalid(
                "The provided PaymentMethod belongs to a different Customer (or to one you did "
                "not give): pass the Customer it is attached to.",
                param="payment_method",
            )
        behaviour = _CARDS[method["_behaviour"]]
        trip = behaviour.get("trip")
        first_trip = trip is not None and method["_behaviour"] not in self._tripped
        if first_trip:
            self._tripped.add(method["_behaviour"])
        if first_trip and trip == "500_before":
            raise _Refusal(500, {"type": "api_error", "message": "An unknown error occurred"})
        intent: dict[str, Any] = {
            "id": self._new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "customer": customer,
            "payment_method": method["id"],
            "description": p.get("description"),
            "metadata": p.get("metadata", {}),
            "confirmation_method": "automatic",
            "capture_method": "automatic",
            "created": int(time.time()),
            "latest_charge": None,
            "last_payment_error": None,
            "livemode": False,
            "status": "requires_confirmation",
        }
        self.payment_intents[intent["id"]] = intent
        if p.get("confirm") != "true":
            return intent
        decline = behaviour.get("decline")
        if decline is not None:
            code, decline_code, message = decline
            error: dict[str, Any] = {"type": "card_error", "code": code, "message": message}
            if decline_code:
                error["decline_code"] = decline_code
            error["charge"] = self._new_id("ch")
            intent["status"] = "requires_payment_method"
            intent["latest_charge"] = error["charge"]
            intent["last_payment_error"] = dict(error)
            self._event("payment_intent.payment_failed", intent)
            raise _Refusal(402, {**error, "payment_intent": intent}, keep=True)
        if behaviour.get("processing"):
            intent["status"] = "processing"
            self._event("payment_intent.processing", intent)
            return dict(intent)
        self._capture(intent)
        if first_trip and trip == "500_after":
            raise _Refusal(500, {"type": "api_error", "message": "An unknown error occurred"})
        if first_trip and trip in ("hang", "slow"):
            raise _Hang(200, dict(intent), still_running=trip == "slow")
        return intent

    def _capture(self, intent: dict[str, Any]) -> None:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        intent["latest_charge"] = intent["latest_charge"] or self._new_id("ch")
        intent["last_payment_error"] = None
        self.captures.append((intent["id"], intent["amount"], intent["currency"]))
        self._event("payment_intent.succeeded", intent)

    def _create_refund(self, p: dict[str, Any]) -> dict[str, Any]:
        ident = p.get("payment_intent")
        if ident is None:
            raise _invalid("Missing required param: payment_intent.", param="payment_intent")
        intent = self._get(self.payment_intents, "payment_intent", ident)
        if intent["status"] != "succeeded":
            raise _invalid(
                f"This PaymentIntent ({ident}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        refunded = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == ident and r["status"] in ("succeeded", "pending")
        )
        left = intent["amount_received"] - refunded
        amount = self._amount(p, required=False)
        amount = left if amount is None else amount
        if left == 0:
            raise _invalid(
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount > left:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
            )
        self._check_currency_amount(amount, intent["currency"])
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": ident,
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "reason": p.get("reason"),
            "metadata": p.get("metadata", {}),
            "created": int(time.time()),
            "failure_reason": None,
        }
        self.refunds[refund["id"]] = refund
        self._event("refund.created", refund)
        return refund

    def _event(self, kind: str, obj: dict[str, Any]) -> None:
        self.events.append(
            {
                "id": self._new_id("evt"),
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": int(time.time()),
                "type": kind,
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "data": {"object": json.loads(json.dumps(self._public(obj)))},
            }
        )

    def events_of(self, kind: str) -> Iterator[dict[str, Any]]:
        return (e for e in self.events if e["type"] == kind)


def signed(event: dict[str, Any], secret: str, t: int) -> tuple[bytes, str]:
    """An event as Stripe posts it: the JSON body and its ``Stripe-Signature`` header."""
    payload = json.dumps(event, indent=2).encode()
    return payload, make_signature(payload, secret, t)


def post_event(url: str, event: dict[str, Any], secret: str, t: int) -> int:
    """Post an event to a webhook endpoint as Stripe does (JSON body, ``Stripe-Signature``);
    the endpoint's HTTP status."""
    payload, header = signed(event, secret, t)
    request = Request(
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    try:
        with urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except HTTPError as refused:
        return refused.code
