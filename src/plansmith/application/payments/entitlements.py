"""Entitlements: what an account may use now, the operator's hot path (asked before each use).

Every feature flag of the plans and add-ons held by the account's subscriptions in service,
and every metered allowance with its standing in the current period (included, extra from
packs, used, remaining, limit) and whether one more use of ``units`` is allowed. An account
blocked by dunning (a ``restrict`` stage applied to one of its unpaid invoices) is denied
every feature and every use, with the reason ``overdue_blocked``.

Two statements besides the caller's authentication, read from the daily aggregates (never the
events): one for the account with its subscriptions in service and their held-terms logs, its
collections state, the dunning policy, the paid packs and the catalog revision (the catalog
itself from the process's copy at that revision), one for the period's aggregates of the
account's meters (one more per further period, when its subscriptions run on different
anchors).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.subscriptions.allowance_standing import (
    MeterStanding,
    period_totals,
    standings_from,
)
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.dunning import DEFAULT_POLICY, OverdueState, overdue_state
from plansmith.domain.subscriptions.usage_standing import granted_meters
from plansmith.domain.usage.charges import decimal_value

BLOCKED = "overdue_blocked"  # dunning applied a restrict stage
OVER_LIMIT = "limit_exceeded"  # the use does not fit in what is left under a hard limit


@dataclass(frozen=True)
class Feature:
    feature: str
    allowed: bool
    reason: str | None


@dataclass(frozen=True)
class Allowance:
    standing: MeterStanding
    allowed: bool
    reason: str | None


@dataclass(frozen=True)
class Entitlements:
    account: Account
    overdue_state: str  # "", warning, blocked
    units: Fraction
    features: tuple[Feature, ...]
    allowances: tuple[Allowance, ...]


def check_units(value: object) -> Fraction:
    """The units of the use asked about: a decimal above 0 (default 1)."""
    if value is None:
        return Fraction(1)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidValue("units is a number above 0, like 1 or 2.5", field="units")
    units = decimal_value(str(value), "units")
    if units <= 0 or units > 10**12:
        raise InvalidValue("units is a number above 0 and below 10^12", field="units")
    return units


def _named(account_id: str | None, external_id: str | None) -> tuple[str, str]:
    if (account_id is None) == (external_id is None):
        raise InvalidValue(
            "name the account by account_id or external_id (one)", field="account_id"
        )
    if account_id is not None:
        return "account_id", account_id
    assert external_id is not None
    return "external_id", external_id


def entitlements(
    uow: UnitOfWork,
    organization_id: str,
    *,
    account_id: str | None = None,
    external_id: str | None = None,
    meter: str | None = None,
    units: object = None,
) -> Entitlements:
    wanted = check_units(units)
    field, named = _named(account_id, external_id)
    with uow:
        read = uow.standing_reads.account_standing(organization_id, account_id, external_id)
        if read is None:
            raise NotFound(f"no account {named!r}", field=field, code=ec.ACCOUNT_NOT_FOUND)
        book = uow.price_books.at_revision(organization_id, read.catalog_revision)
        subs = [(s, log) for s, log in read.subscriptions if s.in_service]
        state = OverdueState.NONE
        if read.unpaid_stages is not None:
            # Stages apply in order: the most applied to one invoice says the account's state.
            state = overdue_state(read.policy or DEFAULT_POLICY, read.unpaid_stages)
        blocked = state is OverdueState.BLOCKED
        flags: set[str] = set()
        for sub, _log in subs:
            version = book.versions.get(sub.terms.version_id)
            if version is not None:
                flags |= set(version.terms.features)
            for code in sub.terms.add_ons:
                add_on = book.add_ons.get(code)
                if add_on is not None:
                    flags |= set(add_on.features)
        features = tuple(
            Feature(f, not blocked, BLOCKED if blocked else None) for f in sorted(flags)
        )
        granted = [(s, log, granted_meters(book, s.terms)) for s, log in subs]
        if meter is not None and not any(meter in found for _s, _l, found in granted):
            raise InvalidValue(
                f"no subscription of the account grants an allowance of {meter!r}",
                field="meter",
                code=ec.UNKNOWN_REFERENCE,
            )
        allowances: list[Allowance] = []
        seen: set[str] = set()
        totals: dict[tuple[date, date], dict[str, Fraction]] = {}  # one read per period
        # The oldest subscription granting a meter holds its allowance (and bills its usage).
        for sub, log, found in sorted(granted, key=lambda g: (g[0].created_at, g[0].id)):
            meters = (found & {meter} if meter is not None else found) - seen
            if not meters:
                continue
            seen |= meters
            period = (sub.period_start, sub.period_end)
            if period not in totals:
                totals[period] = period_totals(uow, organization_id, sub.account_id, *period)
            for standing in standings_from(book, sub, log, totals[period], read.packs, meters):
                fits = standing.allows(wanted)
                reason = BLOCKED if blocked else (None if fits else OVER_LIMIT)
                allowances.append(Allowance(standing, fits and not blocked, reason))
    return Entitlements(read.account, state.value, wanted, features, tuple(allowances))
