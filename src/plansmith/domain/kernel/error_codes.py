"""Every public error code, declared once: its HTTP status and what it means.

A code is part of the contract with API clients, the CLI's scripts and the pages, so it lives
here and nowhere else: raise sites name an entry (`code=ec.NOT_FOUND`), never a string, and a
test scans the source for codes written inline. The error table of docs/api.md is generated
from this module (`python -m plansmith.entrypoints.api.error_table`).

Adding a code is one line: `NAME = _code("name", status, "what it means, for the client")`.
A code has one status wherever it is raised: the error's HTTP status is its code's status.
`api=False` marks codes only the CLI, the portal or the console give; they are documented apart.
"""

from __future__ import annotations

from typing import Final


class ErrorCode(str):
    """A stable machine code. It is its text (compares, hashes and serialises as the string),
    and carries its HTTP status and meaning."""

    status: int
    meaning: str
    api: bool

    def __new__(cls, name: str, status: int, meaning: str, *, api: bool = True) -> ErrorCode:
        code = super().__new__(cls, name)
        code.status = status
        code.meaning = meaning
        code.api = api
        return code

    def __reduce__(self) -> tuple[object, ...]:
        return (lookup, (str(self),))


REGISTRY: Final[dict[str, ErrorCode]] = {}


def _code(name: str, status: int, meaning: str, *, api: bool = True) -> ErrorCode:
    if name in REGISTRY:
        raise ValueError(f"error code {name!r} is declared twice")
    REGISTRY[name] = ErrorCode(name, status, meaning, api=api)
    return REGISTRY[name]


def lookup(name: str) -> ErrorCode:
    """The registered code of this name; KeyError for a code nobody declared."""
    return REGISTRY[name]


# 400
INVALID_IDEMPOTENCY_KEY = _code("invalid_idempotency_key", 400, "`Idempotency-Key` empty or longer than 255 characters")
HTTP_ERROR = _code("http_error", 400, "the request cannot be read (e.g. a body that is not UTF-8 JSON text)")
WEBHOOK_SIGNATURE_INVALID = _code("webhook_signature_invalid", 400, "a payment gateway's webhook whose signature is missing, forged or older than the tolerance (five minutes for Stripe): it was not acted on")
# 401
UNAUTHORIZED = _code("unauthorized", 401, "missing, unknown or revoked API key")
LINK_EXPIRED = _code("link_expired", 401, "a portal link or signed token is expired or forged", api=False)
NO_SESSION = _code("no_session", 401, "no portal or console session; sign in again", api=False)
SESSION_ENDED = _code("session_ended", 401, "the browser session was signed out or ended on the server", api=False)
SESSION_EXPIRED = _code("session_expired", 401, "the browser session is past its lifetime; sign in again", api=False)
LINK_USED = _code("link_used", 401, "a portal link opens the portal once; ask for a new one", api=False)
# 402
PAYMENT_DECLINED = _code("payment_declined", 402, "the card was declined; `detail` gives the decline code and names the failed payment, which is kept in the history")
# 403
CSRF_REJECTED = _code("csrf_rejected", 403, "a form without a valid CSRF token", api=False)
# 404
NOT_FOUND = _code("not_found", 404, "no such object in your organization (`field` says which id or code), or no such route")
ACCOUNT_NOT_FOUND = _code("account_not_found", 404, "a usage event names an account (`account_id` or `external_id`) your organization does not have")
# 405
METHOD_NOT_ALLOWED = _code("method_not_allowed", 405, "the route exists, the method does not")
# 409
CONFLICT = _code("conflict", 409, "the request clashes with the current state (`detail` says how)")
CONCURRENT_CHANGE = _code("concurrent_change", 409, "a simultaneous change won; fetch the current state and retry")
IDEMPOTENCY_KEY_IN_USE = _code("idempotency_key_in_use", 409, "a request with this key is still running; retry after `Retry-After` seconds")
IDEMPOTENCY_KEY_LOST = _code("idempotency_key_lost", 409, "the request ran so long that a retry took its key over")
IDEMPOTENCY_RESPONSE_LOST = _code("idempotency_response_lost", 409, "the request with this key was done once, but its server stopped before storing the answer; read the result, do not send it again")
IDEMPOTENCY_RESPONSE_WITHHELD = _code("idempotency_response_withheld", 409, "the request with this key was done once; its answer held a secret, which is shown once and never stored: read the result with a GET")
API_KEY_REVOKED = _code("api_key_revoked", 409, "the key was revoked, or rolled and past its overlap: it no longer works")
API_KEY_ROLLED = _code("api_key_rolled", 409, "the key was rolled already (it works until its `expires_at`); revoke it to stop it sooner")
DUPLICATE = _code("duplicate", 409, "a usage event with this `id` was accepted for the account already; it counted once, this one not at all")
API_KEY_IN_USE = _code("api_key_in_use", 409, "a request may not revoke the key it is sent with; roll it, or revoke it with another key")
EXTERNAL_ID_TAKEN = _code("external_id_taken", 409, "another account of your organization has this `external_id`")
DUPLICATE_CODE = _code("duplicate_code", 409, "a family, plan, add-on, pack, coupon or meter of your organization has this `code`")
VERSION_IMMUTABLE = _code("version_immutable", 409, "a published version's terms or name cannot change; edit the plan")
NO_DRAFT = _code("no_draft", 409, "publish needs a draft; edit the plan first")
PLAN_ARCHIVED = _code("plan_archived", 409, "an archived plan cannot be edited, published or subscribed to")
NOT_PUBLISHED = _code("not_published", 409, "the plan has no current version yet")
PRICE_IN_USE = _code("price_in_use", 409, "subscribers pay this add-on price; keep it (archive the add-on instead)")
ALREADY_SUBSCRIBED = _code("already_subscribed", 409, "the account holds a plan of this family; change it instead")
TRIAL_USED = _code("trial_used", 409, "the account has had a trial in this family already")
SUBSCRIPTION_CONFLICT = _code("subscription_conflict", 409, "the subscription cannot take this change now")
INVALID_TRANSITION = _code("invalid_transition", 409, "the subscription's status does not allow it (`field: status`)")
TRIAL_EXPIRED = _code("trial_expired", 409, "the trial ended without converting; subscribe again")
CHANGE_NOT_ALLOWED_NOW = _code("change_not_allowed_now", 409, "the family's policy applies this change at term end (`field: when`)")
CYCLE_CHANGE_NOT_ALLOWED = _code("cycle_change_not_allowed", 409, "the family's policy does not let subscribers change cycle")
CANCEL_SCHEDULED = _code("cancel_scheduled", 409, "the subscription is canceled at term end; reactivate it first")
NOTHING_SCHEDULED = _code("nothing_scheduled", 409, "no change is scheduled")
NOT_CANCELED = _code("not_canceled", 409, "only a canceled subscription can be reactivated")
NOT_PAUSED = _code("not_paused", 409, "only a paused subscription can be resumed")
INVALID_INVOICE_TRANSITION = _code("invalid_invoice_transition", 409, "the invoice's status does not allow it (`field: status`)")
NOT_CREDITABLE = _code("not_creditable", 409, "only open or paid invoices take credit notes")
HAS_CREDIT_NOTES = _code("has_credit_notes", 409, "an invoice with credit notes cannot be voided; credit what is left")
ALREADY_REDEEMED = _code("already_redeemed", 409, "the subscription has this coupon already (`field: code`)")
INVOICE_EXISTS = _code("invoice_exists", 409, "the subscription is invoiced for that period already")
ALREADY_POSTED = _code("already_posted", 409, "this ledger posting was made already")
PAYMENT_IN_PROGRESS = _code("payment_in_progress", 409, "a payment of this invoice is being made; wait for its outcome and read the invoice again")
NOT_PAYABLE = _code("not_payable", 409, "the invoice owes nothing now (draft, paid or void); `field: invoice_id`")
NO_PAYMENT_METHOD = _code("no_payment_method", 409, "the account has no card; add one (`POST /v1/accounts/{account_id}/payment_methods`)")
BALANCE_TOO_LOW = _code("balance_too_low", 409, "the prepaid balance does not cover what is to pay now; pay by card or top up first", api=False)
NOT_REFUNDABLE = _code("not_refundable", 409, "only a paid invoice is refunded; credit an open one instead")
SANDBOX_LIMIT_REACHED = _code("sandbox_limit_reached", 409, "the organization has 50 live sandboxes, the most it may have; delete one (`DELETE /v1/sandboxes/{sandbox_id}`) first")
NOT_SANDBOX = _code("not_sandbox", 409, "the organization is live; only a sandbox's clock moves")
ORGANIZATION_EXISTS = _code("organization_exists", 409, "an organization has this name already", api=False)
# 422
INVALID_INPUT = _code("invalid_input", 422, "several fields are wrong: see `errors`")
REQUIRED = _code("required", 422, "a required field is missing or blank, or `null` in a PATCH for a field that must have a value")
UNKNOWN_FIELD = _code("unknown_field", 422, "a field the endpoint does not accept (e.g. `currency` on PATCH)")
INVALID_VALUE = _code("invalid_value", 422, "wrong type, malformed value, out-of-range number or `limit`")
TOO_LONG = _code("too_long", 422, "text longer than the field allows")
TOO_LARGE = _code("too_large", 422, "a number above its bound (see Limits), or an invoice past the largest")
INVALID_TEXT = _code("invalid_text", 422, "a string holds a NUL or a lone surrogate (see Text)")
UNKNOWN_CURRENCY = _code("unknown_currency", 422, "not an active ISO 4217 code; codes are exact (`usd` is refused)")
CURRENCY_MISMATCH = _code("currency_mismatch", 422, "not the currency of the account or subscription, or no amount in it")
TOO_MANY_DECIMALS = _code("too_many_decimals", 422, "a percentage with more than 4 decimal places, or an amount with more decimals than its currency")
INVALID_TIME_ZONE = _code("invalid_time_zone", 422, "not an IANA zone name (e.g. `Europe/Berlin`)")
INVALID_LOCALE = _code("invalid_locale", 422, "not a known locale (e.g. `en_US`, `ja_JP`)")
INVALID_COUNTRY = _code("invalid_country", 422, "not an ISO 3166-1 alpha-2 code (e.g. `JP`)")
INVALID_CURSOR = _code("invalid_cursor", 422, "a `cursor` this API did not return")
IDEMPOTENCY_KEY_REUSED = _code("idempotency_key_reused", 422, "this key was used with a different request")
UNKNOWN_REFERENCE = _code("unknown_reference", 422, "the body names a code (add-on, plan) that does not exist in your catalog")
ADDRESS_NOT_ON_ACCOUNT = _code("address_not_on_account", 422, "the address belongs to another account")
INVALID_CODE = _code("invalid_code", 422, "not 1-63 of `a-z 0-9 _ . -`")
NEGATIVE = _code("negative", 422, "a negative price or amount")
DUPLICATE_PRICE = _code("duplicate_price", 422, "two prices for one currency and cycle")
DUPLICATE_CHARGE = _code("duplicate_charge", 422, "two usage charges for one meter and currency")
DUPLICATE_DISCOUNT = _code("duplicate_discount", 422, "two discounts for one cycle")
CYCLE_NAME = _code("cycle_name", 422, "a cycle written by another name than its canonical one (`year`, not `annual`)")
SEATS_RANGE = _code("seats_range", 422, "`min_seats` is more than `max_seats`")
DISCOUNT_RANGE = _code("discount_range", 422, "a discount outside 0 to 100 % (above 0 for a coupon)")
FLAT_WITH_SEATS = _code("flat_with_seats", 422, "seat limits on a `flat` plan")
SEATS_OUT_OF_RANGE = _code("seats_out_of_range", 422, "a `quantity` outside the plan's seats")
PRICE_NOT_OFFERED = _code("price_not_offered", 422, "no price for this `currency` or `cycle`")
NOT_OFFERED = _code("not_offered", 422, "the plan is not offered on this `channel`")
ARCHIVED = _code("archived", 422, "the add-on (or catalog entry) is archived; no longer sold")
NOT_FITTING = _code("not_fitting", 422, "the add-on does not fit this plan or family")
WRONG_FAMILY = _code("wrong_family", 422, "the plan is in another family than the subscription")
NO_CHANGE = _code("no_change", 422, "the change asks for what the subscription holds already")
NO_TRIAL = _code("no_trial", 422, "a trial asked for on a plan without one")
TOP_UP_OUT_OF_RANGE = _code("top_up_out_of_range", 422, "a top-up of 0 or less, or above 1,000,000 major units of its currency")
REFUND_TOO_LARGE = _code("refund_too_large", 422, "`amount` is more than what is left to refund of the invoice; `detail` says how much is")
CREDIT_TOO_LARGE = _code("credit_too_large", 422, "`amount` is more than what is left to credit; `detail` says how much is")
DUPLICATE_ENTRY = _code("duplicate_entry", 422, "a catalog file names one code twice in a section", api=False)
FAMILY_FIXED = _code("family_fixed", 422, "a catalog file moves a plan to another family", api=False)
CARD_NUMBER_INVALID = _code("card_number_invalid", 422, "a card number that is not one: not 12-19 digits, a wrong check digit (Luhn), or of no accepted brand")
CARD_EXPIRED = _code("card_expired", 422, "the card's expiry month is over (a card is good through the last day of that month)")
CARD_CVC_INVALID = _code("card_cvc_invalid", 422, "the security code is not 3 digits (4 on American Express)")
UNKNOWN_CODE = _code("unknown_code", 422, "no meter of your organization reads a usage event's `code`; create the meter first")
PERIOD_CLOSED = _code("period_closed", 422, "the usage event's billing period ended longer ago than the organization's grace window; it is counted nowhere")
BEFORE_SUBSCRIPTION = _code("before_subscription", 422, "the usage event's local date is before the account's first subscription started")
NO_SUBSCRIPTION = _code("no_subscription", 422, "the account of a usage event has no subscription, so no billing period to count it in")
PROPERTY_MISSING = _code("property_missing", 422, "a meter reading the usage event's code reads a property the event lacks (`field` names it)")
PROPERTY_NOT_NUMERIC = _code("property_not_numeric", 422, "a sum or max meter's property is not a number of at most six decimals, below 10^12 (`field` names it)")
PROPERTY_NEGATIVE = _code("property_negative", 422, "a sum or max meter's property is negative (`field` names it)")
BATCH_TOO_LARGE = _code("batch_too_large", 422, "a batch of more than 1,000 usage events; nothing of it was counted")
LIMIT_EXCEEDED = _code("limit_exceeded", 422, "the event's units do not fit in what is left of a hard-limited allowance this period; buy an extra pack (`POST /v1/subscriptions/{subscription_id}/packs`)")
INVALID_URL = _code("invalid_url", 422, "a webhook endpoint `url` that is not an http(s) URL with a host (https unless private addresses are allowed)")
URL_REFUSED = _code("url_refused", 422, "a webhook endpoint `url` whose host is or resolves to a loopback, private, link-local or metadata address")
# 429
TOO_MANY_ATTEMPTS = _code("too_many_attempts", 429, "too many failed sign-in attempts; wait the seconds in `Retry-After`", api=False)
# 500
INTERNAL_ERROR = _code("internal_error", 500, "an unexpected failure on our side; retry later, report it if it stays")
LEDGER_UNBALANCED = _code("ledger_unbalanced", 500, "a bug: a ledger transaction did not balance; nothing was written")
