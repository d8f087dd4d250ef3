"""The words of each e-mail notice, in the account's language, with money and dates as the
account's locale writes them and the operator's name and colour.

Each notice kind has one function here that says what it tells (its subject, paragraphs, facts
and button); ``templates/mail/notice.html`` and ``notice.txt`` lay that out as the HTML and the
plain-text part. Every sentence goes through the translation catalogs (``translate``), in the
ACCOUNT's language, whoever's process sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.notices.ports import Attachment, Draft, NoticeStore, Reminder
from plansmith.application.notices.sending import (
    ALLOWANCE_REACHED,
    INVOICE_ISSUED,
    PACK_BOUGHT,
    PAYMENT_FAILED,
    PAYMENT_RECEIVED,
    PLAN_CHANGE_AHEAD,
    TRIAL_ENDING,
)
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.plans import PlanVersion
from plansmith.domain.catalog.pricing import unit_price
from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.invoicing.events import InvoiceEvent, PlanVersionMoveScheduled
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.kernel.money import Currency
from plansmith.domain.payments.events import PaymentEvent
from plansmith.domain.subscriptions.subscription import Terms
from plansmith.domain.usage.pack_events import PackPurchased
from plansmith.domain.usage.thresholds import AllowanceThresholdReached
from plansmith.entrypoints.webui.formats import day_at, money_at
from plansmith.entrypoints.webui.i18n import DEFAULT, N_, direction, language_of, translate
from plansmith.entrypoints.webui.mail.content import Content
from plansmith.entrypoints.webui.mail.usage import allowance_reached, pack_bought
from plansmith.entrypoints.webui.words import cycle_label

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_ACCENT = "#1f6feb"


@dataclass
class MailComposer:
    uow: Callable[[], UnitOfWork]
    store: NoticeStore
    # (organization id, account id) -> a signed link into the portal that signs the customer in
    portal_link: Callable[[str, str], str]
    _env: Environment = field(init=False)

    def __post_init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def recipients(self, kind: str, event: DomainEvent) -> Sequence[tuple[str, str]]:
        return [(a.id, a.email) for a, _ in self._accounts(kind, event) if a.email]

    def compose(self, kind: str, event: DomainEvent) -> Sequence[Draft]:
        drafts = []
        for account, subscription_id in self._accounts(kind, event):
            if not account.email:
                continue
            language = language_of(account.locale) or DEFAULT
            content = self._content(kind, event, account, language, subscription_id)
            if content is None:
                continue
            drafts.append(self._draft(account, language, content))
        return drafts

    def reminder_recipients(self, reminder: Reminder) -> Sequence[tuple[str, str]]:
        with self.uow() as uow:
            account = uow.accounts.get(reminder.organization_id, reminder.account_id)
        return [(account.id, account.email)] if account is not None and account.email else []

    def compose_reminder(self, reminder: Reminder) -> Draft | None:
        org = reminder.organization_id
        with self.uow() as uow:
            account = uow.accounts.get(org, reminder.account_id)
            plan = uow.plans.get(org, reminder.plan_id)
        if account is None or plan is None or not account.email:
            return None
        language = language_of(account.locale) or DEFAULT
        locale = account.locale
        greeting = translate(language, "Hello %(name)s,") % {"name": account.name}
        if reminder.kind == TRIAL_ENDING:
            last = reminder.due_on - timedelta(days=1)  # the trial is the days before due_on
            values = {"plan": plan.name, "date": day_at(last, locale)}
            content = Content(
                subject=translate(language, "Your free trial of %(plan)s ends on %(date)s")
                % values,
                greeting=greeting,
                paragraphs=[
                    translate(
                        language,
                        "Your free trial of %(plan)s ends on %(date)s. From the day after, "
                        "the plan is billed to you at its price.",
                    )
                    % values,
                    translate(language, "To change or cancel it, use the customer portal."),
                ],
                facts=[(translate(language, "Quantity"), str(reminder.quantity))],
            )
        else:
            values = {"plan": plan.name, "date": day_at(reminder.due_on, locale)}
            content = Content(
                subject=translate(language, "Your plan %(plan)s renews on %(date)s") % values,
                greeting=greeting,
                paragraphs=[
                    translate(language, "Your plan %(plan)s renews for another year on %(date)s.")
                    % values,
                    translate(language, "To change or cancel it, use the customer portal."),
                ],
                facts=[(translate(language, "Quantity"), str(reminder.quantity))],
            )
        return self._draft(account, language, content)

    def _accounts(self, kind: str, event: DomainEvent) -> list[tuple[Account, str | None]]:
        org = event.organization_id or ""
        if isinstance(event, PlanVersionMoveScheduled):
            told = self.store.move_notices(org, event.move_id)
            with self.uow() as uow:
                found = uow.accounts.get_many(org, {n.account_id for n in told})
            return [(found[n.account_id], n.subscription_id) for n in told]
        account_id = getattr(event, "account_id", None)
        with self.uow() as uow:
            account = uow.accounts.get(org, str(account_id))
        return [(account, None)] if account is not None else []

    def _content(
        self,
        kind: str,
        event: DomainEvent,
        account: Account,
        language: str,
        subscription_id: str | None,
    ) -> Content | None:
        if kind == PLAN_CHANGE_AHEAD and isinstance(event, PlanVersionMoveScheduled):
            return self._plan_change(event, account, language, subscription_id or "")
        if kind == INVOICE_ISSUED and isinstance(event, InvoiceEvent):
            return self._invoice(event, account, language)
        if kind in (PAYMENT_FAILED, PAYMENT_RECEIVED) and isinstance(event, PaymentEvent):
            return self._payment(kind, event, account, language)
        if kind == PACK_BOUGHT and isinstance(event, PackPurchased):
            return pack_bought(self.uow(), event, account, language, self.portal_link)
        if kind == ALLOWANCE_REACHED and isinstance(event, AllowanceThresholdReached):
            return allowance_reached(self.uow(), event, account, language, self.portal_link)
        return None

    def _draft(self, account: Account, language: str, content: Content) -> Draft:
        with self.uow() as uow:
            branding = uow.branding.get(account.organization_id)
        name = branding.shown_name if branding is not None else ""
        accent = (branding.accent_colour if branding is not None else "") or DEFAULT_ACCENT
        values = {
            "content": content,
            "sender": name,
            "accent": accent,
            "lang": account.locale.replace("_", "-"),
            "dir": direction(language),
            "footer": translate(language, "You receive this e-mail as a customer of %(name)s.")
            % {"name": name},
        }
        html = self._env.get_template("mail/notice.html").render(values)
        text = self._env.get_template("mail/notice.txt").render(values)
        return Draft(
            organization_id=account.organization_id,
            account_id=account.id,
            to=(account.email,),
            sender_name=name,
            subject=content.subject,
            text=text,
            html=html,
            attachments=content.attachments,
        )

    def _greeting(self, account: Account, language: str) -> str:
        return translate(language, "Hello %(name)s,") % {"name": account.name}

    def _plan_change(
        self,
        event: PlanVersionMoveScheduled,
        account: Account,
        language: str,
        subscription_id: str,
    ) -> Content | None:
        org = event.organization_id
        told = {n.subscription_id: n for n in self.store.move_notices(org, event.move_id)}
        with self.uow() as uow:
            plan = uow.plans.get(org, event.plan_id)
            versions = {v.id: v for v in uow.plan_versions.for_plan(event.plan_id)}
            sub = uow.subscriptions.get(org, subscription_id)
        notice = told.get(subscription_id)
        if plan is None or sub is None or notice is None:
            return None
        new = versions[event.to_version_id]
        old = next((versions[v] for v in event.from_version_ids if v in versions), None)
        return plan_change_content(
            account, language, plan.name, notice.effective_on, sub.terms, old, new.terms
        )

    def preview_plan_change(
        self,
        account: Account,
        plan_name: str,
        effective_on: str,
        held: Terms,
        old: PlanVersion | None,
        new: PlanTerms,
    ) -> Draft:
        """The notice a subscriber will get when a change is published (nothing is sent)."""
        language = language_of(account.locale) or DEFAULT
        content = plan_change_content(account, language, plan_name, effective_on, held, old, new)
        return self._draft(account, language, content)

    def _invoice(self, event: InvoiceEvent, account: Account, language: str) -> Content:
        # fpdf2 and its fonts load only in a process that sends an invoice.
        from plansmith.entrypoints.webui.invoice_loading import load_invoice
        from plansmith.entrypoints.webui.invoice_pdf import render_pdf

        locale = account.locale
        number = event.number or event.invoice_id
        amount = money_at(event.amount_due, event.currency, locale)
        loaded = load_invoice(
            self.uow(), event.organization_id, event.invoice_id, language=language
        )
        pdf = Attachment(f"{number}.pdf", "application/pdf", render_pdf(loaded.document))
        facts = [
            (translate(language, "Invoice number"), number),
            (translate(language, "Total"), money_at(event.total, event.currency, locale)),
            (translate(language, "Amount due"), amount),
        ]
        if event.period_start is not None and event.period_end is not None:
            last = event.period_end - timedelta(days=1)  # periods are half-open
            period = f"{day_at(event.period_start, locale)} \N{EN DASH} {day_at(last, locale)}"
            facts.append((translate(language, "Period"), period))
        return Content(
            subject=translate(language, "Invoice %(number)s: %(amount)s")
            % {"number": number, "amount": amount},
            greeting=self._greeting(account, language),
            paragraphs=[translate(language, "Your invoice is attached to this e-mail as a PDF.")],
            facts=facts,
            attachments=(pdf,),
        )

    def _payment(self, kind: str, event: PaymentEvent, account: Account, language: str) -> Content:
        amount = money_at(event.amount, event.currency, account.locale)
        values = {"amount": amount}
        if kind == PAYMENT_RECEIVED:
            return Content(
                subject=translate(language, "Payment of %(amount)s received") % values,
                greeting=self._greeting(account, language),
                paragraphs=[
                    translate(language, "Thank you: we received your payment of %(amount)s.")
                    % values
                ],
            )
        link = self.portal_link(account.organization_id, account.id)
        return Content(
            subject=translate(language, "Your payment of %(amount)s failed") % values,
            greeting=self._greeting(account, language),
            paragraphs=[
                translate(language, "We could not collect your payment of %(amount)s.") % values,
                translate(
                    language,
                    "Please pay the invoice or change your payment method in the customer portal.",
                ),
            ],
            facts=[(translate(language, "Reason"), event.message or event.decline_code or "")]
            if (event.message or event.decline_code)
            else [],
            button=(translate(language, "Pay now"), link),
        )


def plan_change_content(
    account: Account,
    language: str,
    plan_name: str,
    effective_on: str,
    held: Terms,
    old: PlanVersion | None,
    new: PlanTerms,
) -> Content:
    """Seed 003's notice: the plan's price now and after, and when the change applies
    (``effective_on``: "now" or an ISO date, the subscriber's renewal)."""
    locale = account.locale
    values = {"plan": plan_name}
    if effective_on == "now":
        subject = translate(language, "Your plan %(plan)s changes now") % values
        when = translate(language, "The new terms apply from today.")
    else:
        values["date"] = day_at(date.fromisoformat(effective_on), locale)
        subject = translate(language, "Your plan %(plan)s changes on %(date)s") % values
        when = translate(language, "The new terms apply from your renewal on %(date)s.")
        when %= values
    facts = []
    cycle, currency = held.cycle, Currency.of(held.currency)
    every = cycle_label(cycle.name, language)
    for label, terms in ((N_("Price now"), old.terms if old else None), (N_("New price"), new)):
        if terms is None:
            continue
        try:
            amount = unit_price(terms, cycle, currency)[2]
        except DomainError:
            continue  # not offered in this cycle and currency: nothing to compare
        shown = f"{money_at(amount, currency.code, locale)} ({every})"
        facts.append((translate(language, label), shown))
    if effective_on != "now":
        facts.append((translate(language, "Takes effect"), values["date"]))
    return Content(
        subject=subject,
        greeting=translate(language, "Hello %(name)s,") % {"name": account.name},
        paragraphs=[
            translate(language, "We are changing the terms of your plan %(plan)s.") % values,
            when,
        ],
        facts=facts,
    )
