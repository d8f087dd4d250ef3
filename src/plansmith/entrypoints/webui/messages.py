"""A use case's refusal on a page, in the page's language.

Domain errors carry a stable code and the field they concern; their own message is English
and names fields by their keys ("min_seats is more than max_seats"). A page never shows that
text in another language: it says the error by its code, naming the field by its label
("Minimum seats: this value is not allowed."), from the catalog below. English pages keep the
rule's own sentence, which is the most precise. The API keeps its English problem+json.
"""

from __future__ import annotations

import re

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.application.kernel.errors import Refusal
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput
from plansmith.entrypoints.webui.i18n import DEFAULT, N_, page_language, translate

# Field keys (the last meaningful part of an error's field path) and their labels.
FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "code": N_("Code"),
    "email": N_("Email"),
    "password": N_("Password"),
    "amount": N_("Amount"),
    "amounts": N_("Amount"),
    "base_prices": N_("Price"),
    "prices": N_("Price"),
    "new_price": N_("Price"),
    "base_price": N_("Price"),
    "currency": N_("Currency"),
    "new_currency": N_("Currency"),
    "cycle": N_("Billing cycle"),
    "cycle_discounts": N_("Discount"),
    "discount": N_("Discount"),
    "percent": N_("Discount"),
    "quantity": N_("Quantity"),
    "min_seats": N_("Minimum seats"),
    "max_seats": N_("Maximum seats"),
    "trial_days": N_("Trial days"),
    "allowances": N_("Allowances"),
    "features": N_("Features"),
    "description": N_("Description"),
    "plan": N_("Plan"),
    "plan_id": N_("Plan"),
    "family": N_("Plan family"),
    "family_id": N_("Plan family"),
    "status": N_("Status"),
    "time_zone": N_("Time zone"),
    "locale": N_("Locale"),
    "country": N_("Country"),
    "region": N_("Region"),
    "city": N_("City"),
    "postal_code": N_("Postal code"),
    "line1": N_("Address line 1"),
    "line2": N_("Address line 2"),
    "lines": N_("Address"),
    "seller_name": N_("Seller name"),
    "seller_address": N_("Seller address"),
    "tax_id": N_("Tax ID"),
    "logo": N_("Logo"),
    "kind": N_("Kind"),
    "expires_in": N_("Expires in"),
    "legacy_name": N_("Name of the old version"),
    "apply_to_existing": N_("Existing subscribers"),
    "when": N_("When"),
    "month": N_("Month"),
    "search": N_("Search"),
    "revision": N_("Revision"),
    "exp_month": N_("Expiry month"),
    "exp_year": N_("Expiry year"),
    "cvc": N_("Security code (CVC)"),
    "payment_method_id": N_("Card"),
}

# One sentence per code that names the field; used when the field has a label.
FIELD_SENTENCES: dict[str, str] = {
    ec.REQUIRED: N_("%(field)s: please fill this in."),
    ec.INVALID_VALUE: N_("%(field)s: this value is not allowed."),
    ec.TOO_LONG: N_("%(field)s: this text is too long."),
    ec.TOO_LARGE: N_("%(field)s: this number is too large."),
    ec.INVALID_TEXT: N_("%(field)s: this text holds characters that cannot be stored."),
    ec.NEGATIVE: N_("%(field)s: this cannot be negative."),
    ec.TOO_MANY_DECIMALS: N_("%(field)s: this has too many decimal places."),
    ec.INVALID_CODE: N_(
        "%(field)s: use 1 to 63 lowercase letters, digits, dots, dashes or underscores."
    ),
    ec.UNKNOWN_CURRENCY: N_("%(field)s: this is not a known currency code (e.g. USD)."),
    ec.UNKNOWN_FIELD: N_("%(field)s cannot be changed here."),
}

# One sentence per code whatever the field.
SENTENCES: dict[str, str] = {
    ec.INVALID_VALUE: N_("This value is not allowed."),
    ec.REQUIRED: N_("Please fill in every required field."),
    ec.TOO_LONG: N_("A text is longer than allowed."),
    ec.TOO_LARGE: N_("A number is larger than allowed."),
    ec.INVALID_INPUT: N_("Some fields are not right; please check them."),
    ec.INVALID_TIME_ZONE: N_("This is not a known time zone (e.g. Europe/Berlin)."),
    ec.INVALID_LOCALE: N_("This is not a known locale (e.g. en_US, ja_JP)."),
    ec.INVALID_COUNTRY: N_("Choose a country from the list."),
    ec.CURRENCY_MISMATCH: N_("This currency does not match the account's currency."),
    ec.UNKNOWN_CURRENCY: N_("This is not a known currency code (e.g. USD)."),
    ec.DUPLICATE_PRICE: N_("There are two prices for the same currency and cycle."),
    ec.DUPLICATE_DISCOUNT: N_("There are two discounts for the same cycle."),
    ec.SEATS_RANGE: N_("The minimum seats must not be more than the maximum seats."),
    ec.DISCOUNT_RANGE: N_("A discount must be between 0 and 100 percent."),
    ec.FLAT_WITH_SEATS: N_("A flat-priced plan has no seat limits."),
    ec.SEATS_OUT_OF_RANGE: N_("This quantity is outside the seats the plan allows."),
    ec.PRICE_NOT_OFFERED: N_("The plan has no price for this currency or billing cycle."),
    ec.NOT_OFFERED: N_("This plan is not offered here."),
    ec.ARCHIVED: N_("This is archived and no longer sold."),
    ec.NOT_FITTING: N_("This add-on does not fit this plan."),
    ec.WRONG_FAMILY: N_("This plan belongs to another plan family."),
    ec.NO_CHANGE: N_("This is what the subscription has already."),
    ec.NO_TRIAL: N_("This plan has no trial."),
    ec.CREDIT_TOO_LARGE: N_("The amount is more than what is left to credit."),
    ec.UNKNOWN_REFERENCE: N_("This names something that is not in the catalog."),
    ec.CONFLICT: N_("This cannot be done in the current state."),
    ec.CONCURRENT_CHANGE: N_(
        "Someone changed this at the same time. Reload the page and try again."
    ),
    ec.DUPLICATE_CODE: N_("This code is used already; choose another."),
    ec.EXTERNAL_ID_TAKEN: N_("Another customer has this external ID."),
    ec.VERSION_IMMUTABLE: N_("A published version cannot change; edit the plan instead."),
    ec.NO_DRAFT: N_("There is no draft to publish; edit the plan first."),
    ec.PLAN_ARCHIVED: N_("This plan is archived: it cannot be edited, published or chosen."),
    ec.NOT_PUBLISHED: N_("This plan has no published version yet."),
    ec.PRICE_IN_USE: N_("Subscribers pay this price; archive the add-on instead."),
    ec.ALREADY_SUBSCRIBED: N_("The customer has a plan of this family already; change it instead."),
    ec.TRIAL_USED: N_("The customer has had a trial of this plan family already."),
    ec.SUBSCRIPTION_CONFLICT: N_("The subscription cannot take this change now."),
    ec.INVALID_TRANSITION: N_("The subscription's status does not allow this."),
    ec.TRIAL_EXPIRED: N_("The trial has ended; subscribe again."),
    ec.CHANGE_NOT_ALLOWED_NOW: N_("This change can only happen at the end of the term."),
    ec.CYCLE_CHANGE_NOT_ALLOWED: N_("The billing cycle of this plan cannot be changed."),
    ec.CANCEL_SCHEDULED: N_("The plan ends at the end of the term; keep it first."),
    ec.NOTHING_SCHEDULED: N_("No change is scheduled."),
    ec.NOT_CANCELED: N_("Only a canceled plan can be kept."),
    ec.NOT_PAUSED: N_("Only a paused plan can be resumed."),
    ec.INVALID_INVOICE_TRANSITION: N_("The invoice's status does not allow this."),
    ec.NOT_CREDITABLE: N_("Only open or paid invoices can be credited."),
    ec.HAS_CREDIT_NOTES: N_("An invoice with credit notes cannot be voided."),
    ec.ALREADY_REDEEMED: N_("This coupon is used on the subscription already."),
    ec.INVOICE_EXISTS: N_("This period is invoiced already."),
    ec.NOT_SANDBOX: N_("This is a live organization; only a sandbox's clock can move."),
    ec.ORGANIZATION_EXISTS: N_("An organization has this name already."),
    ec.API_KEY_REVOKED: N_("This key was revoked and no longer works."),
    ec.API_KEY_ROLLED: N_("This key was rolled already; revoke it to stop it sooner."),
    ec.API_KEY_IN_USE: N_("A key cannot revoke itself."),
    ec.CSRF_REJECTED: N_("The form expired. Go back, reload the page and try again."),
    ec.TOO_MANY_ATTEMPTS: N_("Too many failed attempts. Wait a moment and try again."),
    ec.CARD_NUMBER_INVALID: N_("This card number is not valid; check it for a mistyped digit."),
    ec.CARD_EXPIRED: N_("This card has expired; use a card that is still valid."),
    ec.CARD_CVC_INVALID: N_("The security code (CVC) is 3 digits (4 on American Express)."),
    ec.TOP_UP_OUT_OF_RANGE: N_("A top-up is more than 0 and at most 1,000,000 of the currency."),
    ec.NO_PAYMENT_METHOD: N_("Add a card first."),
    ec.NOT_PAYABLE: N_("This invoice owes nothing; there is nothing to pay."),
    ec.PAYMENT_IN_PROGRESS: N_("A payment of this invoice is being made; wait for its outcome."),
}

# When a code has no sentence of its own: a generic one by its status.
BY_STATUS: dict[int, str] = {
    409: N_("This cannot be done in the current state."),
    422: N_("This value is not allowed."),
}
SOMETHING_WRONG = N_("Something went wrong. Please try again.")

_INDEX = re.compile(r"\[[0-9]+\]")


def field_label(field: str | None) -> str | None:
    """The label of an error's field ("plans[2].terms.min_seats" -> "Minimum seats"), found
    from the last part of its path that has one; None when no part has."""
    if not field:
        return None
    parts = [p for p in _INDEX.sub("", field).split(".") if p]
    for part in reversed(parts):
        label = FIELD_LABELS.get(part)
        if label is not None:
            return label
    return None


def explain(error: DomainError, language: str = DEFAULT) -> str:
    """What a page says about ``error``: the rule's own sentence on English pages, else the
    catalog's sentence for its code, naming the field by its label in ``language``."""
    if language == DEFAULT:
        return error.message
    if isinstance(error, InvalidInput):
        return " ".join(dict.fromkeys(explain(part, language) for part in error.errors))
    label = field_label(error.field)
    sentence = FIELD_SENTENCES.get(error.code) if label is not None else None
    if sentence is not None and label is not None:
        return translate(language, sentence) % {"field": translate(language, label)}
    fixed = SENTENCES.get(error.code) or BY_STATUS.get(error.status, SOMETHING_WRONG)
    return translate(language, fixed)


def refusal(error: DomainError) -> Refusal:
    """The error's English sentence, keeping the error to say it again in another language."""
    return Refusal(error.message, error)


def by_field(error: DomainError) -> dict[str, Refusal]:
    """A refusal's parts by the field they name ("" for none), first one per field."""
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    found: dict[str, Refusal] = {}
    for part in parts:
        found.setdefault(part.field or "", refusal(part))
    return found


def shown(message: object, language: str = DEFAULT) -> str:
    """A message kept as text, in ``language``: a refusal (or the error itself) said again by
    its code; any other text is the page's own (already translated, or an English page's)."""
    if language == DEFAULT and isinstance(message, str):
        return str(message)  # an English page: the refusal as the screen worded it
    if isinstance(message, Refusal):
        return explain(message.error, language)
    if isinstance(message, DomainError):
        return explain(message, language)
    return str(message)


@pass_context
def _finalize(context: Context, value: object) -> object:
    """Every ``{{ value }}`` of a page: a refusal or an error is said in the page's language."""
    if isinstance(value, (Refusal, DomainError)):
        return shown(value, page_language(context))
    return value


def install(templates: Jinja2Templates) -> None:
    """Make an area's templates say any refusal they print (``{{ error }}``) in the page's
    language; install before the first template is loaded (it is compiled in)."""
    templates.env.finalize = _finalize
