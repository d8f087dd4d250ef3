"""The e-mail notices subscriber: maps outbox events to notices and sends each message once as
far as the SMTP server acknowledged it.

For each (event, kind, account, recipient):
1. a claim is written in its own transaction before anything is sent, holding the message as
   it will go out (its Message-ID included);
2. the message is handed to the server;
3. the claim is marked ``sent`` once the server accepted it.
A relay that hands the event again finds ``sent`` and sends nothing. A claim still ``sending``
belongs to a sender that is at it or died: after ``lease`` it is taken over (one conditional
update) and the SAME stored message is sent again. A crash in the instant between the server's
acknowledgement and step 3 thus sends it twice, with one Message-ID the receiving side can
deduplicate by; a crash anywhere else sends it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.ports import Clock
from plansmith.application.notices.ports import (
    REFUSED,
    SENDING,
    SENT,
    Composer,
    Draft,
    Mailer,
    MailRefused,
    NoticeKey,
    NoticeSettings,
    NoticeStore,
    Reminder,
    SentNotice,
)

log = logging.getLogger("plansmith.notices")

PLAN_CHANGE_AHEAD = "plan_change_ahead"
INVOICE_ISSUED = "invoice_issued"
PAYMENT_FAILED = "payment_failed"
PAYMENT_RECEIVED = "payment_received"
TRIAL_ENDING = "trial_ending"
RENEWAL_COMING = "renewal_coming"
PACK_BOUGHT = "pack_bought"
ALLOWANCE_REACHED = "allowance_reached"
# After each billing run, trials ending and annual renewals coming are looked for.
REMINDERS = "billing_run.finished"
# Which event brings which notice; every other event type is passed over at once.
KINDS: dict[str, str] = {
    "plan_version.move_scheduled": PLAN_CHANGE_AHEAD,
    "invoice.finalized": INVOICE_ISSUED,
    "payment.failed": PAYMENT_FAILED,
    "payment.succeeded": PAYMENT_RECEIVED,
    "pack.purchased": PACK_BOUGHT,
    "allowance.threshold_reached": ALLOWANCE_REACHED,
}
DEFAULT_LEASE = timedelta(seconds=120)


class NoticeBusy(Exception):
    """Another sender holds the claim: the relay hands the event again later."""


@dataclass(frozen=True)
class MailIdentity:
    sender: str  # PLANSMITH_MAIL_FROM
    reply_to: str | None = None


def build_message(
    draft: Draft,
    to: str,
    identity: MailIdentity,
    settings: NoticeSettings,
    message_id: str,
    at: datetime,
    headers: dict[str, str],
) -> tuple[bytes, tuple[str, ...]]:
    """The message as the server gets it, and its envelope (to, then cc or bcc)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr((draft.sender_name, identity.sender))
    message["To"] = to
    envelope = [to]
    copy = settings.copy_address
    if copy and copy != to:
        envelope.append(copy)
        if settings.copy_mode == "cc":
            message["Cc"] = copy  # a bcc is in the envelope only, never in a header
    if identity.reply_to:
        message["Reply-To"] = identity.reply_to
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(draft.text)
    message.add_alternative(draft.html, subtype="html")
    for attachment in draft.attachments:
        main, _, sub = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=main, subtype=sub, filename=attachment.filename
        )
    return message.as_bytes(), tuple(envelope)


@dataclass
class Notices:
    """One outbox subscriber for every e-mail notice."""

    composer: Composer
    mailer: Mailer
    store: NoticeStore
    clock: Clock
    identity: MailIdentity
    lease: timedelta = DEFAULT_LEASE

    @property
    def name(self) -> str:
        return "notices"

    def handle(self, event: PublishedEvent) -> None:
        if event.type == REMINDERS:
            self._remind(event)
            return
        kind = KINDS.get(event.type)
        if kind is None or event.organization_id is None:
            return
        if kind in (PAYMENT_FAILED, PAYMENT_RECEIVED) and _payment_kind(event) != "payment":
            return  # top-ups and refunds have no notice of their own
        drafts: Sequence[Draft] | None = None

        def draft_for(account_id: str) -> Draft | None:
            # Composed only when a message is still to be claimed: an event handed again
            # renders no PDF for messages already sent.
            nonlocal drafts
            if drafts is None:
                drafts = self.composer.compose(kind, event.event)
            return next((d for d in drafts if d.account_id == account_id), None)

        for account_id, to in self.composer.recipients(kind, event.event):
            self._once(NoticeKey(event.id, kind, account_id, to), draft_for, event.id)

    def _remind(self, event: PublishedEvent) -> None:
        """After a billing run: trials ending and annual renewals within the lead days, each
        told once (keyed by the subscription and the date, not by the run that found it)."""
        as_of = getattr(event.event, "as_of", None)
        if not isinstance(as_of, datetime):
            return
        for reminder in self.store.due_reminders(event.organization_id, as_of.date()):
            prefix = "t" if reminder.kind == TRIAL_ENDING else "r"
            key_id = f"{prefix}:{reminder.subscription_id}:{reminder.due_on:%Y%m%d}"
            for account_id, to in self.composer.reminder_recipients(reminder):
                key = NoticeKey(key_id, reminder.kind, account_id, to)
                self._once(key, _reminder_draft(self.composer, reminder), event.id)

    def _once(
        self, key: NoticeKey, draft_for: Callable[[str], Draft | None], event_id: str
    ) -> None:
        """Send the message of ``key`` unless it was sent: claim, send, record."""
        found = self.store.find(key)
        if found is None:
            draft = draft_for(key.account_id)
            if draft is None:
                return  # nothing to tell any more (the account has no such notice)
            found = self._claim(key, draft, event_id)
            if found is None:
                return  # another sender claimed it and finished it first
        elif found.status != SENDING:
            return  # sent (or refused for good) already
        elif not self._take_over(found):
            raise NoticeBusy(f"{key} is being sent by another sender")
        self._send(found)

    def _claim(self, key: NoticeKey, draft: Draft, event_id: str) -> SentNotice | None:
        now = self.clock.now()
        settings = self.store.settings(draft.organization_id)
        domain = self.identity.sender.rpartition("@")[2] or "plansmith.invalid"
        message_id = make_msgid(idstring=key.kind.replace("_", "-"), domain=domain)
        headers = {"X-Plansmith-Notice": key.kind, "X-Plansmith-Event": event_id}
        raw, envelope = build_message(
            draft, key.recipient, self.identity, settings, message_id, now, headers
        )
        claim = SentNotice(
            key, draft.organization_id, SENDING, message_id, draft.subject, envelope, raw, now
        )
        if self.store.claim(claim):
            return claim
        found = self.store.find(key)
        if found is None or found.status != SENDING:
            return None
        taken = self._take_over(found)
        if taken is None:
            raise NoticeBusy(f"{key} is being sent by another sender")
        return taken

    def _take_over(self, found: SentNotice) -> SentNotice | None:
        """The stale claim taken over, as this sender now holds it; None if it is not stale
        or another sender took it first."""
        now = self.clock.now()
        if found.claimed_at > now - self.lease:
            return None
        if not self.store.take_over(found.key, found.claimed_at, now):
            return None
        return replace(found, claimed_at=now)

    def _send(self, notice: SentNotice) -> None:
        try:
            self.mailer.send(self.identity.sender, notice.envelope, notice.message)
        except MailRefused as exc:
            log.warning("notice %s refused: %s", notice.message_id, exc)
            self.store.finish(notice.key, REFUSED, self.clock.now(), str(exc), notice.claimed_at)
            return
        except Exception as exc:
            # Not accepted: the next pass may send it again at once, the same message (unless
            # another sender took the claim over meanwhile: then it is that sender's).
            self.store.release(notice.key, repr(exc), notice.claimed_at)
            raise
        self.store.finish(notice.key, SENT, self.clock.now(), None, notice.claimed_at)


def _reminder_draft(composer: Composer, reminder: Reminder) -> Callable[[str], Draft | None]:
    return lambda _account_id: composer.compose_reminder(reminder)


def _payment_kind(event: PublishedEvent) -> str:
    return str(getattr(event.event, "kind", ""))
