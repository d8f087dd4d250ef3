"""Collections in SQL: each automatically charged invoice's dunning state, which invoices are
due for an attempt now, each account's collection method and each organization's policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.subscriptions.rows import sandboxes
from plansmith.application.payments.ports import Collection
from plansmith.domain.payments.dunning import DunningPolicy
from plansmith.domain.payments.dunning_data import policy_from_dict, policy_to_dict

c = t.invoice_collections.c
inv = t.invoices.c
ac = t.account_collection.c
pm = t.payment_methods.c
SEND_INVOICE = "send_invoice"
CHARGE_AUTOMATICALLY = "charge_automatically"


def _collection(r: Any) -> Collection:
    return Collection(
        r.invoice_id,
        r.organization_id,
        r.account_id,
        r.next_attempt_at,
        r.first_failure_at,
        r.failures,
        r.stages_done,
        r.state,
    )


class SqlCollections:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, invoice_id: str) -> Collection | None:
        row = self.session.execute(
            select(t.invoice_collections).where(c.invoice_id == invoice_id)
        ).first()
        return _collection(row) if row is not None else None

    def hold(self, invoice_id: str) -> Collection | None:
        # The invoice's row lock, which the caller holds, guards its collection too.
        return self.get(invoice_id)

    def save(self, collection: Collection, at: datetime) -> None:
        self.session.execute(
            delete(t.invoice_collections).where(c.invoice_id == collection.invoice_id)
        )
        self.session.execute(
            insert(t.invoice_collections).values(
                invoice_id=collection.invoice_id,
                organization_id=collection.organization_id,
                account_id=collection.account_id,
                state=collection.state,
                next_attempt_at=collection.next_attempt_at,
                first_failure_at=collection.first_failure_at,
                failures=collection.failures,
                stages_done=collection.stages_done,
                updated_at=at,
            )
        )

    def due(
        self, organization_id: str | None, now: datetime, limit: int, after: str | None
    ) -> Sequence[tuple[str, str]]:
        new = select(inv.organization_id, inv.id.label("invoice_id")).where(
            inv.status == "open",
            inv.amount_due > 0,
            inv.finalized_at <= now,
            ~exists().where(c.invoice_id == inv.id),
            ~exists().where(ac.account_id == inv.account_id, ac.method == SEND_INVOICE),
            # an account with no card waits to be paid (in the portal, or marked paid)
            exists().where(
                pm.account_id == inv.account_id, pm.is_default.is_(True), pm.removed_at.is_(None)
            ),
        )
        scheduled = select(c.organization_id, c.invoice_id).where(
            c.state == "scheduled", c.next_attempt_at <= now
        )
        if organization_id is not None:
            new = new.where(inv.organization_id == organization_id)
            scheduled = scheduled.where(c.organization_id == organization_id)
        else:
            new = new.where(inv.organization_id.not_in(sandboxes()))
            scheduled = scheduled.where(c.organization_id.not_in(sandboxes()))
        if after is not None:
            new = new.where(inv.id > after)
            scheduled = scheduled.where(c.invoice_id > after)
        found: set[tuple[str, str]] = set()
        for q in (new.order_by(inv.id).limit(limit), scheduled.order_by(c.invoice_id).limit(limit)):
            found.update((org, invoice) for org, invoice in self.session.execute(q))
        return sorted(found, key=lambda pair: pair[1])[:limit]

    def next_attempt_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        q = select(func.min(c.next_attempt_at)).where(
            c.organization_id == organization_id,
            c.state == "scheduled",
            c.next_attempt_at > after,
            c.next_attempt_at <= until,
        )
        found: datetime | None = self.session.execute(q).scalar()
        if found is not None and found.tzinfo is None:  # SQLite's min() loses the type
            found = t.UTCDateTime().process_result_value(found, self.session.get_bind().dialect)
        return found

    def credits_waiting(self, organization_id: str | None) -> Sequence[tuple[str, str, str]]:
        e = t.ledger_entries.c
        held = (
            select(func.coalesce(func.sum(e.amount), 0))
            .where(
                e.organization_id == inv.organization_id,
                e.account_id == inv.account_id,
                e.ledger_account == "customer_credit",
                e.currency == inv.currency,
            )
            .scalar_subquery()
        )
        q = (
            select(inv.organization_id, inv.account_id, inv.currency)
            .where(inv.status == "open", inv.amount_due > 0, held < 0)
            .distinct()
        )
        if organization_id is not None:
            q = q.where(inv.organization_id == organization_id)
        else:
            q = q.where(inv.organization_id.not_in(sandboxes()))
        found = self.session.execute(q).all()
        return sorted((org, account, currency) for org, account, currency in found)

    def of_organization(self, organization_id: str, state: str | None) -> Sequence[Collection]:
        q = select(t.invoice_collections).where(c.organization_id == organization_id)
        if state is not None:
            q = q.where(c.state == state)
        q = q.order_by(c.next_attempt_at, c.invoice_id)
        return [_collection(r) for r in self.session.execute(q)]

    def of_account(self, account_id: str) -> Sequence[Collection]:
        q = select(t.invoice_collections).where(c.account_id == account_id)
        return [_collection(r) for r in self.session.execute(q.order_by(c.invoice_id))]

    def state_of(self, account_id: str) -> tuple[str, int, Sequence[Collection]]:
        a = t.accounts.c
        q = (
            select(ac.method, ac.net_days, t.invoice_collections)
            .select_from(
                t.accounts.outerjoin(t.account_collection, ac.account_id == a.id).outerjoin(
                    t.invoice_collections, c.account_id == a.id
                )
            )
            .where(a.id == account_id)
            .order_by(c.invoice_id)
        )
        rows = self.session.execute(q).all()
        first = rows[0] if rows else None
        method = first.method if first is not None and first.method else CHARGE_AUTOMATICALLY
        net_days = first.net_days if first is not None and first.net_days is not None else 0
        return method, net_days, [_collection(r) for r in rows if r.invoice_id is not None]

    # -- each account's collection method ----------------------------------------------

    def method_of(self, account_id: str) -> tuple[str, int]:
        row = self.session.execute(
            select(ac.method, ac.net_days).where(ac.account_id == account_id)
        ).first()
        return (row.method, row.net_days) if row is not None else (CHARGE_AUTOMATICALLY, 0)

    def set_method(
        self, organization_id: str, account_id: str, method: str, net_days: int, at: datetime
    ) -> None:
        self.session.execute(delete(t.account_collection).where(ac.account_id == account_id))
        self.session.execute(
            insert(t.account_collection).values(
                account_id=account_id,
                organization_id=organization_id,
                method=method,
                net_days=net_days,
                updated_at=at,
            )
        )


class SqlDunningPolicies:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, organization_id: str) -> DunningPolicy | None:
        d = t.dunning_policies.c
        data: Mapping[str, Any] | None = self.session.execute(
            select(d.policy).where(d.organization_id == organization_id)
        ).scalar()
        return policy_from_dict(data) if data is not None else None

    def put(self, organization_id: str, policy: DunningPolicy, at: datetime) -> None:
        d = t.dunning_policies.c
        self.session.execute(delete(t.dunning_policies).where(d.organization_id == organization_id))
        self.session.execute(
            insert(t.dunning_policies).values(
                organization_id=organization_id, policy=policy_to_dict(policy), updated_at=at
            )
        )
