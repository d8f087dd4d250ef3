"""Sent notices as the portal and the console show them: the kind in words, and a message's
plain-text part read back (what the customer got, as it was sent)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from plansmith.application.notices.ports import SentNotice
from plansmith.application.notices.sending import (
    INVOICE_ISSUED,
    PAYMENT_FAILED,
    PAYMENT_RECEIVED,
    PLAN_CHANGE_AHEAD,
    RENEWAL_COMING,
    TRIAL_ENDING,
)
from plansmith.entrypoints.webui.i18n import N_

KINDS = {
    PLAN_CHANGE_AHEAD: N_("Plan change ahead"),
    INVOICE_ISSUED: N_("Invoice issued"),
    PAYMENT_FAILED: N_("Payment failed"),
    PAYMENT_RECEIVED: N_("Payment received"),
    TRIAL_ENDING: N_("Trial ending"),
    RENEWAL_COMING: N_("Renewal coming"),
}
STATUSES = {"sending": N_("Sending"), "sent": N_("Sent"), "refused": N_("Refused")}


def message_key(notice: SentNotice) -> str:
    """The Message-ID without its angle brackets: what a page's ``?message=`` names."""
    return notice.message_id.strip().strip("<>")


def text_of(notice: SentNotice) -> tuple[str, list[str]]:
    """The plain-text part of a sent notice, and its attachments' file names."""
    parsed = message_from_bytes(notice.message, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(preferencelist=("plain",))
    text = str(part.get_content()) if part is not None else ""
    names = [str(a.get_filename() or "") for a in parsed.iter_attachments()]
    return text.replace("\r\n", "\n"), names
