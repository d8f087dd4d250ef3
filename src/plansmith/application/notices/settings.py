"""An organization's notice settings: seed 003's "copy service@… into the email", as cc or
bcc on every notice its customers get."""

from __future__ import annotations

from typing import cast

from plansmith.application.kernel import validation
from plansmith.application.kernel.ports import Clock
from plansmith.application.notices.ports import CopyMode, NoticeSettings, NoticeStore
from plansmith.domain.kernel.errors import InvalidValue

COPY_MODES = ("cc", "bcc")
MAX_LEAD_DAYS = 60  # as far ahead as the reminders look


def notice_settings(store: NoticeStore, organization_id: str) -> NoticeSettings:
    return store.settings(organization_id)


def update_notice_settings(
    store: NoticeStore,
    clock: Clock,
    organization_id: str,
    copy_address: str,
    copy_mode: str,
    *,
    trial_days_before: int | None = None,
    renewal_days_before: int | None = None,
) -> NoticeSettings:
    """Set the copy address ("" for none) and whether it is a cc or a bcc, and the lead days
    of the trial and annual renewal reminders (None: as they are; 0: no reminder); nothing is
    written when any is refused."""
    if copy_mode not in COPY_MODES:
        raise InvalidValue("copy_mode is cc or bcc", field="copy_mode")
    address = copy_address.strip()
    if address:
        address = validation.email_address(address, field="copy_address")
    current = store.settings(organization_id)
    trial = _days(trial_days_before, current.trial_days_before, "trial_days_before")
    renewal = _days(renewal_days_before, current.renewal_days_before, "renewal_days_before")
    chosen = NoticeSettings(address, cast(CopyMode, copy_mode), trial, renewal)
    store.save_settings(organization_id, chosen, clock.now())
    return chosen


def _days(value: int | None, current: int, field: str) -> int:
    if value is None:
        return current
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LEAD_DAYS:
        raise InvalidValue(
            f"{field} is a whole number of days from 0 to {MAX_LEAD_DAYS}", field=field
        )
    return value
