"""The operator console's customer page as one query: the account, its invoice addresses, its
plans per family with their history, and its usage in a billing period, read in one unit of
work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.console_usage import UsageSection, usage_section
from plansmith.application.subscriptions.lifecycle import price_book
from plansmith.application.subscriptions.queries import FamilyPlans, family_plans
from plansmith.domain.accounts.account import Account, InvoiceAddress


@dataclass(frozen=True)
class CustomerPage:
    account: Account
    addresses: tuple[InvoiceAddress, ...]  # oldest first
    families: tuple[FamilyPlans, ...]  # the families the account has a subscription in
    usage: UsageSection | None = None  # read when asked for (``wall`` given)


def customer_page(
    uow: UnitOfWork,
    organization_id: str,
    account_id: str,
    wall: Clock | None = None,
    usage_at: date | None = None,
) -> CustomerPage:
    """With ``wall``, the usage section too: of the period holding ``usage_at`` (today on
    the organization's clock when None)."""
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        addresses = tuple(uow.invoice_addresses.list_for_account(organization_id, account_id))
        subs = list(uow.subscriptions.for_account(organization_id, account_id))
        book = price_book(uow, organization_id) if subs else None
        usage = None
        if wall is not None:
            organization = uow.organizations.get(organization_id)
            now = clock_for(organization, wall).now() if organization else wall.now()
            usage = usage_section(uow, now, account, subs, book, usage_at)
        if book is None:  # nothing to show per family
            return CustomerPage(account, addresses, (), usage)
        logs = uow.subscriptions.logs([s.id for s in subs])
    families = [f for f in family_plans(book, subs, logs) if f.latest is not None]
    return CustomerPage(account, addresses, tuple(families), usage)
