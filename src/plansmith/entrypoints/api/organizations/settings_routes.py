"""The organization's settings: how it brands its portal (display name, logo, accent colour)
and what its invoices say about the seller (address, tax id).

`POST /v1/organization/settings` changes the fields it names and leaves the others (an update,
as Stripe's are); `null` drops the seller address or the logo, `""` clears a text. Every field
is checked before anything is written: a refused change (422, problem+json naming each field)
changes nothing. Send an Idempotency-Key to retry safely; `revision` refuses a change made on
top of settings someone else changed since (409).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, Field, StrictInt

from plansmith.application.organizations import branding as uc
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.branding import MAX_LOGO_BYTES, Branding
from plansmith.entrypoints.api.deps import Container, CurrentOrg, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import Strict
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.branding import logo_url

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["organization"]
PATH = "/organization/settings"
MAX_REVISION = 2**53 - 1  # what a JSON number holds exactly


class SellerAddressBody(Strict):
    lines: list[str] = Field(
        description="1 to 3 lines: the street, building, floor", examples=[["1-2-3 Shibuya"]]
    )
    city: str = Field(examples=["Tokyo"])
    postal_code: str = Field(default="", examples=["150-0002"])
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["JP"])


class LogoBody(Strict):
    content_type: str = Field(description="image/png or image/svg+xml", examples=["image/png"])
    data: str = Field(description=f"The image, base64; at most {MAX_LOGO_BYTES} bytes decoded")


class SettingsUpdate(Strict):
    display_name: str | None = Field(
        default=None, description="The name customers see; empty: the organization's name"
    )
    accent_colour: str | None = Field(
        default=None,
        description="#RRGGBB on which white text reads at 4.5:1 (WCAG AA); empty: none",
        examples=["#1f6feb"],
    )
    tax_id: str | None = Field(default=None, description="The seller's tax id on invoices")
    seller_address: SellerAddressBody | None = Field(
        default=None, description="The seller's address on invoices; null drops it"
    )
    logo: LogoBody | None = Field(default=None, description="A PNG or SVG logo; null drops it")
    revision: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_REVISION,
        description="The revision you read: refused (409) if it changed since",
    )


class SellerAddressOut(BaseModel):
    lines: list[str]
    city: str
    postal_code: str
    country: str


class LogoOut(BaseModel):
    content_type: str
    size: int
    sha256: str
    url: str


class SettingsOut(BaseModel):
    object: str = "organization_settings"
    name: str = Field(description="The organization's own name")
    display_name: str | None
    accent_colour: str | None
    tax_id: str | None
    seller_address: SellerAddressOut | None
    logo: LogoOut | None
    revision: int
    updated_at: datetime | None

    @classmethod
    def of(cls, branding: Branding) -> SettingsOut:
        address, logo = branding.seller_address, branding.logo
        return cls(
            name=branding.name,
            display_name=branding.display_name or None,
            accent_colour=branding.accent_colour or None,
            tax_id=branding.tax_id or None,
            seller_address=SellerAddressOut(
                lines=list(address.lines),
                city=address.city,
                postal_code=address.postal_code,
                country=address.country,
            )
            if address
            else None,
            logo=LogoOut(
                content_type=logo.content_type,
                size=logo.size,
                sha256=logo.sha256,
                url=logo_url(branding.organization_id, logo.sha256),
            )
            if logo
            else None,
            revision=branding.revision,
            updated_at=branding.updated_at,
        )


def changes_of(body: SettingsUpdate) -> uc.BrandingChanges:
    given = body.model_fields_set
    address: uc.AddressInput | uc.Keep | None = uc.KEEP
    if "seller_address" in given:
        a = body.seller_address
        address = uc.AddressInput(a.lines, a.city, a.postal_code, a.country) if a else None
    logo: uc.LogoInput | uc.Keep | None = uc.KEEP
    if "logo" in given and body.logo is not None:
        try:
            logo = uc.LogoInput(body.logo.content_type, _decoded(body.logo.data))
        except InvalidValue as exc:  # reported by the use case, with the other wrong fields
            logo = uc.LogoInput(body.logo.content_type, b"", unreadable=exc)
    elif "logo" in given:
        logo = None
    return uc.BrandingChanges(
        display_name=body.display_name,
        accent_colour=body.accent_colour,
        tax_id=body.tax_id,
        seller_address=address,
        logo=logo,
    )


def _decoded(data: str) -> bytes:
    if len(data) > (MAX_LOGO_BYTES * 4) // 3 + 8:
        raise InvalidValue(f"logo.data is over {MAX_LOGO_BYTES} bytes", field="logo.data")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidValue("logo.data is not valid base64", field="logo.data") from exc


@router.get(PATH, operation_id="get_organization_settings", response_model=SettingsOut, tags=TAGS)
def get_settings(org: CurrentOrg, uow: UoW) -> SettingsOut:
    """The organization's branding and seller details."""
    return SettingsOut.of(uc.get_branding(uow, org.id))


@router.post(
    PATH,
    operation_id="update_organization_settings",
    responses=problems(409),
    response_model=SettingsOut,
    tags=TAGS,
)
def update_settings(body: SettingsUpdate, org: CurrentOrg, uow: UoW, app: Container) -> SettingsOut:
    """Change the fields named; the others stay. 422 names every wrong field, and nothing is
    changed; 409 if `revision` is not the current one."""
    branding = uc.update_branding(
        uow, app.clock, org.id, changes_of(body), expected_revision=body.revision
    )
    return SettingsOut.of(branding)
