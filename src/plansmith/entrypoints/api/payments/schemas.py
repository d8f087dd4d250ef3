"""Request and response bodies of the payments API: cards, payments (charges, top-ups,
refunds), the prepaid balance, collections in dunning and the payment settings.

Amounts are integers of minor units of the payment's ``currency``, as everywhere in the API.
A card is shown by what may be shown of it (brand, last 4 digits, expiry): never its number,
and never the sandbox's token; a Stripe card shows its payment method id (``pm_...``), which
finds it in Stripe's dashboard.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool, StrictInt

from plansmith.application.payments.ports import Collection
from plansmith.application.payments.queries import BalanceMovement
from plansmith.application.payments.settings import MAX_NET_DAYS
from plansmith.domain.kernel.limits import MAX_INVOICE_AMOUNT
from plansmith.domain.payments.dunning import (
    MAX_RETRY_DAY,
    MAX_STAGE_DAY,
    AfterLast,
    DunningPolicy,
    InvoiceAfterLast,
    Spacing,
    StageAction,
)
from plansmith.domain.payments.dunning_data import policy_to_dict
from plansmith.domain.payments.payments import Payment, PaymentMethod
from plansmith.entrypoints.api.invoicing.invoice_schemas import InvoiceOut
from plansmith.entrypoints.api.schemas import AtMost, OneOf, Patch, Strict

# Gateways whose own id of a card may be shown: it is no secret, and finds the card there.
SHOWN_TOKENS = frozenset({"stripe"})
MAX_EXP_YEAR = 9999


class CollectionMethod(StrEnum):
    """As application.payments.settings.METHODS: published in the document from here."""

    CHARGE_AUTOMATICALLY = "charge_automatically"
    SEND_INVOICE = "send_invoice"


# -- cards --------------------------------------------------------------------------------------


class CardBody(Strict):
    number: str = Field(description="The card number (sandbox test cards only)")
    exp_month: StrictInt = Field(ge=1, le=12, examples=[12])
    exp_year: StrictInt = Field(ge=1, le=MAX_EXP_YEAR, examples=[2030])
    cvc: str = Field(examples=["123"])


class PaymentMethodCreate(Strict):
    source: str | None = Field(
        default=None,
        description="A token the gateway gave the browser (Stripe: pm_...), or a documented "
        "sandbox test token; or send `card` instead",
        examples=["tok_visa"],
    )
    card: CardBody | None = Field(
        default=None,
        description="A card typed into plansmith's own form: tokenized by the sandbox gateway "
        "and forgotten, never stored",
    )
    make_default: StrictBool = Field(
        default=True, description="Charge this card from now on (the first card always is)"
    )


class PaymentOut(BaseModel):
    object: str = "payment"
    id: str
    account_id: str
    invoice_id: str | None = Field(description="The invoice paid or refunded; null: a top-up")
    kind: str = Field(description="payment, top_up or refund")
    status: str = Field(
        description="pending, succeeded, failed, or unknown (the gateway did not answer: it is "
        "asked again before any new attempt)"
    )
    amount: int = Field(description="Minor units through the gateway (a refund: to the card)")
    currency: str
    payment_method_id: str | None = Field(description="null: nothing went through a card")
    gateway: str | None
    gateway_reference: str | None = Field(description="The gateway's id of the charge")
    decline_code: str | None = Field(examples=["insufficient_funds"])
    message: str | None = Field(description="Why it failed, in words a customer may read")
    to_balance: int = Field(description="A refund's part given back to the prepaid balance")
    refund_of: str | None = Field(description="A refund: the payment whose charge it gives back")
    credit_note_id: str | None = Field(description="A refund: the credit note it rests on")
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls.model_validate(
            {**payment.__dict__, "kind": payment.kind.value, "status": payment.status.value}
        )


class PaymentMethodOut(BaseModel):
    object: str = "payment_method"
    id: str
    account_id: str
    gateway: str = Field(description="sandbox or stripe")
    gateway_id: str | None = Field(
        description="The gateway's own id of the card where it may be shown (Stripe: pm_...)"
    )
    brand: str = Field(examples=["visa"])
    last4: str = Field(examples=["4242"])
    exp_month: int
    exp_year: int
    is_default: bool
    created_at: datetime

    @classmethod
    def of(cls, method: PaymentMethod) -> PaymentMethodOut:
        shown = method.token if method.gateway in SHOWN_TOKENS else None
        return cls.model_validate({**method.__dict__, "gateway_id": shown})


class PaymentMethodAddedOut(PaymentMethodOut):
    retried: list[PaymentOut] = Field(
        description="The attempts made at once, with the new default card, at the account's "
        "invoices in dunning"
    )


# -- paying, topping up, refunding ---------------------------------------------------------------


class PayRequest(Strict):
    payment_method_id: str | None = Field(
        default=None, description="The account's card to charge; left out: its default card"
    )


class InvoicePaymentOut(BaseModel):
    object: str = "invoice_payment"
    invoice: InvoiceOut = Field(description="The invoice as it stands after the payment")
    payment: PaymentOut | None = Field(
        description="The attempt at the card; null: the prepaid balance paid it all"
    )


class TopUpCreate(Strict):
    amount: Annotated[StrictInt, AtMost(MAX_INVOICE_AMOUNT, 1)] = Field(
        description="Minor units; at most 1,000,000 major units of the currency",
        examples=[5000],
    )
    currency: str = Field(description="The account's currency", examples=["JPY"])
    payment_method_id: str | None = Field(
        default=None, description="The account's card to charge; left out: its default card"
    )


class RefundCreate(Strict):
    amount: Annotated[StrictInt, AtMost(MAX_INVOICE_AMOUNT, 1)] = Field(
        description="Minor units, tax included; at most what is left to refund"
    )
    reason: str = Field(examples=["Service outage on Feb 3"])


# -- the balance ---------------------------------------------------------------------------------


class MovementOut(BaseModel):
    at: datetime
    kind: str = Field(
        description="top_up, credit_note, balance_applied, balance_returned, refund_failed, ..."
    )
    reference: str = Field(description="The payment, credit note or invoice it comes from")
    amount: int = Field(description="+ onto the balance, - taken from it")

    @classmethod
    def of(cls, movement: BalanceMovement) -> MovementOut:
        return cls.model_validate(movement, from_attributes=True)


class BalanceOut(BaseModel):
    object: str = "balance"
    account_id: str
    currency: str
    balance: int = Field(description="Prepaid money; invoices take it before the card")
    movements: list[MovementOut] = Field(description="Newest first")


# -- collections and settings ------------------------------------------------------------------


class CollectionOut(BaseModel):
    object: str = "collection"
    invoice_id: str
    account_id: str
    state: str = Field(description="scheduled, paid, exhausted or stopped")
    failures: int = Field(description="Failed attempts so far")
    first_failure_at: datetime | None
    next_attempt_at: datetime | None = Field(description="null: nothing more is scheduled")
    stages_done: int = Field(description="Escalation stages of the dunning policy applied")

    @classmethod
    def of(cls, collection: Collection) -> CollectionOut:
        return cls.model_validate(collection, from_attributes=True)


def _bounds(minimum: int, maximum: int) -> Any:
    """Bounds published for a client to check, refused by the dunning policy's own checks
    (which name the item: ``retry_days[2]``, ``stages[1].after_days``)."""
    return Field(json_schema_extra={"minimum": minimum, "maximum": maximum})


class StageBody(Strict):
    after_days: Annotated[StrictInt, _bounds(0, MAX_STAGE_DAY)] = Field(
        description="Days after the first failure"
    )
    action: Annotated[str, OneOf(StageAction)]


class DunningPolicyUpdate(Patch):
    retry_days: list[Annotated[StrictInt, _bounds(1, MAX_RETRY_DAY)]] | None = Field(
        default=None, description="Days after the first failure (offsets) or between attempts"
    )
    spacing: Annotated[str, OneOf(Spacing)] | None = None
    stages: list[StageBody] | None = None
    after_last: Annotated[str, OneOf(AfterLast)] | None = Field(
        default=None, description="What the subscription becomes after the last attempt fails"
    )
    invoice_after_last: Annotated[str, OneOf(InvoiceAfterLast)] | None = None


class StageOut(BaseModel):
    after_days: int
    action: str


class DunningPolicyOut(BaseModel):
    object: str = "dunning_policy"
    retry_days: list[int]
    spacing: str
    stages: list[StageOut]
    after_last: str
    invoice_after_last: str

    @classmethod
    def of(cls, policy: DunningPolicy) -> DunningPolicyOut:
        return cls.model_validate(policy_to_dict(policy))


class CollectionMethodSet(Strict):
    method: Annotated[str, OneOf(CollectionMethod)] = Field(
        description="charge_automatically: the default card is charged when an invoice is "
        "finalized; send_invoice: the customer pays it within net_days"
    )
    net_days: StrictInt = Field(
        default=0, ge=0, le=MAX_NET_DAYS, description="Days to pay a sent invoice"
    )


class CollectionMethodOut(BaseModel):
    object: str = "collection_method"
    account_id: str
    method: str
    net_days: int
