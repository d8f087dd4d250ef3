"""E-mail notices: what a notice is before it is a message (a draft), who writes drafts (a
composer: presentation, in the account's language), who hands messages to a server (a mailer),
and where each message is claimed and recorded (the store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

from plansmith.domain.kernel.events import DomainEvent

SENDING, SENT, REFUSED = "sending", "sent", "refused"
CopyMode = Literal["cc", "bcc"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Draft:
    """One notice for one account, written in its language, not yet a message."""

    organization_id: str
    account_id: str
    to: tuple[str, ...]  # the account's billing contacts
    sender_name: str  # the operator's name customers know
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


class Composer(Protocol):
    def recipients(self, kind: str, event: DomainEvent) -> Sequence[tuple[str, str]]:
        """(account id, address) of everyone notice ``kind`` of ``event`` goes to; cheap
        (no rendering), so an event handed again costs a read."""
        ...

    def compose(self, kind: str, event: DomainEvent) -> Sequence[Draft]:
        """The drafts of notice ``kind`` for ``event`` (none: nobody to tell)."""
        ...

    def reminder_recipients(self, reminder: Reminder) -> Sequence[tuple[str, str]]: ...

    def compose_reminder(self, reminder: Reminder) -> Draft | None: ...


class MailRefused(Exception):
    """The server refused the message for good (every recipient refused, a 5xx answer):
    sending it again would be refused again."""


class Mailer(Protocol):
    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Hand ``message`` to the server for ``recipients``; returns once the server accepted
        it. Raises MailRefused for a permanent refusal, anything else for a passing one."""
        ...


@dataclass(frozen=True)
class NoticeKey:
    event_id: str
    kind: str
    account_id: str
    recipient: str


@dataclass(frozen=True)
class SentNotice:
    key: NoticeKey
    organization_id: str
    status: str  # sending, sent, refused
    message_id: str
    subject: str
    envelope: tuple[str, ...]  # every address the server is given (to, cc and bcc)
    message: bytes
    claimed_at: datetime
    sent_at: datetime | None = None
    attempts: int = 1
    last_error: str | None = None


@dataclass(frozen=True)
class NoticeSettings:
    """An organization's notice settings: an address of its own copied into every notice."""

    copy_address: str = ""
    copy_mode: CopyMode = "bcc"
    trial_days_before: int = 3  # customers are told this many days before a trial ends
    renewal_days_before: int = 7  # and before an annual plan renews


class NoticeStore(Protocol):
    """Each call is its own short transaction."""

    def find(self, key: NoticeKey) -> SentNotice | None: ...

    def claim(self, notice: SentNotice) -> bool:
        """Insert the claim; False if a row with its key exists (nothing written)."""
        ...

    def take_over(self, key: NoticeKey, claimed_at: datetime, now: datetime) -> bool:
        """Claim again a ``sending`` row still claimed at ``claimed_at`` (one statement, so
        two senders never both take it over)."""
        ...

    def release(self, key: NoticeKey, error: str, claimed_at: datetime) -> None:
        """The server did not accept it: let the next try send it at once; nothing if the
        claim of ``claimed_at`` was taken over meanwhile (the new holder's send stands)."""
        ...

    def finish(
        self, key: NoticeKey, status: str, at: datetime, error: str | None, claimed_at: datetime
    ) -> None:
        """Record the outcome: ``sent`` whoever holds the claim (the server accepted it);
        ``refused`` only by the holder of the claim of ``claimed_at``."""
        ...

    def settings(self, organization_id: str) -> NoticeSettings: ...

    def save_settings(
        self, organization_id: str, settings: NoticeSettings, at: datetime
    ) -> None: ...

    def sent_to(self, organization_id: str, account_id: str, limit: int) -> Sequence[SentNotice]:
        """An account's notices, newest first, without their messages (``message`` empty)."""
        ...

    def one(self, organization_id: str, account_id: str, message_id: str) -> SentNotice | None: ...

    def move_notices(self, organization_id: str, move_id: str) -> Sequence[MoveNotice]:
        """The subscribers told of a plan-version move (recorded when it was published)."""
        ...

    def pending_move(self, organization_id: str, subscription_id: str) -> PendingMove | None: ...

    def due_reminders(self, organization_id: str | None, today: date) -> Sequence[Reminder]:
        """Trials ending and annual renewals within each organization's lead days after
        ``today`` (``organization_id`` None: every live organization)."""
        ...


@dataclass(frozen=True)
class Reminder:
    """A trial that ends, or an annual plan that renews, within the organization's lead days."""

    kind: str  # trial_ending or renewal_coming
    organization_id: str
    account_id: str
    subscription_id: str
    plan_id: str
    quantity: int
    due_on: date  # the trial's last day + 1 (when it converts), or the renewal date


@dataclass(frozen=True)
class PendingMove:
    """The latest plan-version move a subscription was told of."""

    effective_on: str  # "now" or an ISO date
    to_version_id: str


@dataclass(frozen=True)
class MoveNotice:
    subscription_id: str
    account_id: str
    effective_on: str  # "now" or an ISO date
