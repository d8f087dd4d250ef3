"""Fakes of the payment ports: payment methods, payments, collections and dunning policies.
The constraints the database enforces behave as in SQL: one default card per account, at most
one payment of an invoice in flight (Conflict payment_in_progress), a settle that only moves a
payment still in one of the expected statuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments.ports import (
    Collection,
    CollectionRepository,
    DunningPolicyRepository,
    PaymentMethodRepository,
    PaymentRepository,
)
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.dunning import DunningPolicy
from plansmith.domain.payments.payments import IN_FLIGHT, Payment, PaymentKind, PaymentMethod
from tests.fakes.store import CollectionMethodRow, FakeStore, MethodRow, Repo, Rows, clash

SEND_INVOICE = "send_invoice"
CHARGE_AUTOMATICALLY = "charge_automatically"


class FakePaymentMethods(Repo):
    def add(self, method: PaymentMethod) -> None:
        if method.id in self._rows.payment_methods:
            raise clash()
        self._rows.payment_methods[method.id] = MethodRow(method)

    def get(self, organization_id: str, method_id: str) -> PaymentMethod | None:
        row = self._rows.payment_methods.get(method_id)
        if row is None or row.removed_at is not None:
            return None
        return row.method if row.method.organization_id == organization_id else None

    def get_any(self, method_id: str) -> PaymentMethod | None:
        row = self._rows.payment_methods.get(method_id)
        return row.method if row is not None else None

    def get_many(self, organization_id: str, method_ids: Sequence[str]) -> Sequence[PaymentMethod]:
        """Removed or not, of the organization."""
        found = (self._rows.payment_methods.get(i) for i in method_ids)
        return [r.method for r in found if r and r.method.organization_id == organization_id]

    def _live(self, account_id: str) -> list[PaymentMethod]:
        return [
            r.method
            for r in self._rows.payment_methods.values()
            if r.method.account_id == account_id and r.removed_at is None
        ]

    def of_account(self, account_id: str) -> Sequence[PaymentMethod]:
        live = sorted(self._live(account_id), key=lambda m: (m.created_at, m.id), reverse=True)
        return sorted(live, key=lambda m: not m.is_default)  # stable: the default first

    def default_of(self, account_id: str) -> PaymentMethod | None:
        return next((m for m in self._live(account_id) if m.is_default), None)

    def make_default(self, account_id: str, method_id: str) -> None:
        rows = self._rows.payment_methods
        for key, row in list(rows.items()):
            if row.method.account_id != account_id:
                continue
            if key == method_id and row.removed_at is None:
                rows[key] = replace(row, method=replace(row.method, is_default=True))
            elif key != method_id and row.method.is_default:
                rows[key] = replace(row, method=replace(row.method, is_default=False))

    def remove(self, method_id: str, at: datetime) -> None:
        row = self._rows.payment_methods.get(method_id)
        if row is None or row.removed_at is not None:
            return
        method = replace(row.method, is_default=False)
        self._rows.payment_methods[method_id] = MethodRow(method, at)

    def customer_ref(self, account_id: str, gateway: str) -> str | None:
        found = sorted(
            (r.method.created_at, r.method.customer_ref)
            for r in self._rows.payment_methods.values()
            if r.method.account_id == account_id
            and r.method.gateway == gateway
            and r.method.customer_ref is not None
        )
        return found[0][1] if found else None


def _in_flight_payment(payment: Payment) -> bool:
    return (
        payment.kind is PaymentKind.PAYMENT
        and payment.invoice_id is not None
        and payment.status in IN_FLIGHT
    )


def _newest_first(
    found: list[Payment], before: tuple[datetime, str] | None, limit: int
) -> list[Payment]:
    ordered = sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)
    return [p for p in ordered if before is None or (p.created_at, p.id) < before][:limit]


class FakePayments(Repo):
    def add(self, payment: Payment) -> None:
        payments = self._rows.payments
        key_taken = any(p.idempotency_key == payment.idempotency_key for p in payments.values())
        if payment.id in payments or key_taken:
            raise clash()
        if _in_flight_payment(payment) and any(
            _in_flight_payment(p) and p.invoice_id == payment.invoice_id for p in payments.values()
        ):
            raise Conflict(
                "a payment of this invoice is being made; wait for its outcome",
                field="invoice_id",
                code=ec.PAYMENT_IN_PROGRESS,
            )
        payments[payment.id] = payment

    def get(self, organization_id: str, payment_id: str) -> Payment | None:
        found = self._rows.payments.get(payment_id)
        return found if found is not None and found.organization_id == organization_id else None

    def settle(self, payment: Payment, expected: Sequence[str]) -> bool:
        stored = self._rows.payments.get(payment.id)
        if stored is None or stored.status.value not in expected:
            return False
        self._rows.payments[payment.id] = replace(
            stored,
            status=payment.status,
            gateway_reference=payment.gateway_reference,
            decline_code=payment.decline_code,
            message=payment.message,
            settled_at=payment.settled_at,
            to_balance=payment.to_balance,
        )
        return True

    def in_flight(self, invoice_id: str) -> Payment | None:
        return next(
            (
                p
                for p in self._rows.payments.values()
                if p.invoice_id == invoice_id and _in_flight_payment(p)
            ),
            None,
        )

    def unsettled(self, organization_id: str | None, limit: int) -> Sequence[Payment]:
        found = [
            p
            for p in self._rows.payments.values()
            if p.status in IN_FLIGHT
            and not (p.kind is PaymentKind.PAYMENT and p.invoice_id is not None)
            and (organization_id is None or p.organization_id == organization_id)
        ]
        return sorted(found, key=lambda p: (p.created_at, p.id))[:limit]

    def of_account(
        self, account_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Payment]:
        found = [p for p in self._rows.payments.values() if p.account_id == account_id]
        return _newest_first(found, before, limit)

    def of_invoice(self, invoice_id: str) -> Sequence[Payment]:
        found = [p for p in self._rows.payments.values() if p.invoice_id == invoice_id]
        return sorted(found, key=lambda p: (p.created_at, p.id))

    def of_organization(
        self,
        organization_id: str,
        *,
        status: str | None,
        kind: str | None,
        before: tuple[datetime, str] | None,
        limit: int,
        account_id: str | None = None,
    ) -> Sequence[Payment]:
        found = [
            p
            for p in self._rows.payments.values()
            if p.organization_id == organization_id
            and (status is None or p.status.value == status)
            and (kind is None or p.kind.value == kind)
            and (account_id is None or p.account_id == account_id)
        ]
        return _newest_first(found, before, limit)

    def by_reference(self, gateway: str, reference: str) -> Payment | None:
        return next(
            (
                p
                for p in self._rows.payments.values()
                if p.gateway == gateway and p.gateway_reference == reference
            ),
            None,
        )


class FakeCollections(Repo):
    def get(self, invoice_id: str) -> Collection | None:
        return self._rows.collections.get(invoice_id)

    def hold(self, invoice_id: str) -> Collection | None:
        return self.get(invoice_id)  # one writer at a time here

    def save(self, collection: Collection, at: datetime) -> None:
        self._rows.collections[collection.invoice_id] = collection

    def _in_scope(self, organization_id: str | None, of: str) -> bool:
        if organization_id is None:
            return of not in self._rows.sandbox_ids()
        return of == organization_id

    def _has_default_card(self, account_id: str) -> bool:
        return any(
            r.method.account_id == account_id and r.method.is_default and r.removed_at is None
            for r in self._rows.payment_methods.values()
        )

    def due(
        self, organization_id: str | None, now: datetime, limit: int, after: str | None
    ) -> Sequence[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for row in self._rows.invoices.values():
            i = row.invoice
            if (
                i.status is InvoiceStatus.OPEN
                and i.totals.amount_due > 0
                and i.finalized_at is not None
                and i.finalized_at <= now
                and i.id not in self._rows.collections
                and self.method_of(i.account_id)[0] != SEND_INVOICE
                and self._has_default_card(i.account_id)
                and self._in_scope(organization_id, i.organization_id)
            ):
                found.add((i.organization_id, i.id))
        for c in self._rows.collections.values():
            if (
                c.state == "scheduled"
                and c.next_attempt_at is not None
                and c.next_attempt_at <= now
                and self._in_scope(organization_id, c.organization_id)
            ):
                found.add((c.organization_id, c.invoice_id))
        ordered = sorted(found, key=lambda pair: pair[1])
        return [pair for pair in ordered if after is None or pair[1] > after][:limit]

    def next_attempt_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        return min(
            (
                c.next_attempt_at
                for c in self._rows.collections.values()
                if c.organization_id == organization_id
                and c.state == "scheduled"
                and c.next_attempt_at is not None
                and after < c.next_attempt_at <= until
            ),
            default=None,
        )

    def credits_waiting(self, organization_id: str | None) -> Sequence[tuple[str, str, str]]:
        def held(org: str, account: str, currency: str) -> int:
            return -sum(
                e.amount
                for x in self._rows.transactions.values()
                if x.organization_id == org and x.account_id == account
                for e in x.entries
                if e.account is LedgerAccount.CUSTOMER_CREDIT and e.currency == currency
            )

        found = {
            (i.organization_id, i.account_id, i.currency)
            for i in (r.invoice for r in self._rows.invoices.values())
            if i.status is InvoiceStatus.OPEN
            and i.totals.amount_due > 0
            and self._in_scope(organization_id, i.organization_id)
        }
        return sorted(key for key in found if held(*key) > 0)

    def of_organization(self, organization_id: str, state: str | None) -> Sequence[Collection]:
        found = [
            c
            for c in self._rows.collections.values()
            if c.organization_id == organization_id and (state is None or c.state == state)
        ]
        # Oldest next attempt first, none scheduled last (PostgreSQL's order of NULLs).
        return sorted(
            found,
            key=lambda c: (
                c.next_attempt_at is None,
                c.next_attempt_at.timestamp() if c.next_attempt_at is not None else 0.0,
                c.invoice_id,
            ),
        )

    def of_account(self, account_id: str) -> Sequence[Collection]:
        found = [c for c in self._rows.collections.values() if c.account_id == account_id]
        return sorted(found, key=lambda c: c.invoice_id)

    def state_of(self, account_id: str) -> tuple[str, int, Sequence[Collection]]:
        method, net_days = self.method_of(account_id)
        return method, net_days, self.of_account(account_id)

    def method_of(self, account_id: str) -> tuple[str, int]:
        row = self._rows.account_collection.get(account_id)
        return (row.method, row.net_days) if row is not None else (CHARGE_AUTOMATICALLY, 0)

    def set_method(
        self, organization_id: str, account_id: str, method: str, net_days: int, at: datetime
    ) -> None:
        self._rows.account_collection[account_id] = CollectionMethodRow(
            organization_id, method, net_days
        )


class FakeDunningPolicies(Repo):
    def get(self, organization_id: str) -> DunningPolicy | None:
        return self._rows.dunning_policies.get(organization_id)

    def put(self, organization_id: str, policy: DunningPolicy, at: datetime) -> None:
        self._rows.dunning_policies[organization_id] = policy


# mypy checks each fake against its port here: a port change breaks the fake at lint time.
_store, _rows = FakeStore(), Rows()
_methods: PaymentMethodRepository = FakePaymentMethods(_store, _rows)
_payments: PaymentRepository = FakePayments(_store, _rows)
_collections: CollectionRepository = FakeCollections(_store, _rows)
_policies: DunningPolicyRepository = FakeDunningPolicies(_store, _rows)
