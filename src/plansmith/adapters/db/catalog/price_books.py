"""The price book of an organization, kept in each process and keyed by its catalog revision.

Every catalog write marks its organization on the session; the unit of work bumps the
organization's revision in the same transaction, just before COMMIT. A reader asks for the
revision first (one primary-key read), in its own transaction, and uses its copy only if the
copy was read at that revision: a publish is seen by every process at its next request, and
no price older than the revision a request sees is ever quoted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.catalog.repositories import (
    TOUCHED,
    SqlAddOns,
    SqlPlanFamilies,
    SqlPlans,
    SqlPlanVersions,
    move_of_row,
)
from plansmith.domain.catalog.plans import PlanVersionMove
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import RenewalMove, resolved_moves


def bump_touched(session: Session) -> None:
    """Bump the revision of every organization whose catalog this transaction wrote."""
    touched: set[str] = session.info.pop(TOUCHED, set())
    if not touched:
        return
    c = t.catalog_revisions.c
    upsert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for organization_id in sorted(touched):  # one lock order: no deadlock between two writers
        q = upsert(t.catalog_revisions).values(organization_id=organization_id, revision=1)
        session.execute(
            q.on_conflict_do_update(
                index_elements=[c.organization_id], set_={"revision": c.revision + 1}
            )
        )


def forget_touched(session: Session) -> None:
    session.info.pop(TOUCHED, None)


@dataclass(frozen=True)
class Catalog:
    """What one revision of an organization's catalog prices with."""

    revision: int
    book: PriceBook
    moves: Mapping[str, RenewalMove]  # from version id -> where its subscribers go at renewal


class PriceBookCache:
    """The newest catalog read of the organizations last used, at most ``size`` of them."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._held: OrderedDict[str, Catalog] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # how many times a catalog was read from the database (for tests)

    def get(self, organization_id: str, revision: int) -> Catalog | None:
        with self._lock:
            held = self._held.get(organization_id)
            if held is None or held.revision != revision:
                return None
            self._held.move_to_end(organization_id)
            return held

    def put(self, organization_id: str, catalog: Catalog) -> None:
        with self._lock:
            self.loads += 1
            held = self._held.get(organization_id)
            if held is not None and held.revision > catalog.revision:
                return  # a slower reader of an older revision never replaces a newer copy
            self._held[organization_id] = catalog
            self._held.move_to_end(organization_id)
            while len(self._held) > self._size:
                self._held.popitem(last=False)


class SqlPriceBooks:
    """The price book of the unit of work's transaction: the revision is read once per unit of
    work; the catalog only when this process holds no copy at that revision."""

    def __init__(self, session: Session, cache: PriceBookCache) -> None:
        self.session = session
        self._cache = cache
        self._here: dict[str, Catalog] = {}

    def current(self, organization_id: str) -> PriceBook:
        return self._catalog(organization_id).book

    def moves(self, organization_id: str) -> Mapping[str, RenewalMove]:
        return self._catalog(organization_id).moves

    def revision(self, organization_id: str) -> int:
        c = t.catalog_revisions.c
        q = select(c.revision).where(c.organization_id == organization_id)
        return int(self.session.execute(q).scalar() or 0)

    def at_revision(self, organization_id: str, revision: int) -> PriceBook:
        return self._catalog(organization_id, revision).book

    def _catalog(self, organization_id: str, seen: int | None = None) -> Catalog:
        if organization_id in self.session.info.get(TOUCHED, ()):
            # This transaction changed the catalog (a publish moving subscribers now): read
            # it as it stands here, uncommitted, and keep no copy of it.
            return read_catalog(self.session, organization_id)
        found = self._here.get(organization_id)
        if found is None:
            revision = self.revision(organization_id) if seen is None else seen
            found = self._cache.get(organization_id, revision)
            if found is None:
                found = read_catalog(self.session, organization_id, revision)
                self._cache.put(organization_id, found)
            self._here[organization_id] = found
        return found


def read_catalog(session: Session, organization_id: str, revision: int = -1) -> Catalog:
    """Every family, plan, version, add-on and version move of the organization, as this
    session's transaction sees them: five reads (``revision``: the one they were read at)."""
    plans = list(SqlPlans(session).list(organization_id))
    book = PriceBook(
        families={f.id: f for f in SqlPlanFamilies(session).list(organization_id)},
        plans={p.id: p for p in plans},
        versions={v.id: v for v in SqlPlanVersions(session).for_plans([p.id for p in plans])},
        add_ons={a.code: a for a in SqlAddOns(session).list(organization_id)},
    )
    return Catalog(revision, book, resolved_moves(_moves(session, organization_id)))


def _moves(session: Session, organization_id: str) -> list[PlanVersionMove]:
    c = t.plan_version_moves.c
    q = (
        select(t.plan_version_moves)
        .where(c.organization_id == organization_id)
        .order_by(c.plan_id, c.created_at)
    )
    return [move_of_row(row) for row in session.execute(q)]
