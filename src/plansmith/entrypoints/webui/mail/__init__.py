"""E-mail notices' words and layout (presentation), and how a process that relays events
gets them: ``equip(plansmith)``."""

from __future__ import annotations

from plansmith.application.notices.ports import Draft
from plansmith.application.organizations.organizations import MAX_LINK_SECONDS, create_portal_link
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import PlanVersion
from plansmith.entrypoints.webui.mail.composer import MailComposer


def composer(plansmith: Plansmith) -> MailComposer:
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


def preview_plan_change(
    plansmith: Plansmith,
    organization_id: str,
    plan_name: str,
    current: PlanVersion,
    draft: PlanVersion,
    apply: str,
) -> Draft | None:
    """The notice the first subscriber of ``current`` would get if ``draft`` were published
    for existing customers (``apply``: now or at_renewal); None when it has no subscriber."""
    with plansmith.uow() as uow:
        held = uow.subscriptions.holding(organization_id, [current.id])
        sub = min(held, key=lambda s: s.id, default=None)
        account = uow.accounts.get(organization_id, sub.account_id) if sub else None
    if sub is None or account is None:
        return None
    effective = "now" if apply == "now" else sub.period_end.isoformat()
    return composer(plansmith).preview_plan_change(
        account, plan_name, effective, sub.terms, current, draft.terms
    )
