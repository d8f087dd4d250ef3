"""The customer search: an account's exact id, or part of its name, e-mail or external id,
case-insensitively and taken literally (``%`` and ``_`` are plain characters), within one
organization.

One test decides what matches on both databases: ``lower(column) LIKE '%text%'``. PostgreSQL
answers it from the trigram index of migration 0011 when its planner expects few matches, and
walks the organization's accounts in page order when it expects many. SQLite has no planner
statistics for its FTS5 trigram table, so the choice is made here: a first statement counts
the organization's candidates the trigram table finds, up to ``FEW``; if there are no more,
the page is built from those candidates (the same test applied to each), else by walking in
page order, which meets a page of matches soon when matches are that common. Text shorter than
a trigram is not in any index: it is searched by walking on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t

TRIGRAM = 3  # the shortest text a trigram index can find
FEW = 500  # an organization's candidates up to which SQLite builds the page from them


def accounts_matching(session: Session, organization_id: str, search: str) -> Select[Any]:
    """The organization's accounts that ``search`` finds, not yet ordered or paged."""
    c = t.accounts.c
    needle = search.lower()
    q = select(t.accounts).where(_matches(needle, search))
    if session.get_bind().dialect.name != "sqlite" or not _few(session, organization_id, needle):
        return q.where(c.organization_id == organization_id)
    ids = union_all(_candidates(needle), select(literal(search, String)))
    return q.where(c.id.in_(ids), _in_organization(organization_id))


def _matches(needle: str, search: str) -> ColumnElement[bool]:
    c = t.accounts.c
    pattern = f"%{_escape_like(needle)}%"
    return or_(
        func.lower(c.name).like(pattern, escape="\\"),
        func.lower(c.email).like(pattern, escape="\\"),
        func.lower(c.external_id).like(pattern, escape="\\"),
        c.id == search,
    )


def _few(session: Session, organization_id: str, needle: str) -> bool:
    """Whether the trigram table finds at most FEW of the organization's accounts."""
    if len(needle) < TRIGRAM:
        return False
    a = t.accounts
    found = (
        _candidates(needle)
        .join(a, a.c.id == t.account_search_rows.c.account_id)
        .where(_in_organization(organization_id))
        .limit(FEW + 1)
        .subquery()
    )
    return session.execute(select(func.count()).select_from(found)).scalar_one() <= FEW


def _in_organization(organization_id: str) -> ColumnElement[bool]:
    """The organization's accounts, a test SQLite is kept from using an index for (the unary
    '+'): else it walks the organization's accounts, the trigram table searched for each, and
    not the candidates, each account found by its id."""
    return literal_column("+accounts.organization_id", String) == organization_id


def _candidates(needle: str) -> Select[Any]:
    """Ids of the accounts whose name, e-mail or external id hold ``needle``, as the trigram
    table sees it (it folds case by Unicode, a superset of the ASCII ``lower`` of SQLite)."""
    s, r = t.account_search, t.account_search_rows
    phrase = '{name email external_id} : "' + needle.replace('"', '""') + '"'
    return (
        select(r.c.account_id)
        .select_from(s.join(r, r.c.id == s.c.rowid))
        .where(literal_column("account_search").match(phrase))
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
