"""Payment methods: add a card (typed into the sandbox's form, or a gateway's own token),
make one the default, remove one. Only the gateway's token and what may be shown of a card
are kept. A card added while an invoice is being dunned gets that invoice retried at once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.collection import Collected, collect_invoice
from plansmith.application.payments.dunning import SCHEDULED
from plansmith.application.payments.ports import CardDetails, CardToSave, PaymentGateway
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import local_date
from plansmith.domain.payments.payments import PaymentMethod

log = logging.getLogger("plansmith.payments")


def _account(uow: UnitOfWork, organization_id: str, account_id: str) -> Account:
    account = uow.accounts.get(organization_id, account_id)
    if account is None:
        raise NotFound(f"no account {account_id!r}", field="account_id")
    return account


@dataclass(frozen=True)
class CardAdded:
    method: PaymentMethod
    retried: tuple[Collected, ...]  # invoices in dunning retried at once with it


def add_card(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    account_id: str,
    *,
    source: str | None = None,
    card: CardDetails | None = None,
    make_default: bool = True,
) -> CardAdded:
    """Save a card at the gateway and keep its token. ``card``: typed into plansmith's own
    form (the sandbox's), tokenized first and forgotten; ``source``: a token the gateway gave
    the browser (or a documented test token). The account's first card is its default."""
    now = clock.now()
    with uow:
        account = _account(uow, organization_id, account_id)
        customer_ref = uow.payment_methods.customer_ref(account_id, gateway.name)
    if card is not None:
        source = gateway.tokenize(card, local_date(now, ZoneInfo(account.time_zone)))
    if source is None:
        raise InvalidValue("give the card (number, expiry, CVC) or a token", field="source")
    saved = gateway.save_card(
        CardToSave(account_id, account.email, account.name, customer_ref, source)
    )
    with uow:
        first = not uow.payment_methods.of_account(account_id)
        method = PaymentMethod(
            new_id("pm"),
            organization_id,
            account_id,
            gateway.name,
            saved.token,
            saved.customer_ref,
            saved.brand,
            saved.last4,
            saved.exp_month,
            saved.exp_year,
            False,
            now,
        )
        uow.payment_methods.add(method)
        if first or make_default:
            uow.payment_methods.make_default(account_id, method.id)
            method = PaymentMethod(**{**method.__dict__, "is_default": True})
        dunned = [
            c.invoice_id for c in uow.collections.of_account(account_id) if c.state == SCHEDULED
        ]
        uow.commit()
    retried = tuple(
        collect_invoice(uow, gateway, clock, organization_id, invoice_id, force=True)
        for invoice_id in (dunned if method.is_default else [])
    )
    return CardAdded(method, retried)


def cards(uow: UnitOfWork, organization_id: str, account_id: str) -> Sequence[PaymentMethod]:
    with uow:
        _account(uow, organization_id, account_id)
        return uow.payment_methods.of_account(account_id)


def _card_of(
    uow: UnitOfWork, organization_id: str, account_id: str, method_id: str
) -> PaymentMethod:
    method = uow.payment_methods.get(organization_id, method_id)
    if method is None or method.account_id != account_id:
        raise NotFound(
            f"no payment method {method_id!r} on this account", field="payment_method_id"
        )
    return method


def make_default(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    account_id: str,
    method_id: str,
) -> CardAdded:
    """Make a card the default; invoices being dunned are retried with it at once."""
    with uow:
        _card_of(uow, organization_id, account_id, method_id)
        uow.payment_methods.make_default(account_id, method_id)
        method = _card_of(uow, organization_id, account_id, method_id)
        dunned = [
            c.invoice_id for c in uow.collections.of_account(account_id) if c.state == SCHEDULED
        ]
        uow.commit()
    retried = tuple(
        collect_invoice(uow, gateway, clock, organization_id, invoice_id, force=True)
        for invoice_id in dunned
    )
    return CardAdded(method, retried)


def remove_card(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    account_id: str,
    method_id: str,
) -> PaymentMethod:
    """Remove a card; if it was the default, the newest other card becomes the default. The
    gateway forgets it after the removal is committed (a failure there changes nothing here)."""
    now = clock.now()
    with uow:
        method = _card_of(uow, organization_id, account_id, method_id)
        uow.payment_methods.remove(method_id, now)
        if method.is_default:
            rest = uow.payment_methods.of_account(account_id)
            if rest:
                uow.payment_methods.make_default(account_id, rest[0].id)
        uow.commit()
    if method.gateway == gateway.name:
        try:
            gateway.forget_card(method.token, method.customer_ref)
        except Exception:  # removed here whatever the gateway says
            log.warning("the gateway did not forget card %s", method.id, exc_info=True)
    return method
