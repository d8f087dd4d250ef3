"""Claims and records of e-mail notices, and organizations' notice settings. Each method is
its own short transaction: a claim must be committed before the message goes to the server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import LargeBinary, RowMapping, and_, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.reading import read_scope
from plansmith.application.notices.ports import (
    SENDING,
    SENT,
    CopyMode,
    MoveNotice,
    NoticeKey,
    NoticeSettings,
    PendingMove,
    Reminder,
    SentNotice,
)
from plansmith.application.notices.sending import RENEWAL_COMING, TRIAL_ENDING
from plansmith.application.notices.settings import MAX_LEAD_DAYS

# A released claim is dated this early: any lease has run out on it.
RELEASED = datetime(1970, 1, 1, tzinfo=UTC)


def _key_filter(key: NoticeKey) -> Any:
    c = t.sent_notices.c
    return and_(
        c.event_id == key.event_id,
        c.kind == key.kind,
        c.account_id == key.account_id,
        c.recipient == key.recipient,
    )


def _notice(r: RowMapping) -> SentNotice:
    return SentNotice(
        key=NoticeKey(r["event_id"], r["kind"], r["account_id"], r["recipient"]),
        organization_id=r["organization_id"],
        status=r["status"],
        message_id=r["message_id"],
        subject=r["subject"],
        envelope=tuple(r["envelope"].splitlines()),
        message=bytes(r["message"]),
        claimed_at=r["claimed_at"],
        sent_at=r["sent_at"],
        attempts=r["attempts"],
        last_error=r["last_error"],
    )


class SqlNoticeStore:
    def __init__(
        self, sessions: sessionmaker[Session], reader: sessionmaker[Session] | None = None
    ) -> None:
        self._sessions = sessions
        self._reader = reader or sessions

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A page's reads join its request's one reading transaction (adapters/db/reading)."""
        scope = read_scope()
        if scope is not None:
            yield scope.session(self._reader)
            return
        with self._sessions() as session:
            yield session

    def find(self, key: NoticeKey) -> SentNotice | None:
        with self._sessions() as session:
            row = session.execute(select(t.sent_notices).where(_key_filter(key))).mappings()
            found = row.first()
            return _notice(found) if found is not None else None

    def claim(self, notice: SentNotice) -> bool:
        key = notice.key
        values = {
            "event_id": key.event_id,
            "kind": key.kind,
            "account_id": key.account_id,
            "recipient": key.recipient,
            "organization_id": notice.organization_id,
            "status": notice.status,
            "message_id": notice.message_id,
            "subject": notice.subject,
            "envelope": "\n".join(notice.envelope),
            "message": notice.message,
            "claimed_at": notice.claimed_at,
            "sent_at": None,
            "attempts": 1,
            "last_error": None,
        }
        with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            make = pg_insert if dialect == "postgresql" else sqlite_insert
            done = session.execute(make(t.sent_notices).values(values).on_conflict_do_nothing())
            session.commit()
            return bool(cast(Any, done).rowcount)

    def take_over(self, key: NoticeKey, claimed_at: datetime, now: datetime) -> bool:
        c = t.sent_notices.c
        with self._sessions() as session:
            done = session.execute(
                update(t.sent_notices)
                .where(_key_filter(key), c.status == SENDING, c.claimed_at == claimed_at)
                .values(claimed_at=now, attempts=c.attempts + 1)
            )
            session.commit()
            return bool(cast(Any, done).rowcount)

    def release(self, key: NoticeKey, error: str, claimed_at: datetime) -> None:
        c = t.sent_notices.c
        with self._sessions() as session:
            session.execute(
                update(t.sent_notices)
                .where(_key_filter(key), c.status == SENDING, c.claimed_at == claimed_at)
                .values(claimed_at=RELEASED, last_error=error[:2000])
            )
            session.commit()

    def finish(
        self, key: NoticeKey, status: str, at: datetime, error: str | None, claimed_at: datetime
    ) -> None:
        c = t.sent_notices.c
        mine = _key_filter(key)
        if status != SENT:  # a late refusal never overwrites another sender's claim or send
            mine = and_(mine, c.status == SENDING, c.claimed_at == claimed_at)
        with self._sessions() as session:
            session.execute(
                update(t.sent_notices)
                .where(mine)
                .values(status=status, sent_at=at, last_error=error)
            )
            session.commit()

    def settings(self, organization_id: str) -> NoticeSettings:
        c = t.notice_settings.c
        with self._reading() as session:
            query = select(t.notice_settings).where(c.organization_id == organization_id)
            row = session.execute(query).mappings().first()
        if row is None:
            return NoticeSettings()
        return NoticeSettings(
            row["copy_address"],
            cast(CopyMode, row["copy_mode"]),
            row["trial_days_before"],
            row["renewal_days_before"],
        )

    def save_settings(self, organization_id: str, settings: NoticeSettings, at: datetime) -> None:
        values = {
            "copy_address": settings.copy_address,
            "copy_mode": settings.copy_mode,
            "trial_days_before": settings.trial_days_before,
            "renewal_days_before": settings.renewal_days_before,
            "updated_at": at,
        }
        with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            make = pg_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                make(t.notice_settings)
                .values(organization_id=organization_id, **values)
                .on_conflict_do_update(index_elements=["organization_id"], set_=values)
            )
            session.commit()

    def sent_to(self, organization_id: str, account_id: str, limit: int) -> Sequence[SentNotice]:
        c = t.sent_notices.c
        listed = [col for col in t.sent_notices.c if col.name != "message"]
        with self._reading() as session:
            rows = session.execute(
                select(*listed, literal(b"", LargeBinary).label("message"))
                .where(c.organization_id == organization_id, c.account_id == account_id)
                .order_by(c.claimed_at.desc(), c.message_id)
                .limit(limit)
            ).mappings()
            return [_notice(r) for r in rows]

    def one(self, organization_id: str, account_id: str, message_id: str) -> SentNotice | None:
        c = t.sent_notices.c
        with self._reading() as session:
            row = (
                session.execute(
                    select(t.sent_notices).where(
                        c.organization_id == organization_id,
                        c.account_id == account_id,
                        c.message_id == message_id,
                    )
                )
                .mappings()
                .first()
            )
            return _notice(row) if row is not None else None

    def move_notices(self, organization_id: str, move_id: str) -> Sequence[MoveNotice]:
        # The subscribers' notices are recorded by the move in the publishing transaction.
        c = t.subscription_notices.c
        with self._reading() as session:
            rows = session.execute(
                select(c.subscription_id, c.account_id, c.effective_on)
                .where(c.move_id == move_id)
                .order_by(c.account_id, c.subscription_id)
            ).all()
        return [MoveNotice(r.subscription_id, r.account_id, r.effective_on) for r in rows]

    def pending_move(self, organization_id: str, subscription_id: str) -> PendingMove | None:
        n, m = t.subscription_notices.c, t.plan_version_moves.c
        with self._reading() as session:
            row = session.execute(
                select(n.effective_on, m.to_version_id, n.created_at)
                .join(t.plan_version_moves, m.id == n.move_id)
                .where(n.organization_id == organization_id, n.subscription_id == subscription_id)
                .order_by(n.created_at.desc())
                .limit(1)
            ).first()
        return None if row is None else PendingMove(row.effective_on, row.to_version_id)

    def due_reminders(self, organization_id: str | None, today: date) -> Sequence[Reminder]:
        s, o, n = t.subscriptions.c, t.organizations.c, t.notice_settings.c
        defaults = NoticeSettings()
        trial_days = func.coalesce(n.trial_days_before, defaults.trial_days_before)
        renewal_days = func.coalesce(n.renewal_days_before, defaults.renewal_days_before)
        horizon = today + timedelta(days=MAX_LEAD_DAYS)
        query = (
            select(
                s.id,
                s.organization_id,
                s.account_id,
                s.plan_id,
                s.quantity,
                s.status,
                s.trial_end,
                s.period_end,
                trial_days,
                renewal_days,
            )
            .join(t.organizations, o.id == s.organization_id)
            .outerjoin(t.notice_settings, n.organization_id == s.organization_id)
            .where(
                or_(
                    and_(s.status == "trialing", s.trial_end > today, s.trial_end <= horizon),
                    and_(
                        s.status == "active",
                        s.cycle == "year",
                        s.cancel_at_period_end.is_(False),
                        s.period_end > today,
                        s.period_end <= horizon,
                    ),
                )
            )
            .order_by(s.id)
        )
        if organization_id is None:
            query = query.where(o.test_clock_at.is_(None))  # a sandbox keeps its own time
        else:
            query = query.where(s.organization_id == organization_id)
        with self._sessions() as session:
            rows = session.execute(query).all()
        found = []
        for r in rows:
            trial = r.status == "trialing"
            due, lead = (r.trial_end, r[8]) if trial else (r.period_end, r[9])
            if due - timedelta(days=lead) <= today:
                kind = TRIAL_ENDING if trial else RENEWAL_COMING
                found.append(
                    Reminder(
                        kind, r.organization_id, r.account_id, r.id, r.plan_id, r.quantity, due
                    )
                )
        return found
