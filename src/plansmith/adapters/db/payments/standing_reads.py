"""The entitlement check's read of one account in one statement: a row per held-terms span of
each of its subscriptions (the account alone when it has none), the account's columns on each
row, and beside them what is one value per account or per subscription, as scalar subqueries:
the catalog revision, the most dunning stages applied to an unpaid invoice, the organization's
dunning policy and the paid packs of the subscription's stored period.

The packs come as one text per row ("meter units" pairs joined by ";", a meter code holds
neither a space nor a ";"): a list inside a row, the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, String, and_, bindparam, cast, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.subscriptions.history_rows import span_of_row
from plansmith.adapters.db.subscriptions.rows import subscription_of_row
from plansmith.application.payments.ports import AccountStanding
from plansmith.domain.accounts.account import Account
from plansmith.domain.payments.dunning_data import policy_from_dict
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.usage.packs import PackStatus

A, S, SP = t.accounts.c, t.subscriptions.c, t.subscription_spans.c
C, D, P, R = (
    t.invoice_collections.c,
    t.dunning_policies.c,
    t.usage_packs.c,
    t.catalog_revisions.c,
)
_SPAN = ("seq", "start_on", "end_on", "terms", "plan_name", "trial", "pay_per_day", "ended_by")
UNPAID = ("scheduled", "exhausted")  # a collection still after its invoice's money


class SqlStandingReads:
    def __init__(self, session: Session) -> None:
        self.session = session

    def account_standing(
        self, organization_id: str, account_id: str | None, external_id: str | None
    ) -> AccountStanding | None:
        q = _statement(by_id=account_id is not None)
        params = {"org": organization_id, "named": account_id or external_id}
        rows: list[Row[Any]] = list(self.session.execute(q, params))
        if not rows:
            return None
        first = rows[0]._mapping
        account = Account(**{c.name: first[f"acct_{c.name}"] for c in t.accounts.c})
        subs: dict[str, Subscription] = {}
        logs: dict[str, list[Span]] = {}
        packs_of: dict[tuple[date, str], tuple[int, ...]] = {}
        for row in rows:
            r = row._mapping
            if r["id"] is None:
                continue  # the account holds no subscription
            if r["id"] not in subs:
                sub = subs[r["id"]] = subscription_of_row(row)
                logs[sub.id] = []
                packs_of.update(_packs(sub.period_start, r["paid_packs"]))
            if r["span_seq"] is not None:
                logs[r["id"]].append(span_of_row(row, "span_"))
        data: Mapping[str, Any] | None = first["dunning_policy"]
        return AccountStanding(
            account=account,
            catalog_revision=int(first["catalog_revision"] or 0),
            subscriptions=tuple((sub, tuple(logs[sub_id])) for sub_id, sub in subs.items()),
            unpaid_stages=first["unpaid_stages"],
            policy=policy_from_dict(data) if data is not None else None,
            packs=packs_of,
        )


@cache
def _statement(*, by_id: bool) -> Select[Any]:
    """Built once per process (the hot path pays no statement building, only its binding)."""
    org: BindParameter[str] = bindparam("org", type_=String)
    name: BindParameter[str] = bindparam("named", type_=String)
    named = A.id == name if by_id else A.external_id == name
    revision = select(R.revision).where(R.organization_id == org)
    unpaid = select(func.max(C.stages_done)).where(C.account_id == A.id, C.state.in_(UNPAID))
    policy = select(D.policy).where(D.organization_id == org)
    packs = select(func.aggregate_strings(P.meter + " " + cast(P.units, String), ";")).where(
        P.account_id == A.id,
        P.period_start == S.period_start,
        P.status == PackStatus.PAID.value,
    )
    return (
        select(
            *[c.label(f"acct_{c.name}") for c in t.accounts.c],
            revision.scalar_subquery().label("catalog_revision"),
            unpaid.scalar_subquery().label("unpaid_stages"),
            policy.scalar_subquery().label("dunning_policy"),
            t.subscriptions,
            *[SP[name].label(f"span_{name}") for name in _SPAN],
            packs.scalar_subquery().label("paid_packs"),
        )
        .select_from(
            t.accounts.outerjoin(
                t.subscriptions,
                and_(S.account_id == A.id, S.organization_id == A.organization_id),
            ).outerjoin(t.subscription_spans, SP.subscription_id == S.id)
        )
        .where(A.organization_id == org, named)
        .order_by(S.created_at, S.id, SP.seq)
    )


def _packs(start: date, text: str | None) -> dict[tuple[date, str], tuple[int, ...]]:
    found: dict[tuple[date, str], tuple[int, ...]] = {}
    for pair in (text or "").split(";"):
        if pair:
            meter, units = pair.split(" ")
            found[(start, meter)] = (*found.get((start, meter), ()), int(units))
    return found
