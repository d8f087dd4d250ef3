"""Request and response bodies of the HTTP API, kept apart from tables and domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from plansmith.domain.accounts import Account, InvoiceAddress

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(Strict):
    name: str = Field(examples=["Acme Chat Ltd"])
    email: str = Field(examples=["billing@acme.example"])
    currency: str = Field(description="ISO 4217 code; fixed once set", examples=["USD"])
    time_zone: str = Field("UTC", description="IANA zone; periods turn over at local midnight")
    locale: str = Field("en_US", description="How money and dates are shown to the account")
    tax_id: str | None = None
    external_id: str | None = Field(None, description="Your own id; unique per organization")


class AccountUpdate(Strict):
    name: str | None = None
    email: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    tax_id: str | None = None
    external_id: str | None = None
    default_invoice_address_id: str | None = None


class AccountOut(BaseModel):
    object: str = "account"
    id: str
    name: str
    email: str
    currency: str
    time_zone: str
    locale: str
    tax_id: str | None
    external_id: str | None
    default_invoice_address_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls.model_validate(account, from_attributes=True)


class AddressCreate(Strict):
    name: str = Field(description="Company or person the invoice is made out to")
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postal_code: str = ""
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["JP"])
    default: StrictBool = Field(False, description="Use this address on invoices from now on")


class AddressUpdate(Strict):
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class AddressOut(BaseModel):
    object: str = "invoice_address"
    id: str
    account_id: str
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    default: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, address: InvoiceAddress, account: Account | None = None) -> AddressOut:
        is_default = account is not None and account.default_invoice_address_id == address.id
        data = {**address.__dict__, "default": is_default}
        return cls.model_validate(data)


class ListOut(BaseModel, Generic[T]):
    object: str = "list"
    data: list[T]
    next_cursor: Annotated[str | None, Field(description="Pass as ?cursor= for the next page")] = (
        None
    )
    has_more: bool = False


class PortalSessionCreate(Strict):
    account_id: str
    expires_in: StrictInt = Field(900, description="Seconds the link stays valid (60 to 604800)")


class PortalSessionOut(BaseModel):
    object: str = "portal_session"
    account_id: str
    url: str
    expires_at: datetime


class OrganizationOut(BaseModel):
    object: str = "organization"
    id: str
    name: str
    created_at: datetime
