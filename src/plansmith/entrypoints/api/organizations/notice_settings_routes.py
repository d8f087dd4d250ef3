"""The organization's e-mail notice settings: an address of its own copied into every notice
its customers get (seed 003: "copy service@… into the email"), as cc or bcc.

`POST /v1/organization/notice_settings` changes the fields it names; `""` clears the copy
address. A refused value (422, problem+json naming the field) changes nothing.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from plansmith.application.notices.ports import NoticeSettings
from plansmith.application.notices.settings import (
    MAX_LEAD_DAYS,
    notice_settings,
    update_notice_settings,
)
from plansmith.entrypoints.api.deps import Container, CurrentOrg
from plansmith.entrypoints.api.schemas import Strict
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["organization"]
PATH = "/organization/notice_settings"


class NoticeSettingsUpdate(Strict):
    copy_address: str | None = Field(
        default=None,
        max_length=320,
        description="Copied into every notice; empty: none",
        examples=["service@example.com"],
    )
    copy_mode: Literal["cc", "bcc"] | None = Field(
        default=None, description="cc (customers see it) or bcc (they do not)"
    )
    trial_days_before: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_LEAD_DAYS,
        description="Days before a trial ends that the customer is told; 0: not told",
    )
    renewal_days_before: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_LEAD_DAYS,
        description="Days before an annual plan renews that the customer is told; 0: not told",
    )


class NoticeSettingsOut(BaseModel):
    object: str = "notice_settings"
    copy_address: str | None
    copy_mode: str
    trial_days_before: int
    renewal_days_before: int

    @classmethod
    def of(cls, settings: NoticeSettings) -> NoticeSettingsOut:
        return cls(
            copy_address=settings.copy_address or None,
            copy_mode=settings.copy_mode,
            trial_days_before=settings.trial_days_before,
            renewal_days_before=settings.renewal_days_before,
        )


@router.get(
    PATH,
    operation_id="get_notice_settings",
    response_model=NoticeSettingsOut,
    tags=TAGS,
)
def get_notice_settings(org: CurrentOrg, app: Container) -> NoticeSettingsOut:
    """Who is copied into the organization's e-mail notices."""
    return NoticeSettingsOut.of(notice_settings(app.notice_store, org.id))


@router.post(
    PATH,
    operation_id="update_notice_settings",
    response_model=NoticeSettingsOut,
    tags=TAGS,
)
def post_notice_settings(
    body: NoticeSettingsUpdate, org: CurrentOrg, app: Container
) -> NoticeSettingsOut:
    """Change the fields named; the others stay. 422 names a wrong field; nothing changes."""
    current = notice_settings(app.notice_store, org.id)
    address = current.copy_address if body.copy_address is None else body.copy_address
    mode = current.copy_mode if body.copy_mode is None else body.copy_mode
    saved = update_notice_settings(
        app.notice_store,
        app.clock,
        org.id,
        address,
        mode,
        trial_days_before=body.trial_days_before,
        renewal_days_before=body.renewal_days_before,
    )
    return NoticeSettingsOut.of(saved)
