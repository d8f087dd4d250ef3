"""How the console's payment screens word payments, dunning and collection, in the page's
language: one word per payment state and kind, per overdue state, per dunning choice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.domain.payments.dunning import AfterLast, InvoiceAfterLast, Spacing, StageAction
from plansmith.domain.payments.payments import PaymentKind, PaymentMethod, PaymentStatus
from plansmith.entrypoints.webui.i18n import N_, page_language, translate

PAYMENT_STATES = {
    PaymentStatus.PENDING: N_("Pending"),
    PaymentStatus.SUCCEEDED: N_("Succeeded"),
    PaymentStatus.FAILED: N_("Failed"),
    PaymentStatus.UNKNOWN: N_("Outcome unknown"),
}
PAYMENT_KINDS = {
    PaymentKind.PAYMENT: N_("Invoice payment"),
    PaymentKind.TOP_UP: N_("Top-up"),
    PaymentKind.REFUND: N_("Refund"),
}
OVERDUE_STATES = {
    "": N_("In dunning"),
    "warning": N_("Warning"),
    "blocked": N_("Blocked"),
}
COLLECTION_METHODS = {
    "charge_automatically": N_("Charge the card automatically"),
    "send_invoice": N_("Send the invoice (pay within net days)"),
}
SPACINGS = {
    Spacing.OFFSETS: N_("Days after the first failure"),
    Spacing.GAPS: N_("Days after the attempt before"),
}
STAGE_ACTIONS = {
    StageAction.NOTIFY: N_("Warn (overdue: warning)"),
    StageAction.RESTRICT: N_("Restrict features (overdue: blocked)"),
    StageAction.CANCEL_NOW: N_("Cancel the subscription now"),
    StageAction.CANCEL_AT_TERM_END: N_("Cancel at the end of the term"),
}
AFTER_LAST = {
    AfterLast.CANCELED: N_("Cancel the subscription"),
    AfterLast.CANCEL_AT_TERM_END: N_("Cancel at the end of the term"),
    AfterLast.PAST_DUE: N_("Leave it past due"),
}
INVOICE_AFTER_LAST = {
    InvoiceAfterLast.UNCOLLECTIBLE: N_("Mark it uncollectible"),
    InvoiceAfterLast.OPEN: N_("Leave it open"),
}
BALANCE = N_("Balance")
NO_CARD = N_("no card")


def word(table: Mapping[Any, str], key: str, language: str) -> str:
    """A code's word from ``table`` (keyed by str enums, which equal their values)."""
    found = table.get(key)
    return translate(language, found) if found is not None else key


@pass_context
def payment_state(context: Context, status: str) -> str:
    return word(PAYMENT_STATES, status, page_language(context))


@pass_context
def payment_kind(context: Context, kind: str) -> str:
    return word(PAYMENT_KINDS, kind, page_language(context))


@pass_context
def overdue_word(context: Context, state: str) -> str:
    return word(OVERDUE_STATES, state, page_language(context))


@pass_context
def card_text(context: Context, card: PaymentMethod | None) -> str:
    """A card as people read it: "Visa •••• 4242, 12/2030"; the balance when there is none."""
    if card is None:
        return translate(page_language(context), BALANCE)
    return f"{card.brand.capitalize()} •••• {card.last4}, {card.exp_month:02d}/{card.exp_year}"


def choices(table: Mapping[Any, str], language: str) -> list[tuple[str, str]]:
    """(value, label) of a form's select, in the table's order."""
    return [(str(value), translate(language, label)) for value, label in table.items()]


GLOBALS = {
    "payment_state": payment_state,
    "payment_kind": payment_kind,
    "overdue_word": overdue_word,
    "card_text": card_text,
}
