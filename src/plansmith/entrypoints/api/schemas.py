"""Request and response bodies of the HTTP API, kept apart from tables and domain objects."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from plansmith.application.organizations.organizations import MAX_LINK_SECONDS, MIN_LINK_SECONDS
from plansmith.domain.accounts.account import Account, InvoiceAddress
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.error_codes import ErrorCode
from plansmith.domain.kernel.limits import figure

T = TypeVar("T")


@dataclass(frozen=True)
class AtMost:
    """``Annotated[int, AtMost(bound)]``: a whole number up to a bound of domain/limits.py.
    Above it, 422 ``too_large`` naming the field and the bound, as the use cases say it; the
    schema publishes the bound as ``maximum``.

    ``minimum``: the smallest value the use cases take, published as ``minimum``. The use case
    refuses less, listing it with the request's other wrong fields; ``below`` (a code) checks it
    here instead, for a field the use case does not always read."""

    maximum: int
    minimum: int | None = None
    below: ErrorCode | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        if self.minimum is not None:
            found["minimum"] = self.minimum
        found["maximum"] = self.maximum
        return found

    def _check(self, value: int) -> int:
        if self.below is not None and self.minimum is not None and value < self.minimum:
            raise PydanticCustomError(
                str(self.below), "must be at least {minimum}", {"minimum": figure(self.minimum)}
            )
        if value > self.maximum:
            raise PydanticCustomError(
                str(ec.TOO_LARGE), "must be at most {maximum}", {"maximum": figure(self.maximum)}
            )
        return value


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(SomeEnum)]``: publishes the enum's values as the schema's ``enum``.

    The use case checks the value (as ``invalid_value`` naming the field, together with the
    request's other fields, so one answer lists every wrong field); this only says so in the
    document, from the same enum, so the two cannot drift apart."""

    values: tuple[str, ...]

    def __init__(self, enum: type[StrEnum]) -> None:
        object.__setattr__(self, "values", tuple(member.value for member in enum))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["enum"] = list(self.values)
        return found


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _no_null_where_required(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The published schema of a Patch: null only for the fields it clears."""
    clears: Mapping[str, Any] = getattr(model, "clears", {})
    for name, prop in schema.get("properties", {}).items():
        if name in clears:
            continue
        prop.pop("default", None)
        kinds = [k for k in prop.pop("anyOf", []) if k.get("type") != "null"]
        if len(kinds) == 1:
            prop.update(kinds[0])
        elif kinds:
            prop["anyOf"] = kinds


class Patch(Strict):
    """The body of every PATCH: a field left out keeps its value; ``null`` clears a field that
    can be empty (to the empty value ``clears`` names for the use case: "", [] or {}), and is
    refused, 422 ``required`` naming the field, for one that always holds a value (a name, a
    price, a time zone, a flag, a rank, a policy)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_where_required)
    clears: ClassVar[Mapping[str, Any]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _null_needs_a_value(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clears:
            raise PydanticCustomError(
                str(ec.REQUIRED),
                "cannot be null: {field} must have a value (leave it out to keep it)",
                {"field": info.field_name},
            )
        return value

    def changes(self) -> dict[str, Any]:
        """The fields sent, with null replaced by what the field clears to."""
        sent = self.model_dump(exclude_unset=True)
        return {
            name: copy.deepcopy(self.clears[name]) if value is None else value
            for name, value in sent.items()
        }


class AccountCreate(Strict):
    name: str = Field(examples=["Acme Chat Ltd"])
    email: str = Field(examples=["billing@acme.example"])
    currency: str = Field(description="ISO 4217 code; fixed once set", examples=["USD"])
    time_zone: str = Field("UTC", description="IANA zone; periods turn over at local midnight")
    locale: str = Field("en_US", description="How money and dates are shown to the account")
    tax_id: str | None = None
    external_id: str | None = Field(None, description="Your own id; unique per organization")


class AccountUpdate(Patch):
    clears = {
        "tax_id": "",
        "external_id": "",
        "default_invoice_address_id": "",  # none chosen: invoices show the account's name
    }

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


class AddressUpdate(Patch):
    clears = {"line2": "", "region": "", "postal_code": ""}

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
    expires_in: StrictInt = Field(
        900, ge=MIN_LINK_SECONDS, le=MAX_LINK_SECONDS, description="Seconds the link stays valid"
    )


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
