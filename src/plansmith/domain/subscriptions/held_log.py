"""The log of what a subscription held, day by day: the plan history and the pay-per-day record.

Each span is ``[start, end)`` of local dates during which the subscription was in service with
one set of terms (``end`` None: still open). A change closes the open span and opens the next;
a cancel or pause only closes it. A span opened and closed on one day stays as ``[d, d)``: it
counts no day (nothing is billed for it) but the history still lists every plan the customer
chose, with how it ended.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.price_book import PriceBook, components
from plansmith.domain.subscriptions.proration import ActiveDays
from plansmith.domain.subscriptions.subscription import Held, Terms


@dataclass(frozen=True)
class Span:
    seq: int  # position in the subscription's log, from 1
    start: date
    end: date | None
    terms: Terms
    plan_name: str  # the version's name when the span began (e.g. "Bronze Legacy")
    trial: bool
    pay_per_day: bool
    ended_by: str | None  # changed, canceled, paused, expired, converted

    def days_within(self, start: date, end: date) -> int:
        """Days of ``[start, end)`` this span covers."""
        first = max(self.start, start)
        last = min(self.end or end, end)
        return max((last - first).days, 0)


def apply_held(log: Sequence[Span], held: Iterable[Held]) -> list[Span]:
    """The log after the given changes of held terms, in order."""
    spans = list(log)
    for change in held:
        if spans and spans[-1].end is None:
            open_span = spans[-1]
            # Held for no day (opened today, closed today) it ends where it began: no day.
            end = max(change.on, open_span.start)
            spans[-1] = replace(open_span, end=end, ended_by=change.reason)
        if change.terms is not None:
            seq = spans[-1].seq + 1 if spans else 1
            spans.append(
                Span(
                    seq=seq,
                    start=change.on,
                    end=None,
                    terms=change.terms,
                    plan_name=change.plan_name,
                    trial=change.trial,
                    pay_per_day=change.pay_per_day,
                    ended_by=None,
                )
            )
    return spans


def active_days(
    log: Iterable[Span], period: Period, through: date, book: PriceBook
) -> list[ActiveDays]:
    """Pay-per-day days in service in ``[period.start, through)``, priced per span."""
    result: list[ActiveDays] = []
    for span in log:
        if not span.pay_per_day or span.trial:
            continue
        days = span.days_within(period.start, through)
        if days:
            result.extend(ActiveDays(part, days) for part in components(span.terms, book))
    return result


def changed_spans(before: Sequence[Span], after: Sequence[Span]) -> tuple[list[Span], list[int]]:
    """(spans to write, seqs to delete) turning ``before`` into ``after``."""
    old = {s.seq: s for s in before}
    new = {s.seq: s for s in after}
    write = [s for seq, s in new.items() if old.get(seq) != s]
    delete = [seq for seq in old if seq not in new]
    return write, delete
