"""The console's list of every subscription of an organization, filtered by status, family,
plan and customer, a page at a time, each with its price per period and monthly value (MRR,
as domain/subscriptions/revenue.py counts it, add-ons at the price last billed: a later change
of an add-on's price or its removal never rewrites it, nor breaks the page). Two statements
for the page, whatever its size (its subscriptions, their billed add-on prices), and the
catalog (none when the process holds it)."""

from __future__ import annotations

from dataclasses import dataclass

from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Page, UnitOfWork
from plansmith.application.screens.ports import SubscriptionFilter
from plansmith.application.subscriptions.lifecycle import price_book
from plansmith.domain.catalog.plans import Plan, PlanFamily
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.subscriptions.revenue import Valuation
from plansmith.domain.subscriptions.subscription import Status, Subscription


@dataclass(frozen=True)
class SubscriptionLine:
    subscription: Subscription
    account_name: str
    account_email: str
    family_name: str
    plan_name: str  # the plan's name, as customers see it
    version_name: str  # the operator's label of the version held (e.g. "Bronze Legacy")
    period_amount: int  # the price of one full period of the cycle, add-ons included
    monthly_value: int  # 0 unless in service and out of a trial


@dataclass(frozen=True)
class SubscriptionList:
    page: Page[SubscriptionLine]
    families: tuple[PlanFamily, ...]  # to filter by, by name
    plans: tuple[Plan, ...]  # to filter by, by family then rank


def subscription_list(
    uow: UnitOfWork,
    organization_id: str,
    *,
    status: str = "",
    family_id: str = "",
    plan_id: str = "",
    search: str = "",
    cursor: str | None = None,
    limit: int = 25,
) -> SubscriptionList:
    statuses = {s.value for s in Status}
    if status and status not in statuses:
        raise InvalidValue(
            f"status is one of {', '.join(sorted(statuses))}, not {status!r}", field="status"
        )
    after = decode_cursor(cursor)
    limit = check_limit(limit)
    with uow:
        book = price_book(uow, organization_id)
        if family_id and family_id not in book.families:
            raise InvalidValue(f"no plan family {family_id!r}", field="family", code=ec.NOT_FOUND)
        if plan_id and plan_id not in book.plans:
            raise InvalidValue(f"no plan {plan_id!r}", field="plan", code=ec.NOT_FOUND)
        filters = SubscriptionFilter(
            statuses=frozenset({status} if status else ()),
            family_id=family_id or None,
            plan_id=plan_id or None,
            search=search.strip() or None,
        )
        rows = list(
            uow.subscription_reports.subscriptions(
                organization_id, filters, after=after, limit=limit + 1
            )
        )
        shown = [row.subscription.id for row in rows[:limit]]
        recorded = uow.subscription_reports.add_on_prices(organization_id, subscription_ids=shown)
    prices = Valuation(book, recorded)
    more = len(rows) > limit
    lines = []
    for row in rows[:limit]:
        sub = row.subscription
        paying = sub.in_service and sub.status is not Status.TRIALING
        period = prices.period_amount(sub.id, sub.terms)
        lines.append(
            SubscriptionLine(
                subscription=sub,
                account_name=row.account_name,
                account_email=row.account_email,
                family_name=book.families[sub.family_id].name,
                plan_name=book.plan(sub.terms.plan_id).name,
                version_name=book.version(sub.terms.version_id).name,
                period_amount=period,
                monthly_value=prices.monthly_value(sub.id, sub.terms) if paying else 0,
            )
        )
    last = rows[limit - 1].subscription if more else None
    next_cursor = encode_cursor(last.created_at, last.id) if last is not None else None
    families = tuple(sorted(book.families.values(), key=lambda f: f.name.casefold()))
    names = {f.id: f.name.casefold() for f in families}
    plans = tuple(sorted(book.plans.values(), key=lambda p: (names.get(p.family_id), p.rank)))
    return SubscriptionList(Page(tuple(lines), next_cursor), families, plans)
