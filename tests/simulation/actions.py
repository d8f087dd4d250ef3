"""What a history is made of: actions naming accounts by their index, so a history replays (and
shrinks) without the ids the product gave out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NewAccount:
    currency: str
    zone: str
    tax: str | None = None  # an exclusive tax rate of the account's own, in percent
    declines: bool = False  # its card declines every charge


@dataclass(frozen=True)
class Subscribe:
    account: int
    plan: str
    cycle: str
    quantity: int


@dataclass(frozen=True)
class Change:
    """An immediate change of plan, seats or cycle (the family's policy applies them now)."""

    account: int
    plan: str | None = None
    quantity: int | None = None
    cycle: str | None = None


@dataclass(frozen=True)
class ChangeAtTermEnd:
    account: int
    quantity: int


@dataclass(frozen=True)
class CancelAtTermEnd:
    account: int


@dataclass(frozen=True)
class CancelNow:
    account: int


@dataclass(frozen=True)
class Pause:
    account: int


@dataclass(frozen=True)
class Resume:
    account: int


@dataclass(frozen=True)
class Reactivate:
    account: int


@dataclass(frozen=True)
class Advance:
    seconds: int


@dataclass(frozen=True)
class Usage:
    """Events sent in one batch: (event id, seconds before now). An id used before is sent
    again on purpose: it must count once."""

    account: int
    events: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TopUp:
    account: int
    amount: int


@dataclass(frozen=True)
class ReplaceCard:
    """A new default card, one that succeeds or one that declines."""

    account: int
    declines: bool


@dataclass(frozen=True)
class CreditNote:
    """A credit of `share` (in thousandths) of what is left to credit on the account's
    `back`-th newest invoice."""

    account: int
    back: int
    share: int


Action = (
    NewAccount
    | Subscribe
    | Change
    | ChangeAtTermEnd
    | CancelAtTermEnd
    | CancelNow
    | Pause
    | Resume
    | Reactivate
    | Advance
    | Usage
    | TopUp
    | ReplaceCard
    | CreditNote
)
