"""Use cases for customer accounts and their invoice addresses. Each one owns its transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from plansmith.application.kernel import validation
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Clock, Page, UnitOfWork
from plansmith.domain.accounts.account import Account, InvoiceAddress, require_text
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import zone


@dataclass(frozen=True)
class AccountInput:
    name: str
    email: str
    currency: str
    time_zone: str = "UTC"
    locale: str = "en_US"
    tax_id: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class AccountChanges:
    """Fields to change; None leaves a field as it is, "" clears an optional one (tax_id,
    external_id, default_invoice_address_id). Currency never changes once set."""

    name: str | None = None
    email: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    tax_id: str | None = None
    external_id: str | None = None
    default_invoice_address_id: str | None = None


@dataclass(frozen=True)
class AddressInput:
    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    region: str = ""
    postal_code: str = ""


def _maybe(value: str | None, check: Callable[[str], object]) -> object:
    return None if value is None else check(value)


def _optional(value: str | None, field: str, max_length: int = 100) -> str | None:
    if value is None:
        return None
    return require_text(value, field, max_length=max_length, required=False) or None


def open_account(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: AccountInput
) -> Account:
    checks = Checks()
    name = checks.run(lambda: require_text(data.name, "name"))
    email = checks.run(lambda: validation.email_address(data.email))
    currency = checks.run(lambda: Currency.of(data.currency))
    checks.run(lambda: zone(data.time_zone))
    locale = checks.run(lambda: validation.locale_name(data.locale))
    tax_id = checks.run(lambda: _optional(data.tax_id, "tax_id"))
    external_id = checks.run(lambda: _optional(data.external_id, "external_id"))
    checks.raise_if_any()
    assert name and email and currency and locale  # for the type checker: checks passed
    now = clock.now()
    account = Account(
        id=new_id("acct"),
        organization_id=organization_id,
        name=name,
        email=email,
        currency=currency.code,
        time_zone=data.time_zone,
        locale=locale,
        tax_id=tax_id,
        external_id=external_id,
        default_invoice_address_id=None,
        created_at=now,
        updated_at=now,
    )
    with uow:
        _check_external_id_free(uow, account)
        uow.accounts.add(account)
        uow.commit()
    return account


def _check_external_id_free(uow: UnitOfWork, account: Account) -> None:
    if account.external_id is None:
        return
    holder = uow.accounts.find_by_external_id(account.organization_id, account.external_id)
    if holder is not None and holder.id != account.id:
        raise Conflict(
            f"external_id {account.external_id!r} is already used by account {holder.id}",
            field="external_id",
            code=ec.EXTERNAL_ID_TAKEN,
        )


def get_account(uow: UnitOfWork, organization_id: str, account_id: str) -> Account:
    with uow:
        return _account(uow, organization_id, account_id)


def _account(uow: UnitOfWork, organization_id: str, account_id: str) -> Account:
    account = uow.accounts.get(organization_id, account_id)
    if account is None:
        raise NotFound(f"no account {account_id!r}", field="account_id")
    return account


def update_account(
    uow: UnitOfWork, clock: Clock, organization_id: str, account_id: str, changes: AccountChanges
) -> Account:
    checks = Checks()
    name = checks.run(lambda: _maybe(changes.name, lambda v: require_text(v, "name")))
    email = checks.run(lambda: _maybe(changes.email, validation.email_address))
    checks.run(lambda: _maybe(changes.time_zone, zone))
    locale = checks.run(lambda: _maybe(changes.locale, validation.locale_name))
    tax_id = checks.run(lambda: _optional(changes.tax_id, "tax_id"))
    external_id = checks.run(lambda: _optional(changes.external_id, "external_id"))
    checks.raise_if_any()
    with uow:
        account = _account(uow, organization_id, account_id)
        updated = replace(
            account,
            name=name if isinstance(name, str) else account.name,
            email=email if isinstance(email, str) else account.email,
            time_zone=changes.time_zone or account.time_zone,
            locale=locale if isinstance(locale, str) else account.locale,
            tax_id=account.tax_id if changes.tax_id is None else tax_id,
            external_id=account.external_id if changes.external_id is None else external_id,
            updated_at=clock.now(),
        )
        if changes.default_invoice_address_id == "":
            updated = replace(updated, default_invoice_address_id=None)
        elif changes.default_invoice_address_id is not None:
            address = _address_of(
                uow, organization_id, account_id, changes.default_invoice_address_id
            )
            updated = updated.with_default_address(address, updated.updated_at)
        _check_external_id_free(uow, updated)
        uow.accounts.update(updated)
        uow.commit()
    return updated


def list_accounts(
    uow: UnitOfWork,
    organization_id: str,
    *,
    search: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[Account]:
    after = decode_cursor(cursor)
    limit = check_limit(limit)
    with uow:
        rows = list(
            uow.accounts.list(
                organization_id,
                search=(search or "").strip() or None,
                after=after,
                limit=limit + 1,
            )
        )
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
    return Page(items=items, next_cursor=next_cursor)


def _address(uow: UnitOfWork, organization_id: str, address_id: str) -> InvoiceAddress:
    address = uow.invoice_addresses.get(organization_id, address_id)
    if address is None:
        raise NotFound(f"no invoice address {address_id!r}", field="address_id")
    return address


def _checked_address(data: AddressInput) -> dict[str, str]:
    checks = Checks()
    values = {
        "name": checks.run(lambda: require_text(data.name, "name")),
        "line1": checks.run(lambda: require_text(data.line1, "line1")),
        "line2": checks.run(lambda: require_text(data.line2, "line2", required=False)),
        "city": checks.run(lambda: require_text(data.city, "city", max_length=100)),
        "region": checks.run(
            lambda: require_text(data.region, "region", max_length=100, required=False)
        ),
        "postal_code": checks.run(
            lambda: require_text(data.postal_code, "postal_code", max_length=20, required=False)
        ),
        "country": checks.run(lambda: validation.country_code(data.country)),
    }
    checks.raise_if_any()
    return {key: value or "" for key, value in values.items()}


def add_invoice_address(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    account_id: str,
    data: AddressInput,
    *,
    make_default: bool = False,
) -> InvoiceAddress:
    """Add an address; the first one, or one marked so, becomes the one used on invoices."""
    values = _checked_address(data)
    now = clock.now()
    with uow:
        account = _account(uow, organization_id, account_id)
        address = InvoiceAddress(
            id=new_id("addr"),
            organization_id=organization_id,
            account_id=account.id,
            created_at=now,
            updated_at=now,
            **values,
        )
        uow.invoice_addresses.add(address)
        if make_default or account.default_invoice_address_id is None:
            uow.accounts.update(account.with_default_address(address, now))
        uow.commit()
    return address


@dataclass(frozen=True)
class AddressChanges:
    """Fields of an invoice address to change; None leaves one as it is."""

    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


def update_invoice_address(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    account_id: str,
    address_id: str,
    changes: AddressChanges,
) -> InvoiceAddress:
    with uow:
        address = _address_of(uow, organization_id, account_id, address_id)
        merged = AddressInput(
            **{
                name: getattr(address, name) if value is None else value
                for name, value in asdict(changes).items()
            }
        )
        checked = _checked_address(merged)
        updated = replace(
            address,
            name=checked["name"],
            line1=checked["line1"],
            line2=checked["line2"],
            city=checked["city"],
            region=checked["region"],
            postal_code=checked["postal_code"],
            country=checked["country"],
            updated_at=clock.now(),
        )
        uow.invoice_addresses.update(updated)
        uow.commit()
    return updated


def _address_of(
    uow: UnitOfWork, organization_id: str, account_id: str, address_id: str
) -> InvoiceAddress:
    account = _account(uow, organization_id, account_id)
    address = _address(uow, organization_id, address_id)
    if address.account_id != account.id:
        raise NotFound(f"no invoice address {address_id!r} on this account", field="address_id")
    return address


def get_invoice_address(
    uow: UnitOfWork, organization_id: str, account_id: str, address_id: str
) -> InvoiceAddress:
    with uow:
        return _address_of(uow, organization_id, account_id, address_id)


def account_with_addresses(
    uow: UnitOfWork, organization_id: str, account_id: str
) -> tuple[Account, list[InvoiceAddress]]:
    """The account and its invoice addresses, oldest first, read in one transaction."""
    with uow:
        account = _account(uow, organization_id, account_id)
        addresses = uow.invoice_addresses.list_for_account(organization_id, account_id)
        return account, list(addresses)


def set_default_invoice_address(
    uow: UnitOfWork, clock: Clock, organization_id: str, account_id: str, address_id: str
) -> Account:
    return update_account(
        uow,
        clock,
        organization_id,
        account_id,
        AccountChanges(default_invoice_address_id=address_id),
    )
