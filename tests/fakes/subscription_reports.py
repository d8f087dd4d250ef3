"""The fake of the SubscriptionReports port (application/screens/ports.py), over the store's
spans, items, subscriptions and accounts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from plansmith.application.screens.ports import (
    ListedSubscription,
    SubscriptionFilter,
    SubscriptionReports,
)
from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.subscriptions.revenue import HeldSpan, RecordedPrice
from tests.fakes.accounts import FakeAccounts
from tests.fakes.store import FakeStore, Repo, Rows, page


class FakeSubscriptionReports(Repo):
    def held_spans(self, organization_id: str, since: date) -> Sequence[HeldSpan]:
        rows = [
            r
            for r in self._rows.spans.values()
            if r.organization_id == organization_id and (r.span.end is None or r.span.end > since)
        ]
        rows.sort(key=lambda r: (r.subscription_id, r.span.seq))
        zones = {s.id: s.time_zone for s in self._rows.subscriptions.values()}
        return [
            HeldSpan(r.subscription_id, r.account_id, r.family_id, r.span, zones[r.subscription_id])
            for r in rows
        ]

    def add_on_prices(
        self,
        organization_id: str,
        *,
        since: date | None = None,
        subscription_ids: Collection[str] | None = None,
    ) -> Sequence[RecordedPrice]:
        found = []
        for row in self._rows.items.values():
            stored, item = row.stored, row.stored.item
            if (
                row.organization_id != organization_id
                or not item.component.startswith("add_on:")
                or item.kind is LineKind.CREDIT
                or (since is not None and item.period_end <= since)
                or (subscription_ids is not None and stored.subscription_id not in subscription_ids)
            ):
                continue
            key = (stored.subscription_id, item.period_start, stored.created_at, row.position)
            price = RecordedPrice(
                stored.subscription_id,
                item.component.split(":", 1)[1],
                item.currency,
                item.cycle,
                item.unit_amount,
                item.period_start,
                item.period_end,
            )
            found.append((key, price))
        return [price for _, price in sorted(found, key=lambda pair: pair[0])]

    def subscriptions(
        self,
        organization_id: str,
        filters: SubscriptionFilter,
        *,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[ListedSubscription]:
        matching: set[str] | None = None
        if filters.search:
            accounts = FakeAccounts(self._store, self._rows).list(
                organization_id, search=filters.search, after=None, limit=len(self._rows.accounts)
            )
            matching = {a.id for a in accounts}
        found = []
        for sub in self._rows.subscriptions.values():
            if sub.organization_id != organization_id:
                continue
            if filters.statuses and sub.status.value not in filters.statuses:
                continue
            if filters.family_id is not None and sub.family_id != filters.family_id:
                continue
            if filters.plan_id is not None and sub.terms.plan_id != filters.plan_id:
                continue
            if matching is not None and sub.account_id not in matching:
                continue
            account = self._rows.accounts[sub.account_id]
            found.append(
                ((sub.created_at, sub.id), ListedSubscription(sub, account.name, account.email))
            )
        return page(found, after, limit)


# mypy checks the fake against its port here.
_reports: SubscriptionReports = FakeSubscriptionReports(FakeStore(), Rows())
