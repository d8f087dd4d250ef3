"""Customer accounts of an organization and the addresses their invoices are made out to."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.text import check_text


@dataclass(frozen=True)
class InvoiceAddress:
    """A postal address an account's invoices can be made out to (seed 004, Invoice Information)."""

    id: str
    organization_id: str
    account_id: str
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    created_at: datetime
    updated_at: datetime

    def lines(self) -> list[str]:
        """The address as printed on an invoice, empty parts left out."""
        city_line = " ".join(p for p in (self.postal_code, self.city) if p)
        parts = [self.name, self.line1, self.line2, city_line, self.region, self.country]
        return [p for p in parts if p]


@dataclass(frozen=True)
class Account:
    """A business that buys from the operator. Currency and time zone fix how it is billed."""

    id: str
    organization_id: str
    name: str
    email: str
    currency: str  # ISO 4217 code, validated on the way in
    time_zone: str  # IANA name; billing periods turn over at local midnight here
    locale: str  # e.g. en_US; how money and dates are shown to this account
    tax_id: str | None
    external_id: str | None
    default_invoice_address_id: str | None
    created_at: datetime
    updated_at: datetime

    def with_default_address(self, address: InvoiceAddress, at: datetime) -> Account:
        if address.account_id != self.id:
            raise InvalidValue(
                "that address belongs to another account",
                field="default_invoice_address_id",
                code=ec.ADDRESS_NOT_ON_ACCOUNT,
            )
        return replace(self, default_invoice_address_id=address.id, updated_at=at)


def require_text(value: str, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """Trim a free-text field and check it is present (when required), not too long, and
    storable (no NUL, no lone surrogate)."""
    if not isinstance(value, str):
        if required and value is None:
            raise InvalidValue(f"{field} must not be empty", field=field, code=ec.REQUIRED)
        raise InvalidValue(f"{field} is text", field=field)
    text = check_text(value, field).strip()
    if required and not text:
        raise InvalidValue(f"{field} must not be empty", field=field, code=ec.REQUIRED)
    if len(text) > max_length:
        raise InvalidValue(
            f"{field} is longer than {max_length} characters", field=field, code=ec.TOO_LONG
        )
    return text
