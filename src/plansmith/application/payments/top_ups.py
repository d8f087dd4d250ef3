"""Top-ups: an amount charged to a card and credited to the prepaid balance at once."""

from __future__ import annotations

from datetime import datetime

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.balance import balance_of
from plansmith.application.payments.collection import IN_FLIGHT_VALUES, card_request
from plansmith.application.payments.ports import PaymentGateway
from plansmith.domain.invoicing import postings
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.balance import checked_top_up
from plansmith.domain.payments.events import PaymentFailed, PaymentSucceeded, payment_fields
from plansmith.domain.payments.payments import (
    GatewayAnswer,
    Payment,
    PaymentKind,
    PaymentStatus,
)


def top_up(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    account_id: str,
    amount: object,
    currency: str,
    *,
    method_id: str | None = None,
) -> Payment:
    """Charge ``amount`` to a card (``method_id`` or the default) and credit it to the
    balance. A decline leaves the balance as it was; a timeout is asked again later."""
    now = clock.now()
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        if currency != account.currency:
            raise InvalidValue(
                f"the account holds {account.currency}; top up in it",
                field="currency",
                code=ec.CURRENCY_MISMATCH,
            )
        value = checked_top_up(amount, currency)
        if method_id is None:
            method = uow.payment_methods.default_of(account_id)
        else:
            method = uow.payment_methods.get(organization_id, method_id)
            if method is not None and method.account_id != account_id:
                method = None
        if method is None:
            raise Conflict(
                "the account has no such card; add one first",
                field="payment_method_id",
                code=ec.NO_PAYMENT_METHOD,
            )
        payment = Payment(
            id=(pid := new_id("pay")),
            organization_id=organization_id,
            account_id=account_id,
            kind=PaymentKind.TOP_UP,
            status=PaymentStatus.PENDING,
            amount=value,
            currency=currency,
            idempotency_key=f"{pid}-top-up",
            created_at=now,
            payment_method_id=method.id,
            gateway=gateway.name,
        )
        uow.payments.add(payment)
        uow.commit()
    answer = gateway.charge(card_request(payment, method, "top-up"))
    return record_top_up(uow, payment, answer, clock.now())


def record_top_up(
    uow: UnitOfWork, payment: Payment, answer: GatewayAnswer, now: datetime
) -> Payment:
    settled = payment.answered(answer, now)
    status = settled.status
    with uow:
        uow.ledger.hold_credit(payment.account_id)
        if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
            return uow.payments.get(payment.organization_id, payment.id) or settled
        if status is PaymentStatus.SUCCEEDED:
            uow.ledger.post(
                postings.topped_up(
                    new_id("txn"),
                    payment.organization_id,
                    payment.account_id,
                    payment.id,
                    payment.amount,
                    payment.currency,
                    now,
                )
            )
            uow.publish([PaymentSucceeded(**payment_fields(settled, now))])
        elif status is PaymentStatus.FAILED:
            uow.publish([PaymentFailed(**payment_fields(settled, now))])
        uow.commit()
    return settled


def balance(uow: UnitOfWork, organization_id: str, account_id: str) -> tuple[str, int]:
    """(currency, what the account holds in it)."""
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        return account.currency, balance_of(uow, account_id, account.currency)
