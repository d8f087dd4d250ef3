"""Buying an extra pack for a subscription: charged once in full as an invoice of its own,
paid at once like a customer's change (ADR 0022: the balance first, then the card on file,
charge first and count after), its units added to the current period's allowance the moment
the payment succeeds.

1. One transaction checks the pack and the subscription and writes the purchase ``pending``
   under its request key (unique per organization: two concurrent buys for one request make
   one purchase, the second waits on the first's key and answers with it). When the balance
   covers the whole price, the same transaction invoices the pack (the invoice takes the
   balance) and marks it ``paid``: done. Otherwise it writes the card's payment ``pending``
   (its idempotency key made from the purchase's id) and commits.
2. The gateway is called outside any transaction.
3. One transaction records the answer. On success: the pack's invoice is made, numbered and
   paid by the payment, and the purchase is ``paid`` (its units count from now). On a
   decline: the payment and the purchase are ``failed``; no invoice was made, so none is
   left open, and no unit was added. A timeout leaves both pending: nothing counts until a
   later answer, asked for by the collection run (pack_resolution.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from plansmith.application.billing.ports import BillingOutcome, InvoiceOutcome
from plansmith.application.invoicing.drafts import (
    DraftInputs,
    buyer,
    draft_invoice,
    finalized,
    finalized_events,
    tax_rate_of,
)
from plansmith.application.invoicing.invoices import balance_for_new_invoice
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.balance import spread_credit
from plansmith.application.payments.collection import IN_FLIGHT_VALUES, _captured, card_request
from plansmith.application.payments.ports import PaymentGateway
from plansmith.domain.catalog.add_ons import ExtraPack
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.invoice import Invoice, LineKind
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.kernel.records import changed
from plansmith.domain.payments.events import PaymentFailed, PaymentSucceeded, payment_fields
from plansmith.domain.payments.payments import Payment, PaymentKind, PaymentStatus
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription
from plansmith.domain.subscriptions.usage_standing import granted_meters
from plansmith.domain.usage.pack_events import PackPurchased
from plansmith.domain.usage.packs import PackPurchase, PackStatus, check_quantity

PACK_KEY = "pack:"  # the pack invoice's billing key: one invoice per purchase
PAYMENT_KEY = "pack-"
DESCRIPTION = "extra pack"
_NOW = timedelta(0)


@dataclass(frozen=True)
class PackBought:
    purchase: PackPurchase
    invoice: Invoice | None
    payment: Payment | None


def _pack(uow: UnitOfWork, organization_id: str, code: object) -> ExtraPack:
    if not isinstance(code, str) or not code:
        raise InvalidValue("name the extra pack to buy by its code", field="pack")
    pack = uow.extra_packs.by_code(organization_id, code)
    if pack is None or pack.archived_at is not None:
        raise InvalidValue(
            f"no extra pack {code!r} in the catalog", field="pack", code=ec.UNKNOWN_REFERENCE
        )
    return pack


def _subscription(uow: UnitOfWork, organization_id: str, subscription_id: str) -> Subscription:
    sub = uow.subscriptions.get(organization_id, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
    if not sub.in_service:
        raise Conflict(
            f"the subscription is {sub.status.value}: only a subscription in service buys packs",
            field="status",
            code=ec.INVALID_TRANSITION,
        )
    return sub


def _checked(
    uow: UnitOfWork, organization_id: str, sub: Subscription, pack: ExtraPack
) -> tuple[int, str]:
    """The pack's price in the subscription's currency and the meter it adds to."""
    price = pack.prices.get(sub.terms.currency)
    if price is None:
        raise InvalidValue(
            f"the extra pack {pack.code!r} has no price in {sub.terms.currency}",
            field="pack",
            code=ec.CURRENCY_MISMATCH,
        )
    book = uow.price_books.current(organization_id)
    if pack.allowance not in granted_meters(book, sub.terms):
        raise InvalidValue(
            f"the extra pack {pack.code!r} adds {pack.allowance!r}, which the subscription's "
            "plan and add-ons grant no allowance of",
            field="pack",
        )
    return price, pack.allowance


def _billing_period(
    uow: UnitOfWork, organization_id: str, sub: Subscription, meter: str
) -> tuple[date, date]:
    """The current period of the subscription whose allowance of the meter the account's use
    draws on and whose bill reads it: the oldest in service granting it (as in the hard-limit
    check, usage/limits.py). A pack bought on another subscription of the account counts
    there, since packs are found by (account, period start) and that period is the one read."""
    book = uow.price_books.current(organization_id)
    held_ones = uow.subscriptions.for_account(organization_id, sub.account_id)
    for held in sorted(held_ones, key=lambda s: (s.created_at, s.id)):
        if held.in_service and meter in granted_meters(book, held.terms):
            return held.period_start, held.period_end
    return sub.period_start, sub.period_end  # pragma: no cover - sub itself grants it


def buy_pack(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    pack_code: object,
    quantity: object = 1,
    request_key: str | None = None,
) -> PackBought:
    """Buy ``quantity`` of the pack for the subscription, paid now. ``request_key``: the
    caller's request (the Idempotency-Key): the same key buys once, however often retried."""
    count = check_quantity(quantity)
    now = clock.now()
    key = request_key or new_id("packreq")
    with uow:
        sub = _subscription(uow, organization_id, subscription_id)
        pack = _pack(uow, organization_id, pack_code)
        price, meter = _checked(uow, organization_id, sub, pack)
        period_start, period_end = _billing_period(uow, organization_id, sub, meter)
        purchase = PackPurchase(
            id=new_id("pack"),
            organization_id=organization_id,
            account_id=sub.account_id,
            subscription_id=sub.id,
            request_key=key,
            pack_code=pack.code,
            pack_name=pack.name,
            meter=meter,
            quantity=count,
            units=pack.amount * count,
            currency=sub.terms.currency,
            amount=price * count,
            status=PackStatus.PENDING,
            period_start=period_start,
            period_end=period_end,
            created_at=now,
        )
        if not uow.usage_packs.add(purchase):  # this request bought it already
            found = uow.usage_packs.by_key(organization_id, key)
            assert found is not None
            return PackBought(found, None, None)
        # only the balance beyond what older open invoices owe is the pack's (ADR 0037)
        spendable = balance_for_new_invoice(uow, organization_id, sub.account_id, purchase.currency)
        if spendable >= purchase.amount:
            invoice = _invoice(uow, sub, purchase, now)
            if invoice.totals.amount_due > 0:  # the balance, held only now, was spent meanwhile
                raise Conflict(
                    "the balance changed while the pack was bought; nothing was charged, try again",
                    field="balance",
                    code=ec.CONCURRENT_CHANGE,
                )
            _mark_paid(uow, purchase, invoice, None, now)
            uow.commit()
            return PackBought(purchase.paid(invoice.id, None, now), invoice, None)
        method = uow.payment_methods.default_of(sub.account_id)
        if method is None:
            raise Conflict(
                "the balance does not cover the pack and the account has no card",
                field="payment_method",
                code=ec.NO_PAYMENT_METHOD,
            )
        due = purchase.amount - spendable
        payment = Payment(
            id=new_id("pay"),
            organization_id=organization_id,
            account_id=sub.account_id,
            kind=PaymentKind.PAYMENT,
            status=PaymentStatus.PENDING,
            amount=due,
            currency=purchase.currency,
            idempotency_key=f"{PAYMENT_KEY}{purchase.id}",
            created_at=now,
            payment_method_id=method.id,
            gateway=gateway.name,
        )
        uow.payments.add(payment)
        purchase = replace(purchase, payment_id=payment.id)
        uow.usage_packs.update(purchase, PackStatus.PENDING)
        uow.commit()
    answer = gateway.charge(card_request(payment, method, DESCRIPTION))
    return record_pack_answer(uow, purchase, payment.answered(answer, clock.now()), now)


def record_pack_answer(
    uow: UnitOfWork, purchase: PackPurchase, settled: Payment, now: datetime
) -> PackBought:
    """The gateway's answer (``settled``: the payment as answered) for a pending pack's card
    payment, at the purchase or later (the resolver, pack_resolution.py)."""
    organization_id, payment_id = purchase.organization_id, settled.id
    with uow:
        if settled.status is not PaymentStatus.SUCCEEDED:
            if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
                return PackBought(purchase, None, uow.payments.get(organization_id, payment_id))
            if settled.status is PaymentStatus.FAILED:
                uow.usage_packs.update(purchase.failed(payment_id), PackStatus.PENDING)
                uow.publish([PaymentFailed(**payment_fields(settled, now))])
                purchase = purchase.failed(payment_id)
            uow.commit()
            return PackBought(purchase, None, settled)
        sub = _subscription_any(uow, organization_id, purchase.subscription_id)
        if local_date(now, zone(sub.time_zone)) < purchase.period_end:  # its period goes on
            invoice = _invoice(uow, sub, purchase, now)
            linked = replace(settled, invoice_id=invoice.id)
            if not uow.payments.settle(linked, IN_FLIGHT_VALUES):
                return PackBought(purchase, None, uow.payments.get(organization_id, payment_id))
            held = uow.invoices.hold_invoice(organization_id, invoice.id)
            assert held is not None
            _captured(uow, held, linked, now)
            uow.publish([PaymentSucceeded(**payment_fields(linked, now))])
            _mark_paid(uow, purchase, invoice, payment_id, now)
            after = uow.invoices.get_invoice(organization_id, invoice.id) or invoice
            uow.commit()
            return PackBought(purchase.paid(invoice.id, payment_id, now), after, linked)
        late = _credit_late(uow, purchase, settled, now)
        if late is None:
            return PackBought(purchase, None, uow.payments.get(organization_id, payment_id))
    spread_credit(uow, organization_id, purchase.account_id, purchase.currency, now)
    return late


def _credit_late(
    uow: UnitOfWork, purchase: PackPurchase, settled: Payment, now: datetime
) -> PackBought | None:
    """Inside the open unit of work: the charge succeeded only after the period the pack was
    bought for had ended. Its units would add to nothing (a pack counts in the period bought,
    never silently in the next), so the pack is ``failed`` and what was captured goes to the
    account's balance (an overpayment, as for a change no longer applied, ADR 0022)."""
    uow.ledger.hold_credit(purchase.account_id)
    if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
        return None  # answered meanwhile: that answer stands
    uow.ledger.post(
        postings.topped_up(
            new_id("txn"),
            purchase.organization_id,
            purchase.account_id,
            settled.id,
            settled.amount,
            settled.currency,
            now,
            kind="overpayment",
        )
    )
    failed = purchase.failed(settled.id)
    if not uow.usage_packs.update(failed, PackStatus.PENDING):
        raise Conflict("the pack purchase was settled at the same time", code=ec.CONCURRENT_CHANGE)
    uow.publish([PaymentSucceeded(**payment_fields(settled, now))])
    uow.commit()
    return PackBought(failed, None, settled)


def _subscription_any(uow: UnitOfWork, organization_id: str, subscription_id: str) -> Subscription:
    sub = uow.subscriptions.get(organization_id, subscription_id)
    if sub is None:  # pragma: no cover - subscriptions are never deleted
        raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
    return sub


def _mark_paid(
    uow: UnitOfWork, purchase: PackPurchase, invoice: Invoice, payment_id: str | None, now: datetime
) -> None:
    paid = purchase.paid(invoice.id, payment_id, now)
    if not uow.usage_packs.update(paid, PackStatus.PENDING):
        raise Conflict("the pack purchase was settled at the same time", code=ec.CONCURRENT_CHANGE)
    uow.publish([PackPurchased.of(paid, now)])


def pack_item(purchase: PackPurchase, today: date, period_end: date) -> BillableItem:
    return BillableItem(
        kind=LineKind.PACK,
        component=f"pack:{purchase.pack_code}",
        description=f"{purchase.pack_name}: {purchase.units:,} {purchase.meter}",
        currency=purchase.currency,
        quantity=purchase.quantity,
        unit_amount=purchase.amount // purchase.quantity,
        amount=purchase.amount,
        period_start=today,
        period_end=max(period_end, today),
    )


def _invoice(uow: UnitOfWork, sub: Subscription, purchase: PackPurchase, now: datetime) -> Invoice:
    """Inside the open unit of work: the pack's own invoice, finalized now (taking the balance
    first, as every invoice does), written and numbered; no coupon applies to a pack."""
    snapshot = uow.billing_batches.snapshot(sub.organization_id, [sub.id], hold_credit=True)
    entry = snapshot.entries.get(sub.id)
    if entry is None:  # pragma: no cover - read in this transaction
        raise NotFound(f"no subscription {sub.id!r}", field="subscription_id")
    today = local_date(now, zone(sub.time_zone))
    item = pack_item(purchase, today, purchase.period_end)
    rate = tax_rate_of(snapshot.tax_rates, entry.account_tax_rate_id, entry.address)
    inputs = DraftInputs(entry.account, (), rate, ())
    drafted = draft_invoice(sub, snapshot.book, inputs, [(purchase.id, item)], now, _NOW)
    # what older open invoices owe is theirs first (ADR 0037): only a balance beyond it
    credit = min(0, snapshot.credit.get((entry.account.id, sub.terms.currency), 0))
    done = finalized(drafted.invoice, credit, (), now)
    outcome = BillingOutcome(
        before=sub,
        subscription=sub,
        events=(),
        first_seq=entry.last_event_seq + 1,
        spans_written=(),
        spans_deleted=(),
        items=(),
        invoice=InvoiceOutcome(
            done.invoice,
            f"{PACK_KEY}{purchase.id}",
            buyer(entry.account, entry.address),
            (),
            done.posting,
            done.redemption_uses,
            snapshot.seller,
        ),
        actor="pack",
        at=now,
    )
    numbers = uow.billing_batches.write([outcome])
    invoice = changed(done.invoice, number=numbers[done.invoice.id])
    uow.publish(finalized_events(invoice, now))
    return invoice


def packs_of(
    uow: UnitOfWork, clock: Clock, organization_id: str, subscription_id: str, on: date | None
) -> list[PackPurchase]:
    """The packs bought for the subscription in its period holding ``on`` (default: today in
    its time zone), paid, pending and failed, oldest first."""
    with uow:
        sub = uow.subscriptions.get(organization_id, subscription_id)
        if sub is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        day = on if on is not None else local_date(clock.now(), zone(sub.time_zone))
        return list(uow.usage_packs.of_subscription(organization_id, subscription_id, day))
