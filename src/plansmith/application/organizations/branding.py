"""Use cases of an organization's branding: read it, change some of it, read its logo.

A change names only what it changes; every field is checked before anything is written, and
all wrong fields are reported together, so a refused change leaves the branding as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from plansmith.application.kernel import validation
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import require_text
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.organizations import branding as b
from plansmith.domain.organizations.branding import Branding, Logo, SellerAddress


class Keep(Enum):
    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class AddressInput:
    lines: Sequence[str]
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class LogoInput:
    content_type: str
    data: bytes
    # why the caller could not read the data it was given (bad base64): reported with the
    # other wrong fields, not before them
    unreadable: InvalidValue | None = None


@dataclass(frozen=True)
class BrandingChanges:
    """None (or KEEP): leave as it is; "" clears a text; None for the address or logo drops it."""

    display_name: str | None = None
    accent_colour: str | None = None
    tax_id: str | None = None
    seller_address: AddressInput | Keep | None = KEEP
    logo: LogoInput | Keep | None = KEEP


def get_branding(uow: UnitOfWork, organization_id: str) -> Branding:
    with uow:
        found = uow.branding.get(organization_id)
    if found is None:
        raise NotFound(f"no organization {organization_id!r}", field="organization")
    return found


def get_logo(uow: UnitOfWork, organization_id: str, sha256: str) -> Logo:
    with uow:
        found = uow.branding.logo(organization_id, sha256)
    if found is None:
        raise NotFound("no such logo", field="logo")
    return found


def seller_address(value: AddressInput, *, field: str = "seller_address") -> SellerAddress:
    checks = Checks()
    lines = [line for line in value.lines if isinstance(line, str) and line.strip()]
    if not lines:
        checks.add(InvalidValue(f"{field}.lines needs at least one line", field=f"{field}.lines"))
    if len(lines) > b.MAX_ADDRESS_LINES:
        checks.add(
            InvalidValue(
                f"{field}.lines has at most {b.MAX_ADDRESS_LINES} lines", field=f"{field}.lines"
            )
        )
    kept = [checks.run(require_text, line, f"{field}.lines[{i}]") for i, line in enumerate(lines)]
    city = checks.run(require_text, value.city, f"{field}.city", max_length=100)
    postal = checks.run(
        require_text, value.postal_code, f"{field}.postal_code", max_length=20, required=False
    )
    country = checks.run(validation.country_code, value.country, field=f"{field}.country")
    checks.raise_if_any()
    assert city is not None and postal is not None and country is not None
    return SellerAddress(tuple(line for line in kept if line), city, postal, country)


def _changed(current: Branding, changes: BrandingChanges) -> tuple[Branding, Logo | None]:
    checks = Checks()
    new = current
    if changes.display_name is not None:
        name = checks.run(require_text, changes.display_name, "display_name", required=False)
        new = replace(new, display_name=name or "")
    if changes.accent_colour is not None:
        colour = checks.run(b.accent_colour, changes.accent_colour)
        new = replace(new, accent_colour=colour or "")
    if changes.tax_id is not None:
        tax_id = checks.run(require_text, changes.tax_id, "tax_id", max_length=100, required=False)
        new = replace(new, tax_id=tax_id or "")
    if not isinstance(changes.seller_address, Keep):
        address = changes.seller_address
        new = replace(new, seller_address=checks.run(seller_address, address) if address else None)
    logo = None
    if not isinstance(changes.logo, Keep):
        if changes.logo is None:
            new = replace(new, logo=None)
        elif changes.logo.unreadable is not None:
            checks.add(changes.logo.unreadable)
        else:
            logo = checks.run(b.logo, changes.logo.content_type, changes.logo.data)
            new = replace(new, logo=logo.ref if logo else None)
    checks.raise_if_any()
    return new, logo


def update_branding(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    changes: BrandingChanges,
    *,
    expected_revision: int | None = None,
) -> Branding:
    """Change what ``changes`` names; with ``expected_revision``, only if nobody changed the
    branding since the caller read it (Conflict otherwise)."""
    with uow:
        current = uow.branding.get(organization_id)
        if current is None:
            raise NotFound(f"no organization {organization_id!r}", field="organization")
        if expected_revision is not None and expected_revision != current.revision:
            raise Conflict(
                "the settings were changed by someone else since you opened them; reload and "
                "try again",
                field="revision",
            )
        new, logo = _changed(current, changes)
        new = replace(new, revision=current.revision + 1, updated_at=clock.now())
        if not uow.branding.save(new, logo, expected_revision=current.revision):
            raise Conflict(
                "the settings were changed at the same time; try again", field="revision"
            )
        uow.commit()
    return new
