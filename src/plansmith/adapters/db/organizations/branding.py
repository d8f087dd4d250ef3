"""The organization's branding: one row per organization that has set any, read with the
organization's name in one statement, the logo's bytes only by the logo's own URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.rows import Repository
from plansmith.domain.organizations.branding import Branding, Logo, LogoRef, SellerAddress

_B = t.organization_branding.c
_SHOWN = [c for c in t.organization_branding.c if c.name not in ("organization_id", "logo_data")]
# Every portal page reads this: built once.
_GET = (
    select(t.organizations.c.id, t.organizations.c.name, *_SHOWN)
    .select_from(t.organizations)
    .outerjoin(t.organization_branding, _B.organization_id == t.organizations.c.id)
    .where(t.organizations.c.id == bindparam("organization_id"))
)


def _branding(values: Any) -> Branding:
    if values["revision"] is None:  # nothing set yet
        return Branding(values["id"], values["name"])
    lines = values["address_lines"]
    address = (
        SellerAddress(tuple(lines), values["city"], values["postal_code"], values["country"])
        if lines is not None
        else None
    )
    logo = (
        LogoRef(values["logo_content_type"], values["logo_sha256"], values["logo_size"])
        if values["logo_sha256"]
        else None
    )
    return Branding(
        organization_id=values["id"],
        name=values["name"],
        display_name=values["display_name"],
        accent_colour=values["accent_colour"],
        seller_address=address,
        tax_id=values["tax_id"],
        logo=logo,
        revision=values["revision"],
        updated_at=values["updated_at"],
    )


_READ = "branding"  # session.info: the brandings this transaction has read, by organization
# The branding's columns as the organization's own read selects them beside its row.
BRANDING_COLUMNS = [c.label(f"branding_{c.name}") for c in _SHOWN]


def remember_branding(session: Any, organization_id: str, name: str, values: Any) -> None:
    """Keep the branding read beside the organization (``BRANDING_COLUMNS`` of its row) for
    the rest of the transaction, as ``SqlBranding.get`` keeps what it reads."""
    read: dict[str, Branding | None] = session.info.setdefault(_READ, {})
    if organization_id not in read:
        shown = {c.name: values[f"branding_{c.name}"] for c in _SHOWN}
        read[organization_id] = _branding({"id": organization_id, "name": name, **shown})


class SqlBranding(Repository):
    def get(self, organization_id: str) -> Branding | None:
        # A page reads it twice in its one transaction (its use case, and the header): the
        # second time from what the first read, as the transaction would see it anyway.
        read: dict[str, Branding | None] = self.session.info.setdefault(_READ, {})
        if organization_id not in read:
            row = self.session.execute(_GET, {"organization_id": organization_id}).first()
            read[organization_id] = None if row is None else _branding(row._mapping)
        return read[organization_id]

    def logo(self, organization_id: str, sha256: str) -> Logo | None:
        q = select(_B.logo_content_type, _B.logo_data).where(
            _B.organization_id == organization_id, _B.logo_sha256 == sha256
        )
        row = self.session.execute(q).first()
        if row is None or row.logo_data is None:
            return None
        return Logo(row.logo_content_type, bytes(row.logo_data))

    def save(self, branding: Branding, logo: Logo | None, *, expected_revision: int) -> bool:
        self.session.info.pop(_READ, None)
        address = branding.seller_address
        values: dict[str, Any] = {
            "display_name": branding.display_name,
            "accent_colour": branding.accent_colour,
            "address_lines": list(address.lines) if address else None,
            "city": address.city if address else "",
            "postal_code": address.postal_code if address else "",
            "country": address.country if address else "",
            "tax_id": branding.tax_id,
            "logo_content_type": branding.logo.content_type if branding.logo else None,
            "logo_sha256": branding.logo.sha256 if branding.logo else None,
            "logo_size": branding.logo.size if branding.logo else None,
            "revision": branding.revision,
            "updated_at": branding.updated_at,
        }
        if logo is not None or branding.logo is None:
            values["logo_data"] = logo.data if logo is not None else None
        if expected_revision == 0:
            # A second first change at once fails on the primary key: the unit of work says
            # Conflict, and nothing of either is half-written.
            row = {"organization_id": branding.organization_id, **values}
            self.session.execute(insert(t.organization_branding).values(**row))
            return True
        result = self.session.execute(
            update(t.organization_branding)
            .where(
                _B.organization_id == branding.organization_id,
                _B.revision == expected_revision,
            )
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
