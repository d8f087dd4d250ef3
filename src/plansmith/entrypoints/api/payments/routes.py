"""The payments part of the /v1 API: an account's cards, paying an invoice now, top-ups of the
prepaid balance, refunds and the operator's "retry now" (the history and the balance are in
history_routes).

Writes go through the payment use cases, each with the organization's gateway
(``Plansmith.gateway_for``); the gateway is called outside any transaction, and a retry of a
POST with the same Idempotency-Key gets the stored answer, never a second charge. A card that
declines answers 402 ``payment_declined`` (the failed attempt is recorded and listed). Reads
check every id belongs to the key's organization first (404 otherwise).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Body

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments import methods, refunds, top_ups
from plansmith.application.payments.balance import PAYABLE
from plansmith.application.payments.collection import Collected, collect_invoice
from plansmith.application.payments.ports import CardDetails
from plansmith.application.screens.invoices import views_in
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.payments.payments import Payment, PaymentStatus
from plansmith.entrypoints.api.deps import Container, CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.invoicing.invoice_schemas import InvoiceOut
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.payments.schemas import (
    InvoicePaymentOut,
    PaymentMethodAddedOut,
    PaymentMethodCreate,
    PaymentMethodOut,
    PaymentOut,
    PayRequest,
    RefundCreate,
    TopUpCreate,
)
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["payments"]
ACCOUNT = "/accounts/{account_id}"
METHODS = f"{ACCOUNT}/payment_methods"
INVOICE = "/invoices/{invoice_id}"
NO_CHOICE = PayRequest()  # no body: the default card
CARD_FIELDS = frozenset({"number", "exp_month", "exp_year", "cvc"})


class Declined(DomainError):
    """The card declined: 402 with the gateway's decline code and message in ``detail``."""

    code = ec.PAYMENT_DECLINED


def _declined(payment: Payment) -> Declined:
    why = payment.message or "the card was declined"
    code = payment.decline_code or "declined"
    return Declined(
        f"{why} ({code}); the failed attempt is payment {payment.id}",
        field="payment_method_id",
    )


def _in_card(exc: DomainError) -> DomainError:
    """A refusal of the typed card names its field inside ``card`` (``card.number``)."""
    parts = exc.errors if isinstance(exc, InvalidInput) else [exc]
    for part in parts:
        if part.field in CARD_FIELDS:
            part.field = f"card.{part.field}"
    if isinstance(exc, InvalidInput):
        exc.field = exc.errors[0].field
    return exc


# -- cards --------------------------------------------------------------------------------------


@router.post(
    METHODS,
    operation_id="create_payment_method",
    status_code=201,
    response_model=PaymentMethodAddedOut,
    tags=TAGS,
)
def create_payment_method(
    account_id: str,
    body: PaymentMethodCreate,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
) -> PaymentMethodAddedOut:
    """Save a card at the gateway and keep only its token: a `source` token from the gateway
    (Stripe.js's `pm_...`, or a sandbox test token), or a `card` typed into plansmith's own
    form (sandbox). The account's first card is its default. A new default card retries the
    account's invoices in dunning at once; `retried` lists those attempts."""
    if body.card is not None and body.source is not None:
        raise InvalidValue("send either a source token or a card, not both", field="card")
    card = body.card
    details = CardDetails(card.number, card.exp_month, card.exp_year, card.cvc) if card else None
    try:
        added = methods.add_card(
            uow,
            app.gateway_for(org.id),
            clock,
            org.id,
            account_id,
            source=body.source,
            card=details,
            make_default=body.make_default,
        )
    except DomainError as exc:
        if details is None or isinstance(exc, NotFound):
            raise
        raise _in_card(exc) from exc
    return _added_out(added)


def _added_out(added: methods.CardAdded) -> PaymentMethodAddedOut:
    retried = [PaymentOut.of(c.payment) for c in added.retried if c.payment is not None]
    out = PaymentMethodOut.of(added.method)
    return PaymentMethodAddedOut(**out.model_dump(), retried=retried)


@router.get(
    METHODS,
    operation_id="list_payment_methods",
    response_model=ListOut[PaymentMethodOut],
    tags=TAGS,
)
def list_payment_methods(account_id: str, org: CurrentOrg, uow: UoW) -> ListOut[PaymentMethodOut]:
    """The account's cards, the default first, then newest first."""
    cards = methods.cards(uow, org.id, account_id)
    return ListOut[PaymentMethodOut](data=[PaymentMethodOut.of(c) for c in cards])


@router.post(
    f"{METHODS}/{{payment_method_id}}/default",
    operation_id="set_default_payment_method",
    response_model=PaymentMethodAddedOut,
    tags=TAGS,
)
def set_default_payment_method(
    account_id: str,
    payment_method_id: str,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
) -> PaymentMethodAddedOut:
    """Charge this card from now on. The account's invoices in dunning are retried with it at
    once; `retried` lists those attempts."""
    made = methods.make_default(
        uow, app.gateway_for(org.id), clock, org.id, account_id, payment_method_id
    )
    return _added_out(made)


@router.delete(
    f"{METHODS}/{{payment_method_id}}",
    operation_id="delete_payment_method",
    response_model=PaymentMethodOut,
    tags=TAGS,
)
def delete_payment_method(
    account_id: str,
    payment_method_id: str,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
) -> PaymentMethodOut:
    """Remove a card (the gateway forgets it too). If it was the default, the newest other
    card becomes the default. Past payments keep naming it."""
    removed = methods.remove_card(
        uow, app.gateway_for(org.id), clock, org.id, account_id, payment_method_id
    )
    return PaymentMethodOut.of(removed)


# -- paying an invoice ---------------------------------------------------------------------------


def _paid_out(uow: UnitOfWork, done: Collected) -> InvoicePaymentOut:
    with uow:
        view = views_in(uow, [done.invoice])[0]
    payment = PaymentOut.of(done.payment) if done.payment is not None else None
    return InvoicePaymentOut(invoice=InvoiceOut.of(view), payment=payment)


@router.post(
    f"{INVOICE}/retry",
    operation_id="retry_invoice_payment",
    responses=problems(ec.NOT_PAYABLE),
    response_model=InvoicePaymentOut,
    tags=TAGS,
)
def retry_invoice_payment(
    invoice_id: str, org: CurrentOrg, uow: UoW, app: Container, clock: OrgClock
) -> InvoicePaymentOut:
    """The operator's "retry now": collect the invoice at once, whatever its dunning schedule
    says, as the collection would (the balance, then the default card). A failure counts in
    dunning (`failures`): a failed `payment` is answered 200 with its decline code. The
    retries keep their days: the next is the policy's first one after now, and one not due
    yet is not skipped. An attempt still in flight is resolved with the gateway instead of
    making a new one."""
    with uow:
        invoice = uow.invoices.get_invoice(org.id, invoice_id)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
        if invoice.status not in PAYABLE or invoice.totals.amount_due <= 0:
            raise Conflict(
                f"a {invoice.status} invoice owes nothing; there is nothing to collect",
                field="invoice_id",
                code=ec.NOT_PAYABLE,
            )
    done = collect_invoice(uow, app.gateway_for(org.id), clock, org.id, invoice_id, force=True)
    return _paid_out(uow, done)


@router.post(
    f"{INVOICE}/pay",
    operation_id="pay_invoice",
    responses=problems(
        ec.PAYMENT_DECLINED, ec.NOT_PAYABLE, ec.PAYMENT_IN_PROGRESS, ec.NO_PAYMENT_METHOD
    ),
    response_model=InvoicePaymentOut,
    tags=TAGS,
)
def pay_invoice(
    invoice_id: str,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
    body: Annotated[PayRequest, Body()] = NO_CHOICE,
) -> InvoicePaymentOut:
    """Pay what an open (or uncollectible) invoice owes now: the prepaid balance first, then
    the card (`payment_method_id`, else the default). `payment` is null when the balance paid
    it all, and `unknown` when the gateway did not answer (it is asked again before any new
    attempt). A decline is 402 `payment_declined`: the failed attempt is recorded, and does not
    count as a dunning retry."""
    done = collect_invoice(
        uow,
        app.gateway_for(org.id),
        clock,
        org.id,
        invoice_id,
        method_id=body.payment_method_id,
        by_customer=True,
    )
    if done.payment is not None and done.payment.status is PaymentStatus.FAILED:
        raise _declined(done.payment)
    return _paid_out(uow, done)


@router.post(
    f"{INVOICE}/refunds",
    operation_id="refund_invoice",
    responses=problems(ec.NOT_REFUNDABLE, ec.REFUND_TOO_LARGE),
    status_code=201,
    response_model=PaymentOut,
    tags=TAGS,
)
def refund_invoice(
    invoice_id: str,
    body: RefundCreate,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
) -> PaymentOut:
    """Refund part or all of a paid invoice: a credit note (`credit_note_id`), the part the
    card paid (less earlier refunds) back to the card (`amount`), the rest to the prepaid
    balance (`to_balance`). A refund the gateway refuses is `failed` and its card part stays
    on the balance, never lost."""
    refund = refunds.refund_invoice(
        uow, app.gateway_for(org.id), clock, org.id, invoice_id, body.amount, body.reason
    )
    return PaymentOut.of(refund)


# -- the prepaid balance -------------------------------------------------------------------------


@router.post(
    f"{ACCOUNT}/top_ups",
    operation_id="create_top_up",
    responses=problems(
        ec.PAYMENT_DECLINED, ec.NO_PAYMENT_METHOD, ec.CURRENCY_MISMATCH, ec.TOP_UP_OUT_OF_RANGE
    ),
    status_code=201,
    response_model=PaymentOut,
    tags=TAGS,
)
def create_top_up(
    account_id: str,
    body: TopUpCreate,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    clock: OrgClock,
) -> PaymentOut:
    """Charge an amount to a card (`payment_method_id`, else the default) and put it on the
    account's prepaid balance at once; invoices take the balance before the card. A decline is
    402 `payment_declined` and leaves the balance as it was; `unknown` (no answer from the
    gateway) is asked again later."""
    payment = top_ups.top_up(
        uow,
        app.gateway_for(org.id),
        clock,
        org.id,
        account_id,
        body.amount,
        body.currency,
        method_id=body.payment_method_id,
    )
    if payment.status is PaymentStatus.FAILED:
        raise _declined(payment)
    return PaymentOut.of(payment)
