"""An organization's notice settings: seed 003's "copy service@… into the email", as cc or
bcc on every notice its customers get."""

from __future__ import annotations

from typing import cast

from plansmith.application.kernel import validation
from plansmith.application.kernel.ports import Clock
from plansmith.application.notices.ports import CopyMode, NoticeSettings, NoticeStore
from plansmith.domain.kernel.errors import InvalidValue

COPY_MODES = ("cc", "bcc")


def notice_settings(store: NoticeStore, organization_id: str) -> NoticeSettings:
    return store.settings(organization_id)


def update_notice_settings(
    store: NoticeStore, clock: Clock, organization_id: str, copy_address: str, copy_mode: str
) -> NoticeSettings:
    """Set the copy address ("" for none) and whether it is a cc or a bcc; nothing is written
    when either is refused."""
    if copy_mode not in COPY_MODES:
        raise InvalidValue("copy_mode is cc or bcc", field="copy_mode")
    address = copy_address.strip()
    if address:
        address = validation.email_address(address, field="copy_address")
    chosen = NoticeSettings(address, cast(CopyMode, copy_mode))
    store.save_settings(organization_id, chosen, clock.now())
    return chosen
