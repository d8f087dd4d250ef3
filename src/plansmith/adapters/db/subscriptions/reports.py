"""The console's overview reads (application/screens/ports.py): an organization's spans of
held terms in one statement, the add-on prices its billed items recorded in one, its
subscriptions filtered and paged with their customers in one (a customer search may first
count its candidates, as the customer list does)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.accounts.search import accounts_matching
from plansmith.adapters.db.paging import page_after
from plansmith.adapters.db.subscriptions.history_rows import span_of_row
from plansmith.adapters.db.subscriptions.rows import subscription_of_row
from plansmith.application.screens.ports import ListedSubscription, SubscriptionFilter
from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.subscriptions.revenue import HeldSpan, RecordedPrice


class SqlSubscriptionReports:
    def __init__(self, session: Session) -> None:
        self.session = session

    def held_spans(self, organization_id: str, since: date) -> Sequence[HeldSpan]:
        c, s = t.subscription_spans.c, t.subscriptions.c
        q = (
            select(t.subscription_spans, s.time_zone)
            .join(t.subscriptions, s.id == c.subscription_id)
            .where(c.organization_id == organization_id, or_(c.end_on.is_(None), c.end_on > since))
            .order_by(c.subscription_id, c.seq)
        )
        return [
            HeldSpan(
                subscription_id=row._mapping["subscription_id"],
                account_id=row._mapping["account_id"],
                family_id=row._mapping["family_id"],
                span=span_of_row(row),
                time_zone=row._mapping["time_zone"],
            )
            for row in self.session.execute(q)
        ]

    def add_on_prices(
        self,
        organization_id: str,
        *,
        since: date | None = None,
        subscription_ids: Collection[str] | None = None,
    ) -> Sequence[RecordedPrice]:
        i = t.subscription_items.c
        q = select(
            i.subscription_id,
            i.component,
            i.currency,
            i.cycle,
            i.unit_amount,
            i.period_start,
            i.period_end,
        ).where(
            i.organization_id == organization_id,
            i.component.startswith("add_on:"),
            i.kind != LineKind.CREDIT.value,
        )
        if since is not None:
            q = q.where(i.period_end > since)
        if subscription_ids is not None:
            q = q.where(i.subscription_id.in_(sorted(subscription_ids)))
        q = q.order_by(i.subscription_id, i.period_start, i.created_at, i.position)
        return [
            RecordedPrice(
                subscription_id=r.subscription_id,
                add_on=r.component.split(":", 1)[1],
                currency=r.currency,
                cycle=r.cycle,
                unit_amount=r.unit_amount,
                period_start=r.period_start,
                period_end=r.period_end,
            )
            for r in self.session.execute(q)
        ]

    def subscriptions(
        self,
        organization_id: str,
        filters: SubscriptionFilter,
        *,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[ListedSubscription]:
        s, a = t.subscriptions.c, t.accounts.c
        q = (
            select(t.subscriptions, a.name.label("account_name"), a.email.label("account_email"))
            .join(t.accounts, a.id == s.account_id)
            .where(s.organization_id == organization_id)
        )
        if filters.statuses:
            q = q.where(s.status.in_(sorted(filters.statuses)))
        if filters.family_id is not None:
            q = q.where(s.family_id == filters.family_id)
        if filters.plan_id is not None:
            q = q.where(s.plan_id == filters.plan_id)
        if filters.search:
            found = accounts_matching(self.session, organization_id, filters.search)
            q = q.where(s.account_id.in_(found.with_only_columns(a.id).scalar_subquery()))
        q = page_after(q, t.subscriptions, after, limit)
        return [
            ListedSubscription(
                subscription=subscription_of_row(row),
                account_name=row._mapping["account_name"],
                account_email=row._mapping["account_email"],
            )
            for row in self.session.execute(q)
        ]
