"""Carrying out seed 003's "apply to existing customers": notices, and moves of subscribers.

Publishing with ``now`` or ``at_renewal`` records a move. Here, inside the publishing
transaction, every subscriber of the superseded version gets a notice saying what changes
and when; with ``now`` each one moves at once (credit for the rest of the period at the old
version, charge at the new one). With ``at_renewal`` each moves at its own renewal, carried out
by the renewal step (see renewal_moves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.subscriptions.lifecycle import (
    OPERATOR,
    Action,
    price_book,
    renewal_moves,
    run,
)
from plansmith.application.subscriptions.ports import StoredNotice
from plansmith.domain.catalog.plans import ApplyToExisting, PlanVersionMove, Timing
from plansmith.domain.invoicing.events import PlanVersionMoveScheduled
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.subscriptions import changes as rules
from plansmith.domain.subscriptions.events import VersionMoved, VersionMoveSkipped, common
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook, components
from plansmith.domain.subscriptions.subscription import Outcome, Status, Subscription


def notify_and_move(uow: UnitOfWork, move: PlanVersionMove, now: datetime) -> int:
    """Notices for every subscriber of the move's old versions; with ``now``, the moves too.

    Returns how many subscriptions were concerned.
    """
    subs = list(uow.subscriptions.holding(move.organization_id, move.from_version_ids))
    uow.publish(
        [
            PlanVersionMoveScheduled(
                organization_id=move.organization_id,
                at=now,
                move_id=move.id,
                plan_id=move.plan_id,
                from_version_ids=move.from_version_ids,
                to_version_id=move.to_version_id,
                apply=move.apply.value,
                subscriptions=len(subs),
            )
        ]
    )
    if not subs:
        return 0
    notices = [
        StoredNotice(
            id=new_id("notice"),
            subscription_id=sub.id,
            account_id=sub.account_id,
            move_id=move.id,
            effective_on="now" if move.apply is ApplyToExisting.NOW else sub.period_end.isoformat(),
            text=move.notice,
            created_at=now,
        )
        for sub in subs
    ]
    uow.subscriptions.add_notices(notices)
    if move.apply is ApplyToExisting.NOW:
        book = price_book(uow, move.organization_id)
        moves = renewal_moves(uow, move.organization_id)
        for sub in subs:
            run(uow, sub, book, moves, _move_now(move), OPERATOR, now)
    return len(subs)


def _move_now(move: PlanVersionMove) -> Action:
    def action(
        sub: Subscription, log: Sequence[Span], book: PriceBook, today: date, now: datetime
    ) -> Outcome:
        if sub.terms.version_id not in move.from_version_ids:
            return Outcome(sub)  # the catch-up renewal moved it already
        target = replace(sub.terms, version_id=move.to_version_id)
        # The customer's own scheduled change stands; if it keeps this plan, at its new version.
        scheduled = sub.scheduled
        if scheduled is not None and scheduled.terms.version_id in move.from_version_ids:
            moved_terms = replace(scheduled.terms, version_id=move.to_version_id)
            scheduled = replace(scheduled, terms=moved_terms)
        sub = replace(sub, scheduled=scheduled)
        try:
            if sub.status is Status.PAUSED:
                # Nothing is billed while paused; resuming charges at the new version, in
                # its mode (in advance or pay per day).
                components(target, book)  # refuse terms the new version cannot price
                mode = book.version(target.version_id).terms.pay_per_day
                moved = replace(sub, terms=target, pay_per_day=mode, updated_at=now)
                event = VersionMoved(
                    **common(moved, now, today, sub.status),
                    move_id=move.id,
                    from_version_id=sub.terms.version_id,
                    to_version_id=move.to_version_id,
                )
                return Outcome(moved, (), (event,))
            return rules.change(
                sub,
                target,
                book,
                log,
                today,
                now,
                Timing.NOW,
                cause="version_move",
                keep_scheduled=True,
            )
        except DomainError as exc:
            skipped = VersionMoveSkipped(
                **common(sub, now, today, sub.status),
                move_id=move.id,
                to_version_id=move.to_version_id,
                reason=exc.message,
            )
            return Outcome(sub, (), (skipped,))

    return action
