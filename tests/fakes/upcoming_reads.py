"""The fake of the UpcomingReads port: the billing snapshot of the account's subscriptions,
priced with the book it is given, no credit held or read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from plansmith.application.billing.ports import AccountHoldings, BillingSnapshot, UpcomingReads
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove
from plansmith.domain.usage.packs import PackStatus
from tests.fakes.billing import FakeTaxRates
from tests.fakes.billing_batches import FakeBillingBatches
from tests.fakes.store import FakeStore, Repo, Rows
from tests.fakes.subscriptions import FakeSubscriptions


class FakeUpcomingReads(Repo):
    def account_snapshot(
        self,
        organization_id: str,
        account_id: str,
        book: PriceBook,
        moves: Mapping[str, RenewalMove],
    ) -> tuple[Account, InvoiceAddress | None, BillingSnapshot] | None:
        account = self._rows.accounts.get(account_id)
        if account is None or account.organization_id != organization_id:
            return None
        subs = FakeSubscriptions(self._store, self._rows).for_account(organization_id, account_id)
        snapshot = FakeBillingBatches(self._store, self._rows).snapshot(
            organization_id, [s.id for s in subs], hold_credit=False
        )
        address_id = account.default_invoice_address_id
        address = self._rows.invoice_addresses.get(address_id) if address_id else None
        return account, address, replace(snapshot, book=book, moves=moves, credit={})

    def account_holdings(self, organization_id: str, account_id: str) -> AccountHoldings | None:
        account = self._rows.accounts.get(account_id)
        if account is None or account.organization_id != organization_id:
            return None
        subscriptions = FakeSubscriptions(self._store, self._rows)
        held = tuple(
            (sub, tuple(subscriptions.log(sub.id)))
            for sub in subscriptions.for_account(organization_id, account_id)
        )
        address_id = account.default_invoice_address_id
        address = self._rows.invoice_addresses.get(address_id) if address_id else None
        rates = FakeTaxRates(self._store, self._rows).tax_rates(organization_id)
        own = self._rows.account_tax_rates.get(account_id)
        since = min((sub.period_start for sub, _log in held), default=None)
        paid = [
            p
            for p in sorted(self._rows.usage_packs.values(), key=lambda p: (p.created_at, p.id))
            if p.account_id == account_id
            and p.status is PackStatus.PAID
            and since is not None
            and p.period_start >= since
        ]
        packs: dict[tuple[date, str], tuple[int, ...]] = {}
        for p in paid:
            packs[(p.period_start, p.meter)] = (*packs.get((p.period_start, p.meter), ()), p.units)
        return AccountHoldings(account, address, own, tuple(rates), held, 0, packs)


# mypy checks the fake against its port here.
_reads: UpcomingReads = FakeUpcomingReads(FakeStore(), Rows())
