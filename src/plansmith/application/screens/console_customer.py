"""The operator console's customer page as one query: the account, its invoice addresses and
its plans per family with their history, read in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.subscriptions.lifecycle import price_book
from plansmith.application.subscriptions.queries import FamilyPlans, family_plans
from plansmith.domain.accounts.account import Account, InvoiceAddress


@dataclass(frozen=True)
class CustomerPage:
    account: Account
    addresses: tuple[InvoiceAddress, ...]  # oldest first
    families: tuple[FamilyPlans, ...]  # the families the account has a subscription in


def customer_page(uow: UnitOfWork, organization_id: str, account_id: str) -> CustomerPage:
    with uow:
        account = uow.accounts.get(organization_id, account_id)
        if account is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        addresses = tuple(uow.invoice_addresses.list_for_account(organization_id, account_id))
        subs = list(uow.subscriptions.for_account(organization_id, account_id))
        if not subs:  # nothing to show per family: the catalog is not read
            return CustomerPage(account, addresses, ())
        book = price_book(uow, organization_id)
        logs = uow.subscriptions.logs([s.id for s in subs])
    families = [f for f in family_plans(book, subs, logs) if f.latest is not None]
    return CustomerPage(account, addresses, tuple(families))
