"""E-mail notices' words and layout (presentation), and how a process that relays events
gets them: ``equip(plansmith)``."""

from __future__ import annotations

from plansmith.application.notices.ports import Composer
from plansmith.application.organizations.organizations import MAX_LINK_SECONDS, create_portal_link
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.mail.composer import MailComposer


def composer(plansmith: Plansmith) -> Composer:
    def portal_link(organization_id: str, account_id: str) -> str:
        link = create_portal_link(
            plansmith.uow(),
            plansmith.clock,
            plansmith.signer,
            organization_id,
            account_id,
            ttl_seconds=MAX_LINK_SECONDS,
        )
        return plansmith.portal_url(link.token)

    return MailComposer(plansmith.uow, plansmith.notice_store, portal_link)


def equip(plansmith: Plansmith) -> Plansmith:
    """Let this process's relay send e-mail notices (unless the settings switch them off)."""
    if plansmith.settings.mail_notices:
        plansmith.composer = composer
    return plansmith
